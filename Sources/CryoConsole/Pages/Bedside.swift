import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// The thaw at the bedside: which vial, and the vial and the patient's band scanned.
struct ThawForm: Decodable, Sendable {
    var vialId: String?
    var scannedVialId: String?
    var scannedSubjectId: String?
}

/// The scan before administering: the patient's band, then the vial's label (and, to sign, the password).
struct AdministerForm: Decodable, Sendable {
    var subjectId: String?
    var vialId: String?
    var signaturePassword: String?
}

/// The thaw-to-infusion deadline as the server renders it (readable without script), and the ISO instant console.js counts down to.
struct ThawClock: Sendable {
    let deadline: String, deadlineText: String, thawedAt: String, left: String, passed: Bool

    init(_ infuseBy: Date, thawedAt: Date?, now: Date = Date()) {
        let left = max(Int(infuseBy.timeIntervalSince(now)), 0)
        passed = ThawWindow.hasClosed(closesAt: infuseBy, now: now)
        deadline = ISO8601DateFormatter().string(from: infuseBy)
        deadlineText = Console.timestamp(infuseBy)
        self.thawedAt = thawedAt.map(Console.timestamp) ?? ""
        self.left = passed ? "thaw-to-infusion limit passed" : String(format: "%d:%02d left", left / 60, left % 60)
    }
}

/// The bedside: each patient's readiness (rule 8), the scan pair that leads to administering, and the vials at the sites
/// with their thaw forms and clocks.
struct BedsidePage: PageView {
    static let template = "bedside"
    struct Row: Sendable {
        let vial: String, subject: String, lot: String, product: String, status: String, glyph: String, blockers: String?
        let limit: Int, canThaw: Bool, waiting: String?, clock: ThawClock?
        /// A refused thaw of this vial: the scans kept, the message beside the scan it names.
        let scannedVial: String, scannedBand: String, vialError: String?, bandError: String?
    }
    struct Site: Sendable { let site: String; let vials: [Row] }
    var title: String { "Bedside: thaw and administer" }
    let sites: [Site]
    let none: Bool
    let mayDispense: Bool
    let patients: [ReadinessView]
    /// The scan pair, kept after a refused check or administration, with the message beside the scan.
    let check: AdministerForm
    let checkRefused: Bool
    let errors: AnchorMessages
}

/// The match of the scanned band and vial, and the signing step.
struct BedsideCheckPage: PageView {
    static let template = "bedside-check"
    struct Match: Sendable {
        let vial: String, subject: String, reservedFor: String, lot: String, product: String, status: String, limit: Int
        let clock: ThawClock?
        let sign: SignatureView
    }
    var title: String { "Bedside check" }
    let scannedSubject: String, scannedVial: String
    let match: Match
    /// A refused signature, beside the password.
    let signError: String?
}

extension Console {
    static let administrationMeaning = "administered to the patient identified at the bedside"
    static let checkFields = ["subjectId": "subjectId", "vialId": "vialId"]

    /// A refusal on the bedside page: of a thaw (which vial), of the scan pair, or of a patient's readiness form.
    enum BedsideRefusal {
        case thaw(ThawForm, Refusal), check(AdministerForm, Refusal), readiness(ReadinessForm, Refusal)
        var refusal: Refusal {
            switch self {
            case .thaw(_, let r), .check(_, let r), .readiness(_, let r): r
            }
        }
    }

    func bedsidePage(done: Confirmation? = nil, about: String? = nil, refused: BedsideRefusal? = nil,
                     status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let vials = try await store.bedsideVials(actor: user, logger: logger)
        let mayDispense = user.role.may(.dispense), mayPrepare = user.role.may(.prepareInfusion)
        let thaw: (form: ThawForm, refusal: Refusal)? = if case .thaw(let f, let r)? = refused { (f, r) } else { nil }
        let sites = Dictionary(grouping: vials, by: \.siteCode).sorted { $0.key < $1.key }.map { site, vials in
            BedsidePage.Site(site: site, vials: vials.map { v in
                let kept = thaw?.form.vialId == v.vialId ? thaw : nil
                return Self.bedsideRow(v, mayDispense: mayDispense, kept: kept)
            })
        }
        let readinessRefusal: (form: ReadinessForm, refusal: Refusal)? = if case .readiness(let f, let r)? = refused { (f, r) } else { nil }
        var seen = Set<String>()
        let patients = vials.compactMap(\.readiness).filter { seen.insert($0.subjectId).inserted }
            .map { ReadinessView($0, mayPrepare: mayPrepare, refused: readinessRefusal) }
        let check: AdministerForm = if case .check(let f, _)? = refused { AdministerForm(subjectId: f.subjectId, vialId: f.vialId) } else { .init() }
        let checkRefused = if case .check? = refused { true } else { false }
        let view = BedsidePage(sites: sites, none: vials.isEmpty, mayDispense: mayDispense, patients: patients, check: check,
                               checkRefused: checkRefused, errors: AnchorMessages(checkRefused ? refused?.refusal : nil))
        var confirmation: String?
        if let done, let about {
            switch done {
            case .thawed:
                if let v = vials.first(where: { $0.vialId == about && $0.status == .thawed }), let infuseBy = v.infuseBy {
                    confirmation = "✓ Thawed \(v.vialId): the thaw-to-infusion clock is running; infuse by \(Self.timestamp(infuseBy))"
                }
            case .administered:
                if let v = try? await store.vial(id: about, actor: user, logger: logger), v.status == .administered {
                    confirmation = "✓ Signed: administered \(v.id) (lot \(v.lotNumber)); recorded in its custody log"
                }
            default: confirmation = try await readinessConfirmation(done, subject: about)
            }
        }
        return try render(view, status: status, refusal: refused?.refusal, confirmation: confirmation)
    }

    /// A vial's row; the thaw form (vial and band scanned) is offered only once the patient is ready today.
    static func bedsideRow(_ v: BedsideVial, mayDispense: Bool, kept: (form: ThawForm, refusal: Refusal)? = nil) -> BedsidePage.Row {
        let received = v.status == .received && v.blockers == nil
        return .init(vial: v.vialId, subject: v.subjectId, lot: v.lotNumber, product: v.productCode, status: v.status.rawValue,
                     glyph: (v.blockers == nil ? VialGlyph(status: v.status.rawValue) : VialGlyph.held).symbol, blockers: v.blockers,
                     limit: v.thawLimitMinutes, canThaw: mayDispense && received && v.readiness?.ready == true,
                     waiting: received && v.readiness?.ready != true ? (v.readiness?.notReady ?? "readiness unknown") : nil,
                     clock: v.infuseBy.map { ThawClock($0, thawedAt: v.thawedAt) },
                     scannedVial: kept?.form.scannedVialId ?? "", scannedBand: kept?.form.scannedSubjectId ?? "",
                     vialError: kept?.refusal.message(atAnchor: "thaw-\(v.vialId)-vial"),
                     bandError: kept?.refusal.message(atAnchor: "thaw-\(v.vialId)-band"))
    }

    func thaw(_ form: ThawForm) async throws -> Response {
        let user = try signedIn()
        let vialId = ScanText.normalised(form.vialId ?? "")
        do {
            let vial = try await store.thawVial(id: vialId, scannedVialId: ScanText.normalised(form.scannedVialId ?? ""),
                                                scannedSubjectId: ScanText.normalised(form.scannedSubjectId ?? ""), actor: user, logger: logger)
            return Response.redirect(to: "/console/bedside?\(Confirmation.thawed.query(about: vial.id))", type: .normal)
        } catch let error as DomainError {
            let fields = ["scannedVialId": "thaw-\(vialId)-vial", "vialId": "thaw-\(vialId)-vial",
                          "scannedSubjectId": "thaw-\(vialId)-band", "subjectId": "thaw-\(vialId)-band"]
            let refusal = try Refusal.sentence(error, fields: fields, form: "thaw")
            return try await bedsidePage(refused: .thaw(form, refusal), status: refusal.status)
        }
    }

    /// The scan: patient id and vial id. A match shows both and the signing step; a mismatch or an expired
    /// window is refused on the bedside page, beside the scan, and logged by the Store.
    func bedsideCheck(_ form: AdministerForm) async throws -> Response {
        let user = try signedIn()
        let subject = ScanText.normalised(form.subjectId ?? ""), vialId = ScanText.normalised(form.vialId ?? "")
        do {
            if subject.isEmpty { throw DomainError.invalid(field: "subjectId", rule: "scan the patient's identification band") }
            if vialId.isEmpty { throw DomainError.invalid(field: "vialId", rule: "scan the vial's label") }
            let facts = try await store.checkAdministration(vialId: vialId, scannedSubjectId: subject, actor: user, logger: logger)
            return try await checkPage(facts.vialId, subject: subject)
        } catch let error as DomainError {
            let refusal = try Refusal.sentence(error, fields: Self.checkFields, form: "check")
            return try await bedsidePage(refused: .check(form, refusal), status: refusal.status)
        }
    }

    /// Administers, signed: the Store checks the scan again, verifies the password and records the signature.
    func administer(_ form: AdministerForm) async throws -> Response {
        let user = try signedIn()
        let subject = ScanText.normalised(form.subjectId ?? ""), vialId = ScanText.normalised(form.vialId ?? "")
        do {
            let signature = form.signaturePassword.flatMap { $0.isEmpty ? nil : SignatureInput(password: $0, meaning: Self.administrationMeaning) }
            let done = try await store.administerVial(id: vialId, scannedSubjectId: subject, signature: signature, actor: user, logger: logger)
            return Response.redirect(to: "/console/bedside?\(Confirmation.administered.query(about: done.id))", type: .normal)
        } catch let error as DomainError {
            switch error {
            case .signatureRejected, .invalid(field: "signature", _), .invalid(field: "signature.meaning", _):
                let refusal = try Refusal.sentence(error, fields: ["signature": "administer-password", Signing.passwordField: "administer-password"])
                return try await checkPage(vialId, subject: subject, refusal: refusal)
            default:
                let refusal = try Refusal.sentence(error, fields: Self.checkFields, form: "check")
                return try await bedsidePage(refused: .check(form, refusal), status: refusal.status)
            }
        }
    }

    func checkPage(_ vialId: String, subject: String, refusal: Refusal? = nil) async throws -> Response {
        let user = try signedIn()
        guard let v = try await store.bedsideVials(actor: user, logger: logger).first(where: { $0.vialId == vialId }) else {
            throw DomainError.notFound(kind: "vial at a site", id: vialId)
        }
        let match = BedsideCheckPage.Match(
            vial: v.vialId, subject: subject, reservedFor: v.subjectId, lot: v.lotNumber, product: v.productCode, status: v.status.rawValue,
            limit: v.thawLimitMinutes, clock: v.infuseBy.map { ThawClock($0, thawedAt: v.thawedAt) },
            sign: SignatureView(signMeaning: Self.administrationMeaning, signId: "administer", signAction: "Administer \(v.vialId) to \(subject)"))
        let view = BedsideCheckPage(scannedSubject: subject, scannedVial: vialId, match: match, signError: refusal?.items.first?.message)
        return try render(view, status: refusal?.status ?? .ok, refusal: refusal)
    }
}
