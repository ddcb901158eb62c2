import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// A temperature reading as the form sends it.
struct TemperatureForm: Decodable, Sendable {
    var celsius: String?
    var measuredAt: String?
    var probe: String?
}

/// A freezer's temperature history: every reading, its excursions and the vials each one put on hold;
/// manufacturing and QA record a reading here as with `POST /freezers/{id}/temperatures`.
struct TemperaturesPage: PageView {
    static let template = "temperatures"
    struct Reading: Sendable {
        struct Vial: Sendable { let id: String; let stillHeld: Bool }
        let id: Int64, when: String, celsius: String, probe: String, excursion: Bool, vials: [Vial], vialCount: Int
    }
    var title: String { "Freezer \(freezer): temperatures and excursions" }
    let freezer: String
    let readings: [Reading]
    let empty: Bool
    let excursions: [Reading]
    let noExcursions: Bool
    let canRecord: Bool
    /// The values of a refused reading, kept.
    let form: TemperatureForm
}

extension Console {
    static let temperatureFields = ["celsius": "celsius", "measuredAt": "measuredAt", "probe": "probe"]

    func temperaturePage(_ id: String, done: Confirmation? = nil, refused: (form: TemperatureForm, refusal: Refusal)? = nil,
                         status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let readings = try await store.temperatureReadings(freezerId: id, limit: 500, actor: user, logger: logger)
        let held = Set(try await store.listHolds(subject: .vial, id: nil, activeOnly: true, actor: user, logger: logger).map(\.subjectId))
        let rows = readings.map { r in
            TemperaturesPage.Reading(id: r.id, when: Self.timestamp(r.measuredAt), celsius: String(format: "%.1f", r.celsius), probe: r.probe ?? "—",
                                     excursion: r.excursion, vials: r.heldVials.map { .init(id: $0, stillHeld: held.contains($0)) },
                                     vialCount: r.heldVials.count)
        }
        let view = TemperaturesPage(freezer: id, readings: rows, empty: rows.isEmpty, excursions: rows.filter(\.excursion),
                                    noExcursions: !rows.contains(where: \.excursion), canRecord: user.role.may(.recordTemperature),
                                    form: refused?.form ?? TemperatureForm())
        // The latest reading bears the confirmation out: an excursion only when it is one.
        let latest = readings.max { $0.id < $1.id }
        let confirmation: String? = switch done {
        case .excursion where latest?.excursion == true: "✓ Reading recorded: an excursion; the vials exposed are on hold (below)"
        case .reading where latest?.excursion == false: "✓ Reading recorded, within limits"
        default: nil
        }
        return try render(view, status: status, refusal: refused?.refusal, confirmation: confirmation)
    }

    func recordTemperature(_ id: String, _ form: TemperatureForm) async throws -> Response {
        let user = try signedIn()
        do {
            guard let celsius = Double((form.celsius ?? "").trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ".")) else {
                throw DomainError.invalid(field: "celsius", rule: "a temperature in °C, e.g. -185.5")
            }
            let when = try Self.utcMinute(form.measuredAt ?? "", field: "measuredAt") ?? Date()
            let reading = try await store.recordTemperature(freezerId: id, celsius: celsius, measuredAt: when, probe: form.probe?.nonEmpty,
                                                            actor: user, logger: logger)
            let done: Confirmation = reading.excursion ? .excursion : .reading
            return Response.redirect(to: "/console/freezers/\(id)/temperatures?\(done.query())", type: .normal)
        } catch let error as DomainError {
            if case .forbidden = error { throw error }
            return try await temperaturePage(id, refused: (form, Refusal(error, fields: Self.temperatureFields)),
                                             status: HTTPResponse.Status(code: error.httpStatus))
        }
    }

    /// A `datetime-local` value read as UTC (the form says so); nil when empty.
    static func utcMinute(_ text: String, field: String) throws -> Date? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return nil }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        let full = text.count == 16 ? text + ":00Z" : text + "Z"
        guard let date = f.date(from: full) else { throw DomainError.invalid(field: field, rule: "a date and time (UTC), YYYY-MM-DDTHH:MM") }
        return date
    }
}
