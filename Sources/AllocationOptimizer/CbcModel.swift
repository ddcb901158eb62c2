import CCbc
import Foundation
import Synchronization

/// CBC keeps global state and is not thread-safe (STACK-NOTES.md): every call into it
/// goes through this one lock, for the whole process.
private let cbcLock = Mutex<Void>(())

/// A mixed-integer programme in Swift arrays, minimised by `solve`.
struct MIPModel: Sendable {
    var colLower: [Double] = []
    var colUpper: [Double] = []
    var isInteger: [Bool] = []
    var rowLower: [Double] = []
    var rowUpper: [Double] = []
    /// Row-wise entries: (row, column, value).
    private(set) var entryRow: [Int32] = []
    private(set) var entryCol: [Int32] = []
    private(set) var entryValue: [Double] = []

    var columnCount: Int { colLower.count }
    var rowCount: Int { rowLower.count }

    mutating func addColumn(lower: Double, upper: Double, integer: Bool) -> Int {
        colLower.append(lower)
        colUpper.append(upper)
        isInteger.append(integer)
        return colLower.count - 1
    }

    mutating func addRow(_ entries: [(Int, Double)], lower: Double, upper: Double) {
        let r = Int32(rowLower.count)
        rowLower.append(lower)
        rowUpper.append(upper)
        for (c, v) in entries where v != 0 {
            entryRow.append(r)
            entryCol.append(Int32(c))
            entryValue.append(v)
        }
    }

    /// Compressed sparse columns, as `Cbc_loadProblem` takes them.
    func columnMajor() -> (start: [Int32], index: [Int32], value: [Double]) {
        var count = [Int32](repeating: 0, count: columnCount + 1)
        for c in entryCol { count[Int(c) + 1] += 1 }
        for i in 0..<columnCount { count[i + 1] += count[i] }
        var fill = count
        var index = [Int32](repeating: 0, count: entryCol.count)
        var value = [Double](repeating: 0, count: entryCol.count)
        for e in entryCol.indices {
            let c = Int(entryCol[e])
            let at = Int(fill[c])
            index[at] = entryRow[e]
            value[at] = entryValue[e]
            fill[c] += 1
        }
        return (count, index, value)
    }
}

struct MIPOutcome: Sendable {
    /// The best solution found (the start when CBC found none better), nil if none.
    var values: [Double]?
    var objective: Double?
    /// A lower bound on the optimum.
    var bound: Double
    var provenOptimal: Bool
    var provenInfeasible: Bool
    var seconds: Double
}

enum CbcSolver {
    /// Minimises `objective` over `model`, starting from `start` (a feasible point, if any).
    static func solve(_ model: MIPModel, objective: [Double], start: [Double]?, timeLimit: Double) -> MIPOutcome {
        let (colStart, index, value) = model.columnMajor()
        let began = ContinuousClock.now
        return cbcLock.withLock { _ in
            guard let cbc = Cbc_newModel() else {
                return MIPOutcome(values: nil, objective: nil, bound: -.infinity, provenOptimal: false,
                                  provenInfeasible: false, seconds: 0)
            }
            defer { Cbc_deleteModel(cbc) }
            colStart.withUnsafeBufferPointer { s in
                index.withUnsafeBufferPointer { i in
                    value.withUnsafeBufferPointer { v in
                        Cbc_loadProblem(cbc, Int32(model.columnCount), Int32(model.rowCount),
                                        s.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CoinBigIndex.self) },
                                        i.baseAddress, v.baseAddress, model.colLower, model.colUpper, objective,
                                        model.rowLower, model.rowUpper)
                    }
                }
            }
            for (c, integer) in model.isInteger.enumerated() where integer { Cbc_setInteger(cbc, Int32(c)) }
            Cbc_setObjSense(cbc, 1)
            Cbc_setLogLevel(cbc, 0)
            // The LP solver's own messages (Coin0505I ...) would otherwise reach standard output.
            Cbc_setParameter(cbc, "slogLevel", "0")
            Cbc_setMaximumSeconds(cbc, max(0.05, timeLimit))
            Cbc_setParameter(cbc, "timeMode", "elapsed")
            // There is always a feasible start, so the feasibility pump only costs time.
            Cbc_setParameter(cbc, "feas", "off")
            // CBC 2.10.8 can crash (in Cgl) when the time limit ends a solve that preprocessed the model.
            Cbc_setParameter(cbc, "preprocess", "off")
            Cbc_setAllowableGap(cbc, 0)
            Cbc_setAllowableFractionGap(cbc, 0)
            Cbc_setAllowablePercentageGap(cbc, 0)
            if let start {
                // Cbc_setMIPStartI makes CBC 2.10 throw (ClpModel::getColumnName, illegal index) on some
                // models; the initial solution is checked by CBC (setBestSolution with checking on) instead.
                Cbc_setInitialSolution(cbc, start)
            }
            Cbc_solve(cbc)
            let seconds = (ContinuousClock.now - began).seconds
            let proven = Cbc_isProvenOptimal(cbc) != 0
            let infeasible = Cbc_isProvenInfeasible(cbc) != 0
            var bound = Cbc_getBestPossibleObjValue(cbc)
            var values: [Double]? = nil
            var obj: Double? = nil
            if let best = Cbc_bestSolution(cbc) {
                values = Array(UnsafeBufferPointer(start: best, count: model.columnCount))
                obj = zip(values!, objective).reduce(0) { $0 + $1.0 * $1.1 }
            }
            if proven, let o = obj { bound = max(bound, o) }
            return MIPOutcome(values: values, objective: obj, bound: bound, provenOptimal: proven,
                              provenInfeasible: infeasible, seconds: seconds)
        }
    }
}

extension Duration {
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}
