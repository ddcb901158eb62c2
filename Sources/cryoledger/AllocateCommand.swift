import AllocationOptimizer
import ArgumentParser
import Foundation

struct AllocateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "allocate", abstract: "The allocation optimizer.", subcommands: [Solve.self, Plan.self, Commit.self])

    struct Solve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Solve an allocation instance (../shared/allocation/FORMAT.md v1) and print the plan; no database.",
            discussion: "Exit 0 with a plan, 2 when the instance is invalid (the message names the JSON path).")
        @Option(help: "The instance, a JSON file.") var input: String
        @Option(help: "Overall time limit in seconds (the optimizer spreads it over the levels).") var timeLimit: Double?
        @Option(help: "Write the plan here instead of standard output.") var output: String?

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: input) else {
                FileHandle.standardError.write(Data("error: input: cannot read \(input)\n".utf8))
                throw ExitCode(2)
            }
            let instance: AllocationInstance
            do {
                instance = try AllocationInstanceParser.parse(data)
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(2)
            }
            if let timeLimit, !(timeLimit > 0) {
                FileHandle.standardError.write(Data("error: time-limit: must be a positive number of seconds\n".utf8))
                throw ExitCode(2)
            }
            let plan = AllocationSolver.solve(instance, options: SolveOptions(timeLimitSeconds: timeLimit)).planJSON()
            if let output {
                do { try plan.write(to: URL(fileURLWithPath: output)) } catch {
                    FileHandle.standardError.write(Data("error: output: cannot write \(output): \(error.localizedDescription)\n".utf8))
                    throw ExitCode(1)
                }
            } else {
                FileHandle.standardOutput.write(plan)
                FileHandle.standardOutput.write(Data("\n".utf8))
            }
        }
    }
}
