import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// The bedside: each patient's readiness (infusion day, lymphodepletion, signed clearance: rule 8), thaw with the vial
/// and the band scanned (the clock to the product's thaw-to-infusion limit starts and is shown), then scan the
/// patient's id and the vial's id, see the match, and sign the administration. The Store checks the scan and
/// logs a refusal (`vial.administration-refused`) before anything is signed, and checks again when signing.
extension Console {
    static let administrationMeaning = "administered to the patient identified at the bedside"

    func registerBedside<Context: RequestContext>(_ group: RouterGroup<Context>) {
        group.get("bedside") { _, _ in try await self.bedsidePage() }
        group.post("bedside/thaw") { request, _ in try await self.thaw(request) }
        group.post("bedside/check") { request, _ in try await self.bedsideCheck(request) }
        group.post("bedside/administer") { request, _ in try await self.administer(request) }
        registerReadiness(group)
    }

    func bedsidePage(thawMessage: String? = nil, readinessMessage: (subject: String, text: String)? = nil, done: String? = nil,
                     form: [String: String] = [:], status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let vials = try await store.bedsideVials(actor: user, logger: logger)
        let mayDispense = user.role.may(.dispense), mayPrepare = user.role.may(.prepareInfusion)
        let sites = Dictionary(grouping: vials, by: \.siteCode).sorted { $0.key < $1.key }.map { site, vials in
            ["site": site, "vials": vials.map { Self.bedsideRow($0, mayDispense: mayDispense, form: form) }] as [String: Any]
        }
        var seen = Set<String>()
        let patients = vials.compactMap(\.readiness).filter { seen.insert($0.subjectId).inserted }.map { r -> [String: Any] in
            var view = Self.readinessView(r, mayPrepare: mayPrepare)
            if readinessMessage?.subject == r.subjectId { view["message"] = readinessMessage?.text }
            return view
        }
        return try page("bedside", title: "Bedside: thaw and administer", [
            "sites": sites, "none": vials.isEmpty, "mayDispense": mayDispense, "thawMessage": thawMessage as Any, "done": done as Any,
            "patients": patients, "readinessMessage": readinessMessage?.text as Any,
        ], status: status)
    }

    /// A vial's row; the thaw form (vial and band scanned) is offered only once the patient is ready today.
    static func bedsideRow(_ v: BedsideVial, mayDispense: Bool, form: [String: String] = [:]) -> [String: Any] {
        let received = v.status == .received && v.blockers == nil
        return ["vial": v.vialId, "subject": v.subjectId, "lot": v.lotNumber, "product": v.productCode, "status": v.status.rawValue,
                "glyph": (v.blockers == nil ? VialGlyph(status: v.status.rawValue) : VialGlyph.held).symbol, "blockers": v.blockers as Any,
                "limit": v.thawLimitMinutes, "canThaw": mayDispense && received && v.readiness?.ready == true,
                "waiting": received && v.readiness?.ready != true ? (v.readiness?.notReady ?? "readiness unknown") : nil as String?,
                "infusionOn": v.readiness?.infusionOn ?? "", "scannedVial": form["vialId"] == v.vialId ? form["scannedVialId"] ?? "" : "",
                "clock": v.infuseBy.map { clock($0, thawedAt: v.thawedAt) } as Any]
    }

    /// The deadline as the server renders it (readable without script), and the ISO instant console.js counts down to.
    static func clock(_ infuseBy: Date, thawedAt: Date?, now: Date = Date()) -> [String: Any] {
        let left = Int(infuseBy.timeIntervalSince(now))
        let passed = ThawWindow.hasClosed(closesAt: infuseBy, now: now)
        let iso = ISO8601DateFormatter().string(from: infuseBy)
        return ["deadline": iso, "deadlineText": timestamp(infuseBy), "thawedAt": thawedAt.map(timestamp) ?? "",
                "left": passed ? "thaw-to-infusion limit passed" : String(format: "%d:%02d left", max(left, 0) / 60, max(left, 0) % 60), "passed": passed]
    }

    func thaw(_ request: Request) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        let scannedVial = (form["scannedVialId"] ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        let band = (form["scannedSubjectId"] ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        do {
            let vial = try await store.thawVial(id: form["vialId"] ?? "", scannedVialId: scannedVial, scannedSubjectId: band, actor: user, logger: logger)
            return try await bedsidePage(done: "thawed \(vial.id): the thaw-to-infusion clock is running")
        } catch let error as DomainError {
            return try await bedsidePage(thawMessage: error.description, form: form, status: Self.refusalStatus(error))
        }
    }

    /// The scan: patient id and vial id. A match shows both and the signing step; a mismatch or an expired
    /// window is refused here, on screen, and logged by the Store.
    func bedsideCheck(_ request: Request) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        let subject = ScanText.normalised(form["subjectId"] ?? "")
        let vial = ScanText.normalised(form["vialId"] ?? "")
        do {
            if subject.isEmpty { throw DomainError.invalid(field: "subjectId", rule: "scan the patient's identification band") }
            if vial.isEmpty { throw DomainError.invalid(field: "vialId", rule: "scan the vial's label") }
            let facts = try await store.checkAdministration(vialId: vial, scannedSubjectId: subject, actor: user, logger: logger)
            return try await checkPage(facts.vialId, subject: subject, refusal: nil, signError: nil)
        } catch let error as DomainError {
            return try await checkPage(vial, subject: subject, refusal: error.description, signError: nil, status: Self.refusalStatus(error))
        }
    }

    /// Administers, signed: the Store checks the scan again, verifies the password and records the signature.
    func administer(_ request: Request) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        let subject = form["subjectId"] ?? "", vial = form["vialId"] ?? ""
        do {
            let done = try await store.administerVial(id: vial, scannedSubjectId: subject,
                                                      signature: Signing.input(form, meaning: Self.administrationMeaning), actor: user, logger: logger)
            return try await bedsidePage(done: "administered \(done.id) to \(subject); signed by \(user.name)")
        } catch let error as DomainError {
            let status = try Self.refusalStatus(error)
            switch error {
            case .signatureRejected, .invalid(field: "signature", _), .invalid(field: "signature.meaning", _):
                return try await checkPage(vial, subject: subject, refusal: nil, signError: error.description, status: status)
            default:
                return try await checkPage(vial, subject: subject, refusal: error.description, signError: nil, status: status)
            }
        }
    }

    func checkPage(_ vialId: String, subject: String, refusal: String?, signError: String?, status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let vial = refusal == nil ? try await store.bedsideVials(actor: user, logger: logger).first { $0.vialId == vialId } : nil
        let matched = vial.map { v -> [String: Any] in
            ["vial": v.vialId, "subject": subject, "reservedFor": v.subjectId, "lot": v.lotNumber, "product": v.productCode, "status": v.status.rawValue,
             "limit": v.thawLimitMinutes, "clock": v.infuseBy.map { Self.clock($0, thawedAt: v.thawedAt) } as Any,
             "sign": Signing.context(meaning: Self.administrationMeaning, id: "administer", action: "Administer \(v.vialId) to \(subject)")]
        }
        return try page("bedside-check", title: "Bedside check", [
            "scannedSubject": subject, "scannedVial": vialId, "refusal": refusal as Any, "signError": signError as Any,
            "match": matched as Any, "mayDispense": user.role.may(.dispense),
        ], status: status)
    }
}
