import ArgumentParser
import CryoDomain
import CryoStore
import Foundation

extension CohortDecision: ExpressibleByArgument {}

struct StudyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "study", abstract: "Studies, cohorts and routes (clinical).",
                                                    subcommands: [Create.self, Show.self, Route.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a study from a JSON file shaped like the API's StudyInput.")
        @OptionGroup var user: UserOptions
        @Option(help: "The study definition, JSON.") var file: String
        func run() async throws {
            try await runReporting {
                guard let data = FileManager.default.contents(atPath: file) else { throw DomainError.invalid(field: "file", rule: "cannot read \(file)") }
                let definition = try StudyFile.decode(data)
                let study = try await Database.withStore { store, logger in
                    try await store.createStudy(definition, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(study, user.format) { StudyFile.describe($0) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a study and its cohorts.")
        @OptionGroup var user: UserOptions
        @Argument var code: String
        func run() async throws {
            try await runReporting {
                let study = try await Database.withStore { store, logger in
                    try await store.study(code: code, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(study, user.format) { StudyFile.describe($0) }
            }
        }
    }

    struct Route: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the transit days from a depot to a clinical site.")
        @OptionGroup var user: UserOptions
        @Option var from: String
        @Option var to: String
        @Option var days: Int
        func run() async throws {
            try await runReporting {
                try await Database.withStore { store, logger in
                    try await store.createRoute(from: from, to: to, days: days, actor: try await user.principal(store, logger), logger: logger)
                }
                print("route \(from) -> \(to): \(days) days")
            }
        }
    }
}

/// The study file is the API's StudyInput, decoded with the same field names.
enum StudyFile {
    struct Input: Decodable {
        struct Indication: Decodable { var code: String; var name: String }
        struct Arm: Decodable { var code: String; var lymphodepletion: String; var name: String }
        struct Dose: Decodable { var code: String; var ordinal: Int; var targetCells: Int64; var basis: String }
        var code: String; var name: String; var productCode: String; var dltWindowDays: Int; var slotLeadDays: Int?
        var indications: [Indication]; var arms: [Arm]; var doseLevels: [Dose]; var sites: [String]; var criteria: [StudyDefinition.Criterion]
    }

    static func decode(_ data: Data) throws -> StudyDefinition {
        let i: Input
        do { i = try JSONDecoder().decode(Input.self, from: data) } catch {
            throw DomainError.invalid(field: "file", rule: "not a study definition: \(error)")
        }
        var arms: [StudyDefinition.Arm] = []
        for (n, a) in i.arms.enumerated() {
            guard let ld = Lymphodepletion(rawValue: a.lymphodepletion) else { throw DomainError.invalid(field: "arms[\(n)].lymphodepletion", rule: "flu-cy, cy or none") }
            arms.append(.init(code: a.code, lymphodepletion: ld, name: a.name))
        }
        var doses: [StudyDefinition.DoseLevel] = []
        for (n, d) in i.doseLevels.enumerated() {
            guard let basis = DoseBasis(rawValue: d.basis) else { throw DomainError.invalid(field: "doseLevels[\(n)].basis", rule: "flat or per-kg") }
            doses.append(.init(code: d.code, ordinal: d.ordinal, targetCells: d.targetCells, basis: basis))
        }
        return StudyDefinition(code: i.code, name: i.name, productCode: i.productCode, dltWindowDays: i.dltWindowDays, slotLeadDays: i.slotLeadDays ?? 21,
                               indications: i.indications.map { .init(code: $0.code, name: $0.name) }, arms: arms, doseLevels: doses,
                               sites: i.sites, criteria: i.criteria)
    }

    static func describe(_ s: StudyRecord) -> String {
        var lines = ["study \(s.code): \(s.name) (\(s.productCode)); DLT window \(s.dltWindowDays) days; sites \(s.sites.joined(separator: ", "))",
                     "eligibility: \(s.criteria.count) criteria", "cohorts:"]
        for c in s.cohorts {
            lines.append("  \(c.id)\t\(c.state)\(c.outcome.map { " (\($0))" } ?? "")\t\(c.enrolled)/\(c.capacity)\t\(c.targetCells) cells \(c.basis)")
        }
        return lines.joined(separator: "\n")
    }
}

struct PatientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "patient", abstract: "Enrolled patients and their DLTs (clinical).",
                                                    subcommands: [Enroll.self, Show.self, Dlt.self, Readiness.self, LymphodepletionGiven.self, Clear.self, Reschedule.self])

    struct Enroll: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enrol a patient; refused, naming the items, unless every eligibility criterion is answered and satisfied.")
        @OptionGroup var user: UserOptions
        @Option(help: "Coded subject id.") var subject: String
        @Option var study: String
        @Option var site: String
        @Option(help: "Cohort id, STUDY/INDICATION/DOSE/ARM.") var cohort: String
        @Option(help: "Body weight in kg.") var weight: Double
        @Option(help: "Planned infusion date.") var infusionOn: String
        @Option(help: "Planned lymphodepletion start (arms with lymphodepletion).") var ldStartOn: String?
        @Option(help: "Anti-HLA antibodies, comma-separated, e.g. A*02,B*44:02.") var antiHla: String = ""
        @Option(name: .customLong("answer"), help: "A checklist answer CODE=yes|no; repeat.") var answers: [String] = []
        @Flag(help: "Record every criterion of the study as satisfied (the investigator's attestation), besides any --answer.") var allSatisfied = false
        func run() async throws {
            try await runReporting {
                var given: [EligibilityAnswer] = []
                for (i, a) in answers.enumerated() {
                    guard let m = a.wholeMatch(of: /([a-z0-9-]+)=(yes|no)/) else { throw DomainError.invalid(field: "answer[\(i)]", rule: "must be CODE=yes or CODE=no") }
                    given.append(EligibilityAnswer(criterion: String(m.1), satisfied: m.2 == "yes"))
                }
                let base = Enrolment(subjectId: subject, studyCode: study, siteCode: site, cohortId: cohort, weightKg: weight,
                                     ldStartOn: try ldStartOn.map { try day($0, "ldStartOn") }, infusionOn: try day(infusionOn, "infusionOn"),
                                     antiHla: antiHla.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }, eligibility: given)
                let patient = try await Database.withStore { [base, given] store, logger in
                    let actor = try await user.principal(store, logger)
                    var e = base
                    if allSatisfied {
                        let s = try await store.study(code: study, actor: actor, logger: logger)
                        let answered = Set(given.map(\.criterion))
                        let indication = cohort.split(separator: "/").dropFirst().first.map(String.init)
                        e.eligibility += s.criteria.filter { ($0.indication == nil || $0.indication == indication) && !answered.contains($0.code) }
                            .map { EligibilityAnswer(criterion: $0.code, satisfied: true) }
                    }
                    return try await store.enrollPatient(e, actor: actor, logger: logger)
                }
                Output.emit(patient, user.format) { "enrolled \($0.subjectId) in \($0.cohortId) at \($0.siteCode); target \($0.targetCells) CAR+ cells, infusion \($0.infusionOn)" }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a patient (an auditor's read is logged).")
        @OptionGroup var user: UserOptions
        @Argument var subject: String
        func run() async throws {
            try await runReporting {
                let p = try await Database.withStore { store, logger in
                    try await store.patient(subjectId: subject, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(p, user.format) { p in
                    """
                    patient \(p.subjectId): \(p.status), \(p.studyCode) cohort \(p.cohortId), site \(p.siteCode)
                    weight \(p.weightKg) kg, target \(p.targetCells) cells, infusion \(p.infusionOn)\(p.ldStartOn.map { ", LD from \($0)" } ?? "")
                    anti-HLA: \(p.antiHla.isEmpty ? "none" : p.antiHla.joined(separator: " "))
                    reserved vials: \(p.reservedVials.isEmpty ? "none" : p.reservedVials.joined(separator: ", "))
                    DLTs: \(p.dlts.isEmpty ? "none" : p.dlts.map { "grade \($0.grade) \($0.description) (\($0.onsetOn))" }.joined(separator: "; "))
                    """
                }
            }
        }
    }

    struct Dlt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a dose-limiting toxicity within the DLT window.")
        @OptionGroup var user: UserOptions
        @Argument var subject: String
        @Option var description: String
        @Option(help: "CTCAE grade, 3 to 5.") var grade: Int
        @Option(help: "Onset date.") var onsetOn: String
        func run() async throws {
            try await runReporting {
                let onset = try day(onsetOn, "onsetOn")
                let p = try await Database.withStore { store, logger in
                    try await store.recordDlt(subjectId: subject, description: description, grade: grade, onsetOn: onset,
                                              actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(p, user.format) { "DLT recorded for \($0.subjectId); \($0.dlts.count) in all" }
            }
        }
    }
}

struct CohortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cohort", abstract: "The 3+3 engine: what a cohort should do next.",
                                                    subcommands: [Decision.self, Confirm.self])

    static func describe(_ d: CohortDecisionRecord) -> String {
        """
        cohort \(d.cohort.id): \(d.cohort.state), \(d.cohort.enrolled)/\(d.cohort.capacity) enrolled, \(d.treated) treated, \(d.evaluable) evaluable, \(d.patientsWithDlt) with DLT
        decision: \(d.decision)\(d.actionable ? " (awaits a signed clinical decision)" : "") — \(d.rationale)
        """ + (d.history.isEmpty ? "" : "\nhistory:\n" + d.history.map { "  " + $0 }.joined(separator: "\n"))
    }

    struct Decision: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What the 3+3 rules say for a cohort now.")
        @OptionGroup var user: UserOptions
        @Argument var cohort: String
        func run() async throws {
            try await runReporting {
                let d = try await Database.withStore { store, logger in
                    try await store.cohortDecision(cohortId: cohort, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(d, user.format) { CohortCommand.describe($0) }
            }
        }
    }

    struct Confirm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Confirm the decision (clinical): an electronic signature, password on standard input.")
        @OptionGroup var user: UserOptions
        @Argument var cohort: String
        @Option(help: "escalate, expand, stop or de-escalate.") var decision: CohortDecision
        @Option(help: "Meaning of the signature.") var meaning: String
        func run() async throws {
            try await runReporting {
                let signature = readSignature(meaning)
                let d = try await Database.withStore { store, logger in
                    try await store.confirmCohortDecision(cohortId: cohort, decision: decision, signature: signature,
                                                          actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(d, user.format) { CohortCommand.describe($0) }
            }
        }
    }
}
