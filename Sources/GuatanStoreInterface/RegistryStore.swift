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
    /// The season of a year: the configured one, or the programme's standard dates.
    func season(year: Int) async throws -> Season
    /// A number that grows with every change to what the map shows; cheap to read.
    func registryVersion() async throws -> Int64
}
