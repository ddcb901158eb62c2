/// What a forecast run reports: expectations over its replications.
public struct ForecastResult: Codable, Sendable, Equatable {
    public var runs: Int
    public var seed: UInt64
    public var months: [String]
    public var sites: [String]
    public var products: [String]
    /// Share of patients dosed within `targetHours` of clearance, and its standard error over replications.
    public var serviceLevel: Double
    public var serviceStandardError: Double
    /// The same for patients with at least one anti-HLA antibody.
    public var dsaServiceLevel: Double?
    public var patientsPerRun: Double
    public var dsaPatientsPerRun: Double
    public var expiredVialsPerRun: Double
    public var shipmentsPerRun: Double
    public var shippedVialsPerRun: Double
    /// Expected missed patients per run, by cause.
    public var misses: [CauseShare]
    /// Share of patients by time from clearance to a dose at the site.
    public var waits: [WaitShare]
    public var cells: [MonthCell]
    public var fan: [FanSeries]

    public struct CauseShare: Codable, Sendable, Equatable { public var cause: String; public var perRun: Double }
    public struct WaitShare: Codable, Sendable, Equatable { public var wait: String; public var share: Double }

    /// One month, site (or the depot) and product.
    public struct MonthCell: Codable, Sendable, Equatable {
        public var month: String
        public var location: String
        public var product: String
        /// Probability that at least one patient cleared that month at that site is not dosed on time.
        public var stockoutProbability: Double
        public var expectedExpiredVials: Double
        public var expectedDoses: Double
    }

    /// Usable vials at each month boundary (the first is today): 5th, 50th and 95th percentiles.
    public struct FanSeries: Codable, Sendable, Equatable {
        public var location: String
        public var product: String
        public var p5: [Double]
        public var p50: [Double]
        public var p95: [Double]
    }

    public func misses(_ cause: MissCause) -> Double { misses.first { $0.cause == cause.sentence }?.perRun ?? 0 }
}
