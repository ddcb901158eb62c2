import AllocationOptimizer

/// The allocation rules the forecast calls (FORMAT.md rules 4 and 6), under short names.
enum AllocationRulesBridge {
    static func hits(_ antibody: String, _ hla: [String]) -> Bool { !AllocationRules.antibodyHits(antiHla: [antibody], donorHla: hla).isEmpty }
    static func vials(_ targetCells: Int, _ cellsPerVial: Int, _ tolerancePct: Int) -> Int? {
        AllocationRules.vialCount(targetCells: targetCells, cellsPerVial: cellsPerVial, tolerancePct: tolerancePct)
    }
}
