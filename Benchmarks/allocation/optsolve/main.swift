// A tiny front end to the AllocationOptimizer library for the benchmark, with the options of
// `cryoledger allocate solve`: optsolve --input FILE [--time-limit SECONDS] [--output FILE].
import AllocationOptimizer
import Foundation

var input: String?
var output: String?
var timeLimit: Double?
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--input": input = args.popFirst()
    case "--output": output = args.popFirst()
    case "--time-limit": timeLimit = args.popFirst().flatMap(Double.init)
    default:
        FileHandle.standardError.write(Data("usage: optsolve --input FILE [--time-limit SECONDS] [--output FILE]\n".utf8))
        exit(2)
    }
}
guard let input, let data = FileManager.default.contents(atPath: input) else {
    FileHandle.standardError.write(Data("optsolve: cannot read --input\n".utf8))
    exit(2)
}
do {
    let instance = try AllocationInstanceParser.parse(data)
    let result = AllocationSolver.solve(instance, options: SolveOptions(timeLimitSeconds: timeLimit))
    let plan = result.planJSON()
    if let output {
        try plan.write(to: URL(fileURLWithPath: output))
    } else {
        FileHandle.standardOutput.write(plan)
    }
} catch let error as InstanceError {
    FileHandle.standardError.write(Data("invalid instance: \(error)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("optsolve: \(error)\n".utf8))
    exit(1)
}
