/// What a forecast run may be asked for: its horizon and its number of replications.
/// The API, the console and the CLI check through here; `supply_forecast.runs` holds the same bounds.
public enum SupplyForecastRequest {
    public static let months = 1...60
    public static let runs = 1...1_000_000

    public static func check(months m: Int, runs r: Int) throws(DomainError) {
        guard months.contains(m) else { throw .invalid(field: "months", rule: "must be a whole number of months from 1 to 60") }
        guard runs.contains(r) else { throw .invalid(field: "runs", rule: "must be from 1 to 1,000,000 replications") }
    }

    public static func check(seed: Int64) throws(DomainError) {
        guard seed >= 0 else { throw .invalid(field: "seed", rule: "must be a whole number from 0") }
    }
}
