import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// QA's look-back form: why the donor is ineligible.
struct LookBackForm: Decodable, Sendable { var reason: String? }

/// A donor: eligibility, screening, lots; after a look-back, what it held (lots, vials), the reservations it
/// cancelled, and the patients already dosed.
struct DonorPage: PageView {
    static let template = "donor"
    struct Screening: Sendable { let test: String, result: String, testedOn: String }
    struct Dosed: Sendable { let subject: String, vial: String, lot: String, at: String }
    /// What the look-back holds: shown right after it (`report`, with what it cancelled) or later (`standing`).
    struct LookBack: Sendable {
        let lots: [String], vials: [String], vialCount: Int, dosed: [Dosed], noneDosed: Bool
        var cancelled: [String] = [], outside: [String] = []
    }
    var title: String { "Donor \(code)" }
    let code: String
    let eligibility: String
    let decidedAt: String?
    let screening: [Screening]
    let lots: [String]
    let hlaText: String
    let mayLookBack: Bool
    let report: LookBack?
    let standing: LookBack?
    let message: String?
    let reason: String?
}

extension Console {
    /// `/console/donors?code=…` from the workbench's donor field.
    func findDonor(_ text: String) throws -> Response {
        let code = text.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        guard !code.isEmpty, let path = code.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-"])) else {
            return try errorPage(status: .badRequest, message: "code: give a donor code, e.g. DN-000101")
        }
        return Response.redirect(to: "/console/donors/\(path)", type: .found)
    }

    func donorPage(_ code: String, report: LookBackReport? = nil, refused: (form: LookBackForm, refusal: Refusal)? = nil,
                   status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let donor = try await store.donor(code: code, actor: user, logger: logger)
        func dosed(_ patients: [DosedPatient]) -> [DonorPage.Dosed] {
            patients.map { .init(subject: $0.subjectId, vial: $0.vialId, lot: $0.lotNumber, at: Self.timestamp($0.administeredAt)) }
        }
        var standing: DonorPage.LookBack?
        if report == nil, donor.eligibility == .ineligible {
            let s = try await store.lookBackStatus(donorCode: code, actor: user, logger: logger)
            standing = .init(lots: s.lotHolds.map(\.subjectId), vials: s.vialHolds.map(\.subjectId), vialCount: s.vialHolds.count,
                             dosed: dosed(s.dosedPatients), noneDosed: s.dosedPatients.isEmpty)
        }
        let view = DonorPage(
            code: donor.code, eligibility: donor.eligibility.rawValue, decidedAt: donor.eligibilityDecidedAt.map(Self.timestamp),
            screening: donor.screeningTests.map { .init(test: $0.test, result: $0.result, testedOn: "\($0.testedOn)") },
            lots: donor.lots, hlaText: donor.hla.joined(separator: " "),
            mayLookBack: user.role.may(.lookBack) && donor.eligibility != .ineligible,
            report: report.map { r in
                .init(lots: r.lotsHeld, vials: r.vialsHeld, vialCount: r.vialsHeld.count, dosed: dosed(r.dosedPatients),
                      noneDosed: r.dosedPatients.isEmpty, cancelled: r.reservationsCancelled, outside: r.vialsOutsideStorage)
            },
            standing: standing, message: refused?.refusal.items.first?.message, reason: refused?.form.reason)
        return try render(view, status: status, refusal: refused?.refusal,
                          confirmation: report.map { _ in "✓ Look-back recorded: donor \(donor.code) is ineligible; its lots and vials are on hold" })
    }

    /// QA records the donor ineligible: the Store holds its lots and vials and names the dosed patients, in one transaction.
    func recordLookBack(_ code: String, _ form: LookBackForm) async throws -> Response {
        let user = try signedIn()
        do {
            let report = try await store.recordDonorIneligible(code: code, reason: form.reason ?? "", actor: user, logger: logger)
            return try await donorPage(code, report: report)
        } catch let error as DomainError {
            if case .notFound = error { throw error }
            return try await donorPage(code, refused: (form, Refusal(error, fields: ["reason": "look-back-reason"])),
                                       status: HTTPResponse.Status(code: error.httpStatus))
        }
    }
}
