/// Issue 28: a finished supply forecast in which some month, site and product has a probability above 20 % that a
/// patient cleared for infusion is not dosed on time (the forecast's stock-out probability) is announced once
/// (`supply.stock-out-risk`), in the transaction that stores the result. Once per forecast: the unique index
/// `stock_out_risk_once` (migration 050).
public enum StockOutRisk {
    public static let threshold = 0.2

    /// Whether the worst stock-out probability of a forecast is above the threshold.
    public static func isAtRisk(stockoutProbabilities: [Double]) -> Bool {
        (stockoutProbabilities.max() ?? 0) > threshold
    }
}
