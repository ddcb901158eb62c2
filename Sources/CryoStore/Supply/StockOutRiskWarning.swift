import CryoDomain
import CryoSupply
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// Issue 28: a finished forecast whose worst month, site and product has a stock-out probability above
    /// `StockOutRisk.threshold` is announced once (`supply.stock-out-risk`, claimed under `stock_out_risk_once`),
    /// in the transaction that stores the result.
    static func announceStockOutRisk(forecast id: Int64, result: ForecastResult, on conn: PostgresConnection, logger: Logger) async throws {
        guard StockOutRisk.isAtRisk(stockoutProbabilities: result.cells.map(\.stockoutProbability)),
              let worst = result.cells.max(by: { $0.stockoutProbability < $1.stockoutProbability }) else { return }
        let percent = String(format: "%.0f", worst.stockoutProbability * 100)
        _ = try await announceOnce([Condition(
            kind: "supply.stock-out-risk", subjectType: "supply-forecast", subjectId: String(id), occasion: "",
            entry: CustodyEntry(subjectType: "supply-forecast", subjectId: String(id), action: "supply.stock-out-risk",
                                reason: "a \(percent) % probability that a patient is not dosed on time (\(worst.product) at \(worst.location) in \(worst.month))",
                                details: ["probability": String(worst.stockoutProbability), "month": worst.month,
                                          "location": worst.location, "product": worst.product]))], on: conn, logger: logger)
    }
}
