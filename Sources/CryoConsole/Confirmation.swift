import Hummingbird

/// What an action just did, named by the redirect after it (`?done=…`) and said at the top of the page it lands
/// on (`role="status"`). Only these sentences can be shown, and each page shows one only when its records bear
/// it out, so a crafted link cannot make the console say something that did not happen.
enum Confirmation: String, Sendable {
    case qcRecorded = "qc-recorded"
    case released, rejected
    case holdPlaced = "hold-placed", holdLifted = "hold-lifted"
    case reading, excursion
    case enrolled, dlt, confirmed
    case moved
    case committed, picked, shipped, received, thawed, administered, cleared, rescheduled
    case lymphodepletion = "ld-recorded"

    init?(_ request: Request) {
        guard let done = request.uri.queryParameters["done"].map(String.init) else { return nil }
        self.init(rawValue: done)
    }

    /// The query value that names what the confirmation is about (a test, a patient, a decision).
    static func subject(_ request: Request) -> String? {
        request.uri.queryParameters["about"].map(String.init)
    }

    /// `?done=…&about=…` for a redirect.
    func query(about: String? = nil) -> String {
        "done=\(rawValue)" + (about.map { "&about=\(Console.queryValue($0))" } ?? "")
    }
}
