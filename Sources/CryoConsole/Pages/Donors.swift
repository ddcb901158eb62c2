import CryoDomain
import CryoStore
import Foundation
import Hummingbird

extension Console {
    /// `/console/donors?code=…` from the workbench's donor field.
    func findDonor(_ request: Request) throws -> Response {
        let code = (request.uri.queryParameters["code"].map(String.init) ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        guard !code.isEmpty, let path = code.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-"])) else {
            return try errorPage(status: .badRequest, message: "code: give a donor code, e.g. DN-000101")
        }
        return Response.redirect(to: "/console/donors/\(path)", type: .found)
    }

    /// A donor: eligibility, screening, lots; QA records a look-back (donor found ineligible), and the page then
    /// shows what it held (lots, vials), the reservations it cancelled, and the patients already dosed.
    func donorPage(_ code: String, report: LookBackReport? = nil, message: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let donor = try await store.donor(code: code, actor: user, logger: logger)
        var content: [String: Any] = [
            "code": donor.code, "eligibility": donor.eligibility.rawValue,
            "decidedAt": donor.eligibilityDecidedAt.map(Self.timestamp) as Any,
            "screening": donor.screeningTests.map { ["test": $0.test, "result": $0.result, "testedOn": $0.testedOn] },
            "lots": donor.lots, "hlaText": donor.hla.joined(separator: " "),
            "mayLookBack": user.role.may(.lookBack) && donor.eligibility != .ineligible, "message": message as Any,
        ]
        func dosed(_ patients: [DosedPatient]) -> [[String: Any]] {
            patients.map { ["subject": $0.subjectId, "vial": $0.vialId, "lot": $0.lotNumber, "at": Self.timestamp($0.administeredAt)] }
        }
        if let report {
            content["report"] = [
                "lots": report.lotsHeld, "vials": report.vialsHeld, "vialCount": report.vialsHeld.count,
                "cancelled": report.reservationsCancelled, "outside": report.vialsOutsideStorage,
                "dosed": dosed(report.dosedPatients), "noneDosed": report.dosedPatients.isEmpty,
            ] as [String: Any]
        } else if donor.eligibility == .ineligible {
            let s = try await store.lookBackStatus(donorCode: code, actor: user, logger: logger)
            content["standing"] = [
                "lots": s.lotHolds.map(\.subjectId), "vials": s.vialHolds.map(\.subjectId), "vialCount": s.vialHolds.count,
                "dosed": dosed(s.dosedPatients), "noneDosed": s.dosedPatients.isEmpty,
            ] as [String: Any]
        }
        return try page("donor", title: "Donor \(donor.code)", content, status: status)
    }

    /// QA records the donor ineligible: the Store holds its lots and vials and names the dosed patients, in one transaction.
    func recordLookBack(_ code: String, _ request: Request) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        do {
            let report = try await store.recordDonorIneligible(code: code, reason: form["reason"] ?? "", actor: user, logger: logger)
            return try await donorPage(code, report: report)
        } catch let error as DomainError {
            if case .notFound = error { throw error }
            return try await donorPage(code, message: error.description, status: Self.status(of: error))
        }
    }
}
