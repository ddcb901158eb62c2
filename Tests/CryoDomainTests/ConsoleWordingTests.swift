import CryoDomain
import Foundation
import Testing

/// What people read and type: event types and refusals as sentences, field names as labels, scans and row letters forgiven.
@Suite("Words for people")
struct ConsoleWordingTests {
    /// Every custody event type written anywhere in Sources/ (an `action:` argument, or a literal on such a line).
    static func actionsInSources() throws -> Set<String> {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        var found: Set<String> = []
        let literal = #/"([a-z]+\.[a-z][a-z0-9-]*)"/#
        let enumerator = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
        for case let url as URL in enumerator where url.pathExtension == "swift" {
            for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") where line.contains("action:") && !line.contains("Messages/") {
                for match in line.matches(of: literal) { found.insert(String(match.output.1)) }
            }
        }
        return found
    }

    @Test("the catalogue has a sentence for every event type the sources write")
    func everyActionHasASentence() throws {
        let actions = try Self.actionsInSources()
        #expect(actions.count > 40, "the scan of Sources/ found too few event types: \(actions.sorted())")
        let missing = actions.subtracting(EventSentences.catalogue.keys).sorted()
        #expect(missing.isEmpty, "event types without a sentence in EventSentences.catalogue: \(missing)")
    }

    @Test("an unknown event type still reads as words, never as the dotted code")
    func unknownEventType() {
        #expect(EventSentences.sentence(for: "vial.created") == "Vial created")
        #expect(EventSentences.catalogue["vial.future-step"] == nil)
        #expect(EventSentences.sentence(for: "vial.future-step") == "Vial: future step")
        #expect(EventSentences.sentence(for: "security.some-new-kind") == "Security: some new kind")
        #expect(!EventSentences.sentence(for: "patient.cleared").contains("."))
    }

    @Test("field paths read as labels")
    func fieldLabels() {
        #expect(FieldLabels.label("subjectId") == "Patient (subject id)")
        #expect(FieldLabels.label("hla[2]") == "HLA typing, item 3")
        #expect(FieldLabels.label("screeningTests[0].result") == "Screening tests, item 1: result")
        #expect(FieldLabels.label("unassignedPatients") == "Patients left without a dose")
        #expect(FieldLabels.label("counting-bound") == "Counting bound")
        #expect(FieldLabels.label("cellsPerVial") == "Viable CAR+ cells per vial")
    }

    @Test("refusals read as sentences: labels, not JSON paths; criteria by their words, not their codes")
    func refusals() {
        let identity = DomainError.conflict(field: "subjectId", rule: "chain of identity: vial CV0000000001O is reserved for nobody, not for the patient scanned (ALPHA-103)")
        let sentence = RefusalSentences.sentence(for: identity)
        #expect(sentence.hasPrefix("Patient (subject id): chain of identity"))
        #expect(sentence.contains("not reserved for any patient"))
        #expect(!sentence.contains("subjectId"))
        let eligibility = DomainError.conflict(field: "eligibility", rule: "not eligible: no-active-cns-lymphoma (No active CNS lymphoma)")
        #expect(RefusalSentences.sentence(for: eligibility) == "Eligibility: the patient does not meet No active CNS lymphoma")
        #expect(RefusalSentences.sentence(for: .forbidden(role: .auditor, action: .allocate))
                == "Planning and committing allocations is done by pharmacy; you are signed in as auditor.")
    }

    @Test("a scan forgives a trailing CR, Tab or space and lowercase")
    func scans() throws {
        let id = VialID(serial: 1).value
        for scanned in [id + "\r", id + "\t", " " + id + " ", id.lowercased() + "\r\n", "\u{1D}" + id + "\u{0}"] {
            #expect(try VialID(parsing: scanned).value == id)
        }
        #expect(ScanText.normalised(" alpha-104\t") == "ALPHA-104")
        #expect(throws: DomainError.self) { _ = try VialID(parsing: id.dropLast() + "X") }
    }

    @Test("a box row is typed as its letter, or its number")
    func rows() throws {
        #expect(try BoxRow.parse("C") == 3)
        #expect(try BoxRow.parse("c ") == 3)
        #expect(try BoxRow.parse("3") == 3)
        #expect(try BoxRow.parse("I") == 9)
        #expect(BoxRow.letter(9) == "I")
        for bad in ["", "AA", "0", "27", "é"] { #expect(throws: DomainError.self) { _ = try BoxRow.parse(bad) } }
        let record = CSVRecord(row: 1, line: 2, values: ["vialid": VialID(serial: 1).value, "boxid": "BOX-1", "row": "b", "column": "4"], fields: [VialID(serial: 1).value, "BOX-1", "b", "4"])
        #expect(try ImportRows.placement(record).position.row == 2)
    }
}
