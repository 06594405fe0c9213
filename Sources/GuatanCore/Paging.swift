/// A page of a list, as every list endpoint takes it (`page`, `per_page`).
public struct PageRequest: Sendable, Hashable {
    public static let defaultPerPage = 50
    public static let maxPerPage = 500

    public let page: Int
    public let perPage: Int

    /// `largest` lets a protocol with its own limit (Open311's 1,000) ask for more per page.
    public init(page: Int = 1, perPage: Int = PageRequest.defaultPerPage, largest: Int = PageRequest.maxPerPage) throws(ValidationError) {
        guard page >= 1, page <= 1_000_000 else {
            throw ValidationError(field: "page", message: "page must be a whole number from 1 to 1000000")
        }
        guard (1...largest).contains(perPage) else {
            throw ValidationError(field: "per_page", message: "per_page must be a whole number from 1 to \(largest)")
        }
        self.page = page
        self.perPage = perPage
    }

    public var offset: Int { (page - 1) * perPage }
}

public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var total: Int
    public var request: PageRequest

    public init(items: [Item], total: Int, request: PageRequest) {
        self.items = items
        self.total = total
        self.request = request
    }
}
