import CryoDomain
import CryoReports
import CryoStore
import Foundation
import Hummingbird

/// What each signing step of the workbench means, fixed by the page and shown before the password is asked for.
enum ReleaseMeaning {
    static let standard = "approved for release"
    static let conditional = "approved for conditional release: no administration before the pending tests pass"
    static let outOfSpecification = "approved for out-of-specification release, for the named patients only"
    static let reject = "rejected: does not meet specification"
    static let liftHold = "hold lifted: the cause is resolved"
}

/// The disposition forms (standard, conditional, out-of-specification release; rejection) and the hold forms:
/// one struct, as each form sends a subset of these fields.
struct ReleaseForm: Decodable, Sendable {
    var reason: String?
    var justification: String?
    var restrictedTo: String?
    var subject: String?
    var vialId: String?
    var signaturePassword: String?
    /// The pending tests ticked on the conditional form (`pending-CODE`), read separately: their names are the tests'.
    var pending: [String] = []

    enum CodingKeys: String, CodingKey { case reason, justification, restrictedTo, subject, vialId, signaturePassword }
}

/// QA's workbench: the lots in quarantine, each specified test as pass, fail or missing; the lots on hold.
struct ReleaseWorkbenchPage: PageView {
    static let template = "release"
    struct QuarantinedLot: Sendable { let lot: LotRow; let tests: [TestMark]; let summary: String }
    struct TestMark: Sendable { let code: String, status: String, glyph: String }
    struct HeldLot: Sendable { let lot: LotRow; let heldFrom: String }
    let title = "Release workbench"
    let lots: [QuarantinedLot]
    let empty: Bool
    let held: [HeldLot]
    let noneHeld: Bool
    let mayLookBack: Bool
}

/// One lot at the workbench: its tests, the disposition forms (each a signing step), holds, the certificate.
struct ReleaseLotPage: PageView {
    static let template = "release-lot"
    struct Hold: Sendable {
        let id: Int64, subject: String, reason: String, source: String, placedBy: String, placedAt: String
        let error: String?, enteredReason: String?, sign: SignatureView, lotNumber: String, mayHold: Bool
    }
    struct PendingChoice: Sendable { let code: String, name: String, status: String, checked: Bool }
    let title: String
    let lot: LotRow
    let lotNumber: String
    let heldFrom: String?
    let version: Int?, effectiveFrom: String?, hasSpec: Bool
    let tests: [QCTestView]
    let summary: String, recorders: String, hasResults: Bool
    let mayDisposition: Bool, mayHold: Bool, releasable: Bool, rejectable: Bool
    let pendingChoices: [PendingChoice]
    let signStandard: SignatureView, signConditional: SignatureView, signOos: SignatureView, signReject: SignatureView
    let lotHolds: [Hold], vialHolds: [Hold], noHolds: Bool
    let certificate: Bool
    /// The refused form's message beside it (a role that may not decide sees it where the forms would be).
    let errorStandard: String?, errorConditional: String?, errorOos: String?, errorReject: String?, errorHold: String?, refused: String?
    /// The values of the refused form, kept (each form's own).
    let standardReason: String?, conditionalReason: String?, rejectReason: String?
    let oosPatients: String?, oosJustification: String?, holdVial: String?, holdReason: String?, holdOnVial: Bool
}

extension Console {
    func releaseWorkbench() async throws -> Response {
        let user = try signedIn()
        let quarantined = try await store.listLots(product: nil, status: .quarantine, limit: 200, after: nil, actor: user, logger: logger).lots
        var rows: [ReleaseWorkbenchPage.QuarantinedLot] = []
        for lot in quarantined {
            let spec = try await store.lotSpecification(lotNumber: lot.lotNumber, actor: user, logger: logger)
            let tests = QcRow.rows(spec: spec, results: try await store.qcResults(lotNumber: lot.lotNumber, actor: user, logger: logger))
            rows.append(.init(lot: LotRow(lot), tests: tests.map { .init(code: $0.test.code, status: $0.status, glyph: $0.glyph) },
                              summary: Self.summary(tests)))
        }
        let held = try await store.listLots(product: nil, status: .onHold, limit: 200, after: nil, actor: user, logger: logger).lots
        return try render(ReleaseWorkbenchPage(lots: rows, empty: rows.isEmpty, held: held.map { .init(lot: LotRow($0), heldFrom: $0.heldFrom?.rawValue ?? "—") },
                                               noneHeld: held.isEmpty, mayLookBack: user.role.may(.lookBack)))
    }

    static func summary(_ tests: [QcRow]) -> String {
        let count = { (s: String) in tests.filter { $0.status == s }.count }
        return "\(count("pass")) pass · \(count("fail")) fail · \(count("missing")) missing"
    }

    /// The form ids of the page, with the ids of their inputs (for the summary's links).
    static func releaseFields(_ form: String) -> [String: String] {
        switch form {
        case "Standard": ["reason": "standard-reason", "signature": "release-standard-password", Signing.passwordField: "release-standard-password"]
        case "Conditional": ["reason": "conditional-reason", "pendingTests": "release-conditional", "signature": "release-conditional-password",
                             Signing.passwordField: "release-conditional-password"]
        case "Oos": ["restrictedTo": "oos-patients", "justification": "oos-justification", "signature": "release-oos-password",
                     Signing.passwordField: "release-oos-password"]
        case "Reject": ["reason": "reject-reason", "signature": "reject-password", Signing.passwordField: "reject-password"]
        case "Hold": ["reason": "hold-reason", "vialId": "hold-vial", "id": "hold-vial"]
        default: ["reason": "\(form)-reason", "signature": "\(form)-password", Signing.passwordField: "\(form)-password"]
        }
    }

    /// `refused`: the form that was refused (Standard, Conditional, Oos, Reject, Hold or lift-ID), its values and the refusal.
    func releaseLotPage(_ number: String, refused: (form: ReleaseForm, refusal: Refusal)? = nil, status: HTTPResponse.Status = .ok,
                        done: Confirmation? = nil) async throws -> Response {
        let user = try signedIn()
        let lot = try await store.lot(number: number, actor: user, logger: logger)
        let spec = try await store.lotSpecification(lotNumber: number, actor: user, logger: logger)
        let results = try await store.qcResults(lotNumber: number, actor: user, logger: logger)
        let tests = QcRow.rows(spec: spec, results: results)
        let lotHolds = try await store.listHolds(subject: .lot, id: number, activeOnly: true, actor: user, logger: logger)
        let vialHolds = try await store.vialHolds(lotNumber: number, actor: user, logger: logger)
        let mayDisposition = user.role.may(.dispositionLot), mayHold = user.role.may(.manageHolds)
        let refusal = refused?.refusal
        func hold(_ h: HoldRecord) -> ReleaseLotPage.Hold {
            let mine = refusal?.form == "lift-\(h.id)"
            return .init(id: h.id, subject: "\(h.subjectType) \(h.subjectId)", reason: h.reason, source: h.source, placedBy: h.placedBy,
                         placedAt: Self.timestamp(h.placedAt), error: mine ? refusal?.items.first?.message : nil,
                         enteredReason: mine ? refused?.form.reason : nil,
                         sign: SignatureView(signMeaning: ReleaseMeaning.liftHold, signId: "lift-\(h.id)", signAction: "Lift hold on \(h.subjectType) \(h.subjectId)"),
                         lotNumber: number, mayHold: mayHold)
        }
        // A lift's refusal is shown in its hold's row; a role that may not decide sees the Store's refusal where the forms would be.
        func error(_ form: String) -> String? { mayDisposition ? refusal?.message(for: form) : nil }
        let liftRefused = refusal?.form?.hasPrefix("lift-") == true
        let pending = Set(refused?.form.pending ?? [])
        func kept(_ form: String, _ field: KeyPath<ReleaseForm, String?>) -> String? { refusal?.form == form ? refused?.form[keyPath: field] : nil }
        let view = ReleaseLotPage(
            title: "Release review · lot \(number)", lot: LotRow(lot), lotNumber: number, heldFrom: lot.heldFrom?.rawValue,
            version: spec.version, effectiveFrom: spec.effectiveFrom, hasSpec: spec.version != nil,
            tests: tests.map { QCTestView(row: $0, lotNumber: number, analyst: user.name) }, summary: Self.summary(tests),
            recorders: Array(Set(results.map(\.recordedBy))).sorted().joined(separator: ", "), hasResults: !results.isEmpty,
            mayDisposition: mayDisposition, mayHold: mayHold,
            releasable: mayDisposition && lot.status == .quarantine, rejectable: mayDisposition && lot.status.canMove(to: .rejected),
            pendingChoices: tests.filter { $0.status != "pass" }.map { .init(code: $0.test.code, name: $0.test.name, status: $0.status, checked: pending.contains($0.test.code)) },
            signStandard: .init(signMeaning: ReleaseMeaning.standard, signId: "release-standard", signAction: "Release lot \(number)"),
            signConditional: .init(signMeaning: ReleaseMeaning.conditional, signId: "release-conditional", signAction: "Release lot \(number) conditionally"),
            signOos: .init(signMeaning: ReleaseMeaning.outOfSpecification, signId: "release-oos", signAction: "Release lot \(number) out of specification"),
            signReject: .init(signMeaning: ReleaseMeaning.reject, signId: "reject", signAction: "Reject lot \(number)"),
            lotHolds: lotHolds.map(hold), vialHolds: vialHolds.map(hold), noHolds: lotHolds.isEmpty && vialHolds.isEmpty,
            // A lot that never left quarantine has no disposition yet; after one, the Store issues the certificate (or says why not).
            certificate: ![LotStatus.inProcess, .quarantine].contains(lot.heldFrom ?? lot.status),
            errorStandard: error("Standard"), errorConditional: error("Conditional"), errorOos: error("Oos"), errorReject: error("Reject"),
            errorHold: refusal?.message(for: "Hold") ?? (liftRefused && !mayHold ? refusal?.items.first?.message : nil),
            refused: !mayDisposition && refusal != nil && refusal?.form != "Hold" && !liftRefused ? refusal?.items.first?.message : nil,
            standardReason: kept("Standard", \.reason), conditionalReason: kept("Conditional", \.reason), rejectReason: kept("Reject", \.reason),
            oosPatients: kept("Oos", \.restrictedTo), oosJustification: kept("Oos", \.justification),
            holdVial: kept("Hold", \.vialId), holdReason: kept("Hold", \.reason), holdOnVial: refusal?.form == "Hold" && refused?.form.subject == "vial")
        return try render(view, status: status, refusal: refusal, confirmation: Self.releaseConfirmation(done, lot: lot, holds: lotHolds.count + vialHolds.count))
    }

    /// The confirmation after a disposition or a hold, when the lot's state bears it out.
    static func releaseConfirmation(_ done: Confirmation?, lot: LotRecord, holds: Int) -> String? {
        switch done {
        case .released where lot.status == .released: "✓ Lot \(lot.lotNumber) released and signed"
        case .rejected where lot.status == .rejected: "✓ Lot \(lot.lotNumber) rejected and signed"
        case .holdPlaced where holds > 0: "✓ Hold placed: the lot's vials cannot be allocated or shipped while it stands"
        case .holdLifted: "✓ Hold lifted and signed"
        default: nil
        }
    }

    /// Standard, conditional or out-of-specification release, and rejection: the same Store operations as the API.
    func dispositionLot(_ number: String, decision: String, _ form: ReleaseForm) async throws -> Response {
        let user = try signedIn()
        func signature(_ meaning: String) -> SignatureInput? {
            form.signaturePassword.flatMap { $0.isEmpty ? nil : SignatureInput(password: $0, meaning: meaning) }
        }
        do {
            switch decision {
            case "standard":
                _ = try await store.releaseLot(number: number, kind: .standard, justification: nil, pendingTests: [], restrictedTo: [],
                                               reason: form.reason?.nonEmpty, signature: signature(ReleaseMeaning.standard), actor: user, logger: logger)
            case "conditional":
                _ = try await store.releaseLot(number: number, kind: .conditional, justification: nil, pendingTests: form.pending.sorted(), restrictedTo: [],
                                               reason: form.reason?.nonEmpty, signature: signature(ReleaseMeaning.conditional), actor: user, logger: logger)
            case "out-of-specification":
                let patients = (form.restrictedTo ?? "").split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
                _ = try await store.releaseLot(number: number, kind: .outOfSpecification, justification: form.justification?.nonEmpty, pendingTests: [],
                                               restrictedTo: patients, reason: nil, signature: signature(ReleaseMeaning.outOfSpecification),
                                               actor: user, logger: logger)
            case "reject":
                _ = try await store.transitionLot(number: number, to: .rejected, reason: form.reason?.nonEmpty,
                                                  signature: signature(ReleaseMeaning.reject), actor: user, logger: logger)
            default: throw HTTPError(.notFound)
            }
        } catch let error as DomainError {
            if case .notFound(let kind, _) = error, kind == "lot" { throw error }
            let id = Self.formId(decision)
            return try await releaseLotPage(number, refused: (form, Refusal(error, fields: Self.releaseFields(id), form: id)),
                                            status: HTTPResponse.Status(code: error.httpStatus))
        }
        return Response.redirect(to: "/console/release/\(number)?\((decision == "reject" ? Confirmation.rejected : .released).query())", type: .normal)
    }

    static func formId(_ decision: String) -> String {
        ["standard": "Standard", "conditional": "Conditional", "out-of-specification": "Oos", "reject": "Reject"][decision] ?? decision
    }

    /// QA places a hold on the lot or on one of its vials (scanned or typed).
    func placeReleaseHold(_ number: String, _ form: ReleaseForm) async throws -> Response {
        let user = try signedIn()
        do {
            if form.subject == "vial" {
                let vial = try VialID(parsing: (form.vialId ?? "").trimmingCharacters(in: .whitespacesAndNewlines)).value
                _ = try await store.placeHold(on: .vial, id: vial, reason: form.reason ?? "", actor: user, logger: logger)
            } else {
                _ = try await store.placeHold(on: .lot, id: number, reason: form.reason ?? "", actor: user, logger: logger)
            }
        } catch let error as DomainError {
            return try await releaseLotPage(number, refused: (form, Refusal(error, fields: Self.releaseFields("Hold"), form: "Hold")),
                                            status: HTTPResponse.Status(code: error.httpStatus))
        }
        return Response.redirect(to: "/console/release/\(number)?\(Confirmation.holdPlaced.query())#holds", type: .normal)
    }

    /// QA lifts a hold: a signing step.
    func liftReleaseHold(_ number: String, holdId: String, _ form: ReleaseForm) async throws -> Response {
        let user = try signedIn()
        guard let id = Int64(holdId) else { throw HTTPError(.notFound) }
        do {
            let signature = form.signaturePassword.flatMap { $0.isEmpty ? nil : SignatureInput(password: $0, meaning: ReleaseMeaning.liftHold) }
            _ = try await store.liftHold(id: id, reason: form.reason ?? "", signature: signature, actor: user, logger: logger)
        } catch let error as DomainError {
            return try await releaseLotPage(number, refused: (form, Refusal(error, fields: Self.releaseFields("lift-\(id)"), form: "lift-\(id)")),
                                            status: HTTPResponse.Status(code: error.httpStatus))
        }
        return Response.redirect(to: "/console/release/\(number)?\(Confirmation.holdLifted.query())#holds", type: .normal)
    }

    /// The certificate of analysis as PDF: the same Store read and the same writer as the API's.
    func certificatePDF(_ number: String) async throws -> Response {
        let user = try signedIn()
        let coa = try await store.certificateOfAnalysis(lotNumber: number, actor: user, logger: logger)
        var headers = HTTPFields()
        headers[.contentType] = "application/pdf"
        headers[.contentDisposition] = "attachment; filename=\"certificate-of-analysis-\(number).pdf\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try CertificatePDF.render(coa))))
    }
}
