import GuatanCore

/// What the public read API needs of the registry. The SQLite store implements it;
/// a PostgreSQL store for several instances could stand beside it without touching routes.
public protocol RegistryStore: Sendable {
    func sites(district: String?, text: String?, page: PageRequest) async throws -> Page<SiteSummary>
    func site(id: String, today: LocalDate) async throws -> SiteDetail?
    func stall(slotId: String, today: LocalDate) async throws -> StallView?
    func stallsNearby(center: Coordinate, radiusMetres: Double, limit: Int, today: LocalDate) async throws -> [NearbyStall]
    /// The districts and every site with its slots, as the public snapshot shows them,
    /// with the registry version they were read at (one consistent read).
    func registryState(today: LocalDate) async throws -> RegistryState
    /// Today's holdings of some slots (a slot missing from the answer is vacant), with the
    /// registry's version, in one read: what the snapshot needs to apply status changes.
    func stallHoldings(slotIds: [String], today: LocalDate) async throws -> StallHoldings
    /// The season of a year: the configured one, or the programme's standard dates.
    func season(year: Int) async throws -> Season
    /// A number that grows with every change to the registry's sites, slots and districts
    /// (not with a stall's status: those are announced by `StoreChange.stallStatus`); cheap.
    func registryVersion() async throws -> Int64
}

/// Some slots' holdings today and the registry version they were read at.
public struct StallHoldings: Sendable {
    public var version: Int64
    public var holdings: [String: SlotHolding]

    public init(version: Int64, holdings: [String: SlotHolding]) {
        self.version = version
        self.holdings = holdings
    }
}
