import ArgumentParser
import CryoDomain
import CryoStore
import Foundation

extension DonorEligibility: ExpressibleByArgument {}

struct DonorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "donor", abstract: "Donors: coded ids, eligibility, HLA typing.",
                                                    subcommands: [Register.self, Show.self, LookBack.self])

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a donor.")
        @OptionGroup var user: UserOptions
        @Option(help: "Coded donor id, DN-NNNNNN.") var code: String
        @Option(help: "eligible, ineligible or pending.") var eligibility: DonorEligibility
        @Option(help: "HLA alleles, comma-separated, e.g. A*02:01,A*24:02,B*07:02.") var hla: String = ""
        @Option(name: .customLong("test"), help: "Screening test as NAME=RESULT@YYYY-MM-DD; repeat.") var tests: [String] = []

        func run() async throws {
            try await runReporting {
                var screening: [ScreeningTest] = []
                for (i, t) in tests.enumerated() {
                    guard let m = t.wholeMatch(of: /(.+)=([a-z-]+)@([0-9-]+)/) else {
                        throw DomainError.invalid(field: "test[\(i)]", rule: "must be NAME=RESULT@YYYY-MM-DD")
                    }
                    screening.append(ScreeningTest(test: String(m.1), result: String(m.2), testedOn: try day(String(m.3), "test[\(i)]")))
                }
                let request = DonorRegistration(code: code, eligibility: eligibility, screeningTests: screening,
                                                hla: hla.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                let donor = try await Database.withStore { store, logger in
                    try await store.registerDonor(request, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(donor, user.format) { "registered donor \($0.code) (\($0.eligibility)); HLA \($0.hla.joined(separator: " "))" }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a donor.")
        @OptionGroup var user: UserOptions
        @Argument var code: String
        func run() async throws {
            try await runReporting {
                let donor = try await Database.withStore { store, logger in
                    try await store.donor(code: code, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(donor, user.format) { d in
                    """
                    donor \(d.code): \(d.eligibility)
                    HLA: \(d.hla.joined(separator: " "))
                    screening: \(d.screeningTests.map { "\($0.test)=\($0.result) (\($0.testedOn))" }.joined(separator: ", "))
                    lots: \(d.lots.isEmpty ? "none" : d.lots.joined(separator: ", "))
                    """
                }
            }
        }
    }
}
