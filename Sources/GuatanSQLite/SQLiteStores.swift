import GuatanStoreInterface

extension GuatanStores {
    /// Every store of the programme on the one SQLite database of a data folder.
    public init(database: GuatanDatabase) {
        self.init(
            registry: database, accounts: database, vendors: database, permits: database, checkIns: database, reports: database,
            inspections: database, statistics: database, audit: database,
            operations: database, photos: PhotoFiles(dataDirectory: database.dataDirectory), workflow: database)
    }
}
