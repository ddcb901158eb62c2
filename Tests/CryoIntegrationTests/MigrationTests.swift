import CryoStore
import Foundation
import PostgresNIO
import Testing

@Suite("Migrations")
struct MigrationTests {
    func tempMigrations(_ files: [String: String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cl-mig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, sql) in files { try sql.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return dir
    }

    @Test("re-running is a no-op; an applied migration whose file changed is refused")
    func checksum() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let dir = try tempMigrations(["901_a.sql": "CREATE TABLE mig_a (id int);\n-- x; y\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;"])
            #expect(try await Migrator(directory: dir).migrate(client: client, logger: TestDatabase.logger) == ["901_a"])
            #expect(try await Migrator(directory: dir).migrate(client: client, logger: TestDatabase.logger) == [])
            try "CREATE TABLE mig_a (id bigint);".write(to: dir.appendingPathComponent("901_a.sql"), atomically: true, encoding: .utf8)
            await #expect {
                try await Migrator(directory: dir).migrate(client: client, logger: TestDatabase.logger)
            } throws: { error in
                "\(error)".contains("901_a.sql was changed after it was applied")
            }
        }
    }

    @Test("a failing migration leaves nothing behind")
    func atomic() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let dir = try tempMigrations(["911_ok.sql": "CREATE TABLE mig_ok (id int);", "912_bad.sql": "CREATE TABLE mig_bad (id int); SELECT no_such_function();"])
            await #expect(throws: (any Error).self) { try await Migrator(directory: dir).migrate(client: client, logger: TestDatabase.logger) }
            let tables = try await client.query("SELECT count(*)::int FROM pg_tables WHERE tablename IN ('mig_ok', 'mig_bad')", logger: TestDatabase.logger).decode(Int.self).rows()
            #expect(tables == [1])
            let versions = try await client.query("SELECT count(*)::int FROM schema_migration WHERE version IN (911, 912) AND name IN ('ok', 'bad')", logger: TestDatabase.logger).decode(Int.self).rows()
            #expect(versions == [1])
        }
    }

    @Test("concurrent migrate runs apply each migration exactly once")
    func concurrent() async throws {
        try await TestDatabase.withDatabase { client, url in
            let dir = try tempMigrations(["921_c.sql": "CREATE TABLE mig_c (id int); SELECT pg_sleep(0.2);", "922_d.sql": "CREATE TABLE mig_d (id int);"])
            let results = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await TestDatabase.withClient(url, maxConnections: 2) { c in
                            try await Migrator(directory: dir).migrate(client: c, logger: TestDatabase.logger)
                        }
                    }
                }
                return try await group.reduce(into: [[String]]()) { $0.append($1) }
            }
            #expect(results.flatMap { $0 }.sorted() == ["921_c", "922_d"])
        }
    }

    @Test("the script splitter keeps dollar-quoted bodies, quotes and comments whole")
    func splitter() {
        let sql = """
            -- a comment; with a semicolon
            CREATE TABLE t (x text DEFAULT 'a;b');
            CREATE FUNCTION g() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN RAISE NOTICE 'x;y'; RETURN NEW; END $body$;
            /* block; comment */ SELECT 1;
            """
        let statements = SQLScript.statements(in: sql)
        #expect(statements.count == 3)
        #expect(statements[1].hasSuffix("END $body$"))
    }
}
