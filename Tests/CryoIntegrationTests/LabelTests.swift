import CryoDomain
import CryoReports
import CryoStore
import Foundation
import Testing

@Suite("Vial labels")
struct LabelTests {
    /// Runs a tool from Debian's packages (zbar-tools, dmtx-utils, poppler-utils) and returns its standard output.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cryoledger-labels-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("a single label PNG decodes back to the vial id: Code 128 with zbarimg, Data Matrix with dmtxread")
    func singleLabelDecodes() async throws {
        try await withFixture { f in
            let vials = try await f.lot("A501-26001", vials: 3, box: "BOX-1")
            let labels = try await f.store.vialLabels(lotNumber: nil, vialIds: [vials[2].id.lowercased()], actor: f.user(.auditor), logger: Fixture.logger)
            #expect(labels.count == 1)
            let label = try #require(labels.first)
            #expect(label.vialId == vials[2].id && label.productCode == "ALLO-501" && label.lotNumber == "A501-26001")
            #expect(label.ordinal == 3 && label.vialCount == 100 && label.expiresOn == "2027-01-10" && label.storageCondition == "LN2 vapour")
            let dir = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let png = dir.appendingPathComponent("label.png").path
            try VialLabels.writePNG(label, to: png, dpi: 600)
            let code128 = try Self.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Scode128.enable", png])
            #expect(code128.status == 0)
            #expect(code128.output.split(separator: "\n").map(String.init) == [vials[2].id])
            let dataMatrix = try Self.run(["dmtxread", "-N1", "-m", "20000", png])
            #expect(dataMatrix.status == 0)
            #expect(dataMatrix.output.trimmingCharacters(in: .whitespacesAndNewlines) == vials[2].id)
        }
    }

    @Test("an A4 sheet of a lot's labels: 30 a page, every Code 128 on it decodes to one of the lot's vial ids")
    func sheetDecodes() async throws {
        try await withFixture { f in
            let vials = try await f.lot("A501-26002", vials: 34)
            let labels = try await f.store.vialLabels(lotNumber: "A501-26002", vialIds: [], actor: f.user(.manufacturing), logger: Fixture.logger)
            #expect(labels.map(\.vialId) == vials.map(\.id))
            let dir = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let pdf = dir.appendingPathComponent("sheet.pdf").path
            try VialLabels.writeSheet(labels, to: pdf)
            let info = try Self.run(["pdfinfo", pdf])
            #expect(info.output.contains(/Pages:\s+2\n/))
            let page = dir.appendingPathComponent("page").path
            #expect(try Self.run(["pdftoppm", "-png", "-r", "400", "-f", "1", "-l", "1", "-singlefile", pdf, page]).status == 0)
            let decoded = try Self.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Scode128.enable", page + ".png"])
            let ids = decoded.output.split(separator: "\n").map(String.init)
            #expect(Set(ids) == Set(vials.prefix(30).map(\.id)), "\(ids.count) decoded")
        }
    }

    @Test("labels of unknown lots and vials are refused; a bad check character is caught before the database")
    func refused() async throws {
        try await withFixture { f in
            await #expect(throws: DomainError.notFound(kind: "lot", id: "NO-LOT")) {
                _ = try await f.store.vialLabels(lotNumber: "NO-LOT", vialIds: [], actor: f.user(.qa), logger: Fixture.logger)
            }
            let missing = VialID(serial: 424_242).value
            await #expect(throws: DomainError.notFound(kind: "vial", id: missing)) {
                _ = try await f.store.vialLabels(lotNumber: nil, vialIds: [missing], actor: f.user(.qa), logger: Fixture.logger)
            }
            var typo = Array(missing); typo[5] = typo[5] == "1" ? "2" : "1"
            await #expect(throws: DomainError.self) {
                _ = try await f.store.vialLabels(lotNumber: nil, vialIds: [String(typo)], actor: f.user(.qa), logger: Fixture.logger)
            }
        }
    }
}
