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

extension Console {
    /// QA's workbench: the lots in quarantine, each specified test as pass, fail or missing; the lots on hold.
    func releaseWorkbench() async throws -> Response {
        let user = try signedIn()
        let quarantined = try await store.listLots(product: nil, status: .quarantine, limit: 200, after: nil, actor: user, logger: logger).lots
        var rows: [[String: Any]] = []
        for lot in quarantined {
            let spec = try await store.lotSpecification(lotNumber: lot.lotNumber, actor: user, logger: logger)
            let tests = QcRow.rows(spec: spec, results: try await store.qcResults(lotNumber: lot.lotNumber, actor: user, logger: logger))
            rows.append(["lot": LotRow(lot), "tests": tests.map { ["code": $0.test.code, "status": $0.status, "glyph": $0.glyph] },
                         "summary": Self.summary(tests)])
        }
        let held = try await store.listLots(product: nil, status: .onHold, limit: 200, after: nil, actor: user, logger: logger).lots
        return try page("release", title: "Release workbench", [
            "lots": rows, "empty": rows.isEmpty,
            "held": held.map { ["lot": LotRow($0), "heldFrom": $0.heldFrom?.rawValue ?? "—"] as [String: Any] }, "noneHeld": held.isEmpty,
            "mayLookBack": user.role.may(.lookBack),
        ])
    }

    static func summary(_ tests: [QcRow]) -> String {
        let count = { (s: String) in tests.filter { $0.status == s }.count }
        return "\(count("pass")) pass · \(count("fail")) fail · \(count("missing")) missing"
    }

    /// One lot at the workbench: its tests, the disposition forms (each a signing step), holds, the certificate.
    /// `refusal` is the form that was refused and the Store's reason, shown next to that form.
    func releaseLotPage(_ number: String, refusal: (form: String, message: String)? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let lot = try await store.lot(number: number, actor: user, logger: logger)
        let spec = try await store.lotSpecification(lotNumber: number, actor: user, logger: logger)
        let results = try await store.qcResults(lotNumber: number, actor: user, logger: logger)
        let tests = QcRow.rows(spec: spec, results: results)
        let lotHolds = try await store.listHolds(subject: .lot, id: number, activeOnly: true, actor: user, logger: logger)
        let vialHolds = try await store.vialHolds(lotNumber: number, actor: user, logger: logger)
        let mayDisposition = user.role.may(.dispositionLot), mayHold = user.role.may(.manageHolds)
        func holdRow(_ h: HoldRecord) -> [String: Any] {
            ["id": h.id, "subject": "\(h.subjectType) \(h.subjectId)", "reason": h.reason, "source": h.source, "placedBy": h.placedBy,
             "placedAt": Self.timestamp(h.placedAt), "error": (refusal?.form == "lift-\(h.id)" ? refusal?.message : nil) as Any,
             "sign": Signing.context(meaning: ReleaseMeaning.liftHold, id: "lift-\(h.id)", action: "Lift hold on \(h.subjectType) \(h.subjectId)")]
        }
        var content: [String: Any] = [
            "lot": LotRow(lot), "lotNumber": number, "heldFrom": lot.heldFrom?.rawValue as Any,
            "version": spec.version as Any, "effectiveFrom": spec.effectiveFrom as Any, "hasSpec": spec.version != nil,
            "tests": tests.map(\.context), "summary": Self.summary(tests),
            "recorders": Array(Set(results.map(\.recordedBy))).sorted().joined(separator: ", "), "hasResults": !results.isEmpty,
            "mayDisposition": mayDisposition, "mayHold": mayHold,
            "releasable": mayDisposition && lot.status == .quarantine, "rejectable": mayDisposition && lot.status.canMove(to: .rejected),
            "pendingChoices": tests.filter { $0.status != "pass" }.map { ["code": $0.test.code, "name": $0.test.name, "status": $0.status] },
            "signStandard": Signing.context(meaning: ReleaseMeaning.standard, id: "release-standard", action: "Release lot \(number)"),
            "signConditional": Signing.context(meaning: ReleaseMeaning.conditional, id: "release-conditional", action: "Release lot \(number) conditionally"),
            "signOos": Signing.context(meaning: ReleaseMeaning.outOfSpecification, id: "release-oos", action: "Release lot \(number) out of specification"),
            "signReject": Signing.context(meaning: ReleaseMeaning.reject, id: "reject", action: "Reject lot \(number)"),
            "lotHolds": lotHolds.map(holdRow), "vialHolds": vialHolds.map(holdRow),
            "noHolds": lotHolds.isEmpty && vialHolds.isEmpty,
            // A lot that never left quarantine has no disposition yet; after one, the Store issues the certificate (or says why not).
            "certificate": ![LotStatus.inProcess, .quarantine].contains(lot.heldFrom ?? lot.status),
        ]
        // A lift's refusal is shown in its hold's row; a role that may not decide sees the Store's refusal where the forms would be.
        if let refusal, !(refusal.form.hasPrefix("lift-") && mayHold) {
            let hold = refusal.form == "Hold" || refusal.form.hasPrefix("lift-")
            content[hold ? "errorHold" : mayDisposition ? "error\(refusal.form)" : "refused"] = refusal.message
        }
        return try page("release-lot", title: "Release review · lot \(number)", content, status: status)
    }

    /// Standard, conditional or out-of-specification release, and rejection: the same Store operations as the API.
    func dispositionLot(_ number: String, decision: String, _ request: Request) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        func text(_ key: String) -> String? { form[key].flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 } }
        do {
            switch decision {
            case "standard":
                _ = try await store.releaseLot(number: number, kind: .standard, justification: nil, pendingTests: [], restrictedTo: [],
                                               reason: text("reason"), signature: Signing.input(form, meaning: ReleaseMeaning.standard), actor: user, logger: logger)
            case "conditional":
                let pending = form.keys.filter { $0.hasPrefix("pending-") }.map { String($0.dropFirst("pending-".count)) }.sorted()
                _ = try await store.releaseLot(number: number, kind: .conditional, justification: nil, pendingTests: pending, restrictedTo: [],
                                               reason: text("reason"), signature: Signing.input(form, meaning: ReleaseMeaning.conditional), actor: user, logger: logger)
            case "out-of-specification":
                let patients = (form["restrictedTo"] ?? "").split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
                _ = try await store.releaseLot(number: number, kind: .outOfSpecification, justification: text("justification"), pendingTests: [],
                                               restrictedTo: patients, reason: nil, signature: Signing.input(form, meaning: ReleaseMeaning.outOfSpecification),
                                               actor: user, logger: logger)
            case "reject":
                _ = try await store.transitionLot(number: number, to: .rejected, reason: text("reason"),
                                                  signature: Signing.input(form, meaning: ReleaseMeaning.reject), actor: user, logger: logger)
            default: throw HTTPError(.notFound)
            }
        } catch let error as DomainError {
            if case .notFound(let kind, _) = error, kind == "lot" { throw error }
            return try await releaseLotPage(number, refusal: (Self.formId(decision), error.description), status: Self.status(of: error))
        }
        return Response.redirect(to: "/console/release/\(number)", type: .normal)
    }

    static func formId(_ decision: String) -> String {
        ["standard": "Standard", "conditional": "Conditional", "out-of-specification": "Oos", "reject": "Reject"][decision] ?? decision
    }

    /// QA places a hold on the lot or on one of its vials (scanned or typed).
    func placeReleaseHold(_ number: String, _ request: Request) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        do {
            if form["subject"] == "vial" {
                let vial = try VialID(parsing: (form["vialId"] ?? "").trimmingCharacters(in: .whitespaces)).value
                _ = try await store.placeHold(on: .vial, id: vial, reason: form["reason"] ?? "", actor: user, logger: logger)
            } else {
                _ = try await store.placeHold(on: .lot, id: number, reason: form["reason"] ?? "", actor: user, logger: logger)
            }
        } catch let error as DomainError {
            return try await releaseLotPage(number, refusal: ("Hold", error.description), status: Self.status(of: error))
        }
        return Response.redirect(to: "/console/release/\(number)#holds", type: .normal)
    }

    /// QA lifts a hold: a signing step.
    func liftReleaseHold(_ number: String, holdId: String, _ request: Request) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        guard let id = Int64(holdId) else { throw HTTPError(.notFound) }
        do {
            _ = try await store.liftHold(id: id, reason: form["reason"] ?? "", signature: Signing.input(form, meaning: ReleaseMeaning.liftHold),
                                         actor: user, logger: logger)
        } catch let error as DomainError {
            return try await releaseLotPage(number, refusal: ("lift-\(id)", error.description), status: Self.status(of: error))
        }
        return Response.redirect(to: "/console/release/\(number)#holds", type: .normal)
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
