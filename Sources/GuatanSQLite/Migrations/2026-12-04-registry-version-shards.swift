import GRDB

extension SchemaMigration {
    static let registryVersionShards = SchemaMigration("2026-12-04-registry-version-shards") { db in
        // The registry's version as the sum of sixteen counters, each write moving one: on
        // PostgreSQL concurrent check-ins would otherwise queue on one row's lock until each
        // commit; here it costs nothing and keeps the two schemas alike.
        try db.execute(sql: "CREATE TABLE registry_version (shard INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
        for shard in 0..<16 {
            try db.execute(sql: "INSERT INTO registry_version (shard, value) VALUES (?, 0)", arguments: [shard])
        }
        try db.execute(
            sql: "UPDATE registry_version SET value = (SELECT CAST(value AS INTEGER) FROM store_meta WHERE key = 'registry_version') WHERE shard = 0")
    }
}
