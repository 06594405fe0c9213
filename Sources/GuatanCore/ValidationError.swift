/// Input that breaks a rule of the registry or the API, with the field that did.
/// The API maps it to `400 VALIDATION_FAILED`.
public struct ValidationError: Error, Sendable, Equatable {
    public var field: String?
    public var message: String

    public init(field: String?, message: String) {
        self.field = field
        self.message = message
    }
}
