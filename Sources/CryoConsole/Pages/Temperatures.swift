import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// A freezer's temperature history: every reading, its excursions and the vials each one put on hold;
/// manufacturing and QA record a reading here as with `POST /freezers/{id}/temperatures`.
extension Console {
    func temperaturePage(_ id: String, recorded: String? = nil, form: [String: String] = [:], errors: [String: Any] = [:],
                         status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let readings = try await store.temperatureReadings(freezerId: id, limit: 500, actor: user, logger: logger)
        let held = Set(try await store.listHolds(subject: .vial, id: nil, activeOnly: true, actor: user, logger: logger).map(\.subjectId))
        func row(_ r: TemperatureRecord) -> [String: Any] {
            ["id": r.id, "when": Self.timestamp(r.measuredAt), "celsius": String(format: "%.1f", r.celsius), "probe": r.probe ?? "—",
             "excursion": r.excursion, "vials": r.heldVials.map { ["id": $0, "stillHeld": held.contains($0)] }, "vialCount": r.heldVials.count]
        }
        var content: [String: Any] = [
            "freezer": id, "readings": readings.map(row), "empty": readings.isEmpty,
            "excursions": readings.filter(\.excursion).map(row), "noExcursions": !readings.contains(where: \.excursion),
            "canRecord": user.role.may(.recordTemperature),
            // Named by the redirect after recording; only these two texts can be shown.
            "notice": ["excursion": "excursion recorded: the vials exposed are on hold (below)", "ok": "reading recorded, within limits"][recorded ?? ""] as Any,
            "form": ["celsius": form["celsius"] ?? "", "measuredAt": form["measuredAt"] ?? "", "probe": form["probe"] ?? ""],
        ]
        content.merge(errors) { _, new in new }
        return try page("temperatures", title: "Freezer \(id): temperatures and excursions", content, status: status)
    }

    func recordTemperatureForm(_ id: String, _ request: Request) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        do {
            guard let celsius = Double((form["celsius"] ?? "").trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ".")) else {
                throw DomainError.invalid(field: "celsius", rule: "a temperature in °C, e.g. -185.5")
            }
            let when = try Self.utcMinute(form["measuredAt"] ?? "", field: "measuredAt") ?? Date()
            let probe = form["probe"].flatMap { $0.isEmpty ? nil : $0 }
            let reading = try await store.recordTemperature(freezerId: id, celsius: celsius, measuredAt: when, probe: probe, actor: user, logger: logger)
            return Response.redirect(to: "/console/freezers/\(id)/temperatures?recorded=\(reading.excursion ? "excursion" : "ok")", type: .normal)
        } catch let error as DomainError {
            if case .forbidden = error { throw error }
            return try await temperaturePage(id, form: form, errors: FieldErrors.context(error, fields: ["celsius", "measuredAt", "probe"]),
                                             status: FieldErrors.status(error))
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
