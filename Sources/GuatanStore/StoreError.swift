/// A write the data's own rules refused; the API maps it to 409 or 404.
public enum StoreError: Error, Sendable, Equatable {
    /// The write would break a uniqueness or state rule.
    case conflict(String)
    case notFound(String)
}
