import CryoAPIGenerated
import CryoDomain
import CryoStore
import Foundation
import Logging
import OpenAPIRuntime

/// The one implementation of the generated `APIProtocol`. Each handler takes the caller from
/// the request scope, calls the same Store operation the CLI calls, and maps the record to the contract.
/// Errors are thrown as they are: ProblemMiddleware maps them to the documented problem responses.
struct APIService: APIProtocol {
    let store: Store
    /// Seals and verifies checkpoints; nil verifies chains and folds but not seals.
    let auditKey: AuditKey?
    /// Signs the transparency log's tree heads (exports are cut against a fresh head); nil: exports carry no proofs.
    var logSigner: LogSigner? = nil
    /// This server's forecast queue (one per router, so two servers in one process never wait on each other).
    var forecasts = SupplyForecastRunner()

    var logger: Logger { RequestScope.logger }

    func caller() throws -> Principal {
        guard let principal = RequestScope.principal else { throw DomainError.unauthenticated("missing Authorization: Bearer TOKEN header") }
        return principal
    }

    func health(_ input: Operations.Health.Input) async throws -> Operations.Health.Output {
        .ok(.init(body: .json(.init(status: "alive"))))
    }

    func ready(_ input: Operations.Ready.Input) async throws -> Operations.Ready.Output {
        if await store.isReachable(logger: logger) {
            return .ok(.init(body: .json(.init(status: "ready"))))
        }
        return .serviceUnavailable(.init(body: .applicationProblemJson(.init(
            _type: "https://cryoledger.example/problems/service-unavailable", title: "Service Unavailable", status: 503,
            detail: "the database cannot be reached"))))
    }

    // MARK: Products

    func listProducts(_ input: Operations.ListProducts.Input) async throws -> Operations.ListProducts.Output {
        .ok(.init(body: .json(try await store.products(actor: caller(), logger: logger).map { try Mapping.product($0) })))
    }

    func createProduct(_ input: Operations.CreateProduct.Input) async throws -> Operations.CreateProduct.Output {
        guard case .json(let body) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let record = ProductRecord(
            code: body.code, name: body.name, shelfLifeDays: body.shelfLifeDays, storageCondition: body.storageCondition,
            storageMaxCelsius: body.storageMaxCelsius, thawToInfusionMinutes: body.thawToInfusionMinutes,
            specification: body.specification.map { SpecTest(code: $0.code, name: $0.name, kind: $0.kind.rawValue, unit: $0.unit, min: $0.min, max: $0.max, expected: $0.expected) },
            maxTimeOutMinutes: body.maxTimeOutMinutes ?? TimeOutOfStorage.defaultLimitMinutes)
        let effective = try CalendarDay(parsing: body.specEffectiveFrom, field: "specEffectiveFrom")
        let product = try await store.createProduct(record, effectiveFrom: effective, actor: caller(), logger: logger)
        return .created(.init(body: .json(try Mapping.product(product))))
    }

    func getProduct(_ input: Operations.GetProduct.Input) async throws -> Operations.GetProduct.Output {
        .ok(.init(body: .json(try Mapping.product(try await store.product(code: input.path.productCode, actor: caller(), logger: logger)))))
    }

    // MARK: Donors

    func registerDonor(_ input: Operations.RegisterDonor.Input) async throws -> Operations.RegisterDonor.Output {
        guard case .json(let body) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let tests = try (body.screeningTests ?? []).enumerated().map { i, t in
            ScreeningTest(test: t.test, result: t.result.rawValue, testedOn: try CalendarDay(parsing: t.testedOn, field: "screeningTests[\(i)].testedOn"))
        }
        let request = DonorRegistration(code: body.code, eligibility: DonorEligibility(rawValue: body.eligibility.rawValue)!,
                                        screeningTests: tests, hla: body.hla)
        return .created(.init(body: .json(try Mapping.donor(try await store.registerDonor(request, actor: caller(), logger: logger)))))
    }

    func getDonor(_ input: Operations.GetDonor.Input) async throws -> Operations.GetDonor.Output {
        .ok(.init(body: .json(try Mapping.donor(try await store.donor(code: input.path.donorCode, actor: caller(), logger: logger)))))
    }

    // MARK: Lots

    func listLots(_ input: Operations.ListLots.Input) async throws -> Operations.ListLots.Output {
        let q = input.query
        let page = try await store.listLots(product: q.product, status: q.status.flatMap { LotStatus(rawValue: $0.rawValue) },
                                            limit: q.limit ?? 50, after: q.after, actor: caller(), logger: logger)
        return .ok(.init(body: .json(.init(lots: page.lots.map(Mapping.lot), nextCursor: page.nextCursor))))
    }

    func registerLot(_ input: Operations.RegisterLot.Input) async throws -> Operations.RegisterLot.Output {
        guard case .json(let body) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let request = LotRegistration(
            lotNumber: body.lotNumber, productCode: body.productCode, donorCode: body.donorCode,
            manufacturedOn: try CalendarDay(parsing: body.manufacturedOn, field: "manufacturedOn"),
            expiresOn: try body.expiresOn.map { try CalendarDay(parsing: $0, field: "expiresOn") },
            cellsPerVial: Int(body.cellsPerVial), plannedVials: body.vialCount)
        return .created(.init(body: .json(Mapping.lot(try await store.registerLot(request, actor: caller(), logger: logger)))))
    }

    func getLot(_ input: Operations.GetLot.Input) async throws -> Operations.GetLot.Output {
        .ok(.init(body: .json(Mapping.lot(try await store.lot(number: input.path.lotNumber, actor: caller(), logger: logger)))))
    }

    func changeLotStatus(_ input: Operations.ChangeLotStatus.Input) async throws -> Operations.ChangeLotStatus.Output {
        guard case .json(let body) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let lot = try await store.transitionLot(
            number: input.path.lotNumber, to: LotStatus(rawValue: body.status.rawValue)!, reason: body.reason,
            signature: body.signature.map { SignatureInput(password: $0.password, meaning: $0.meaning) }, actor: caller(), logger: logger)
        return .ok(.init(body: .json(Mapping.lot(lot))))
    }

    // MARK: Vials

    func createVials(_ input: Operations.CreateVials.Input) async throws -> Operations.CreateVials.Output {
        guard case .json(let body) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let vials = try await store.createVials(lotNumber: input.path.lotNumber, count: body.count, boxId: body.boxId, findSpace: body.findSpace ?? false,
                                                actor: caller(), logger: logger)
        return .created(.init(body: .json(vials.map(Mapping.vial))))
    }

    func getVial(_ input: Operations.GetVial.Input) async throws -> Operations.GetVial.Output {
        .ok(.init(body: .json(Mapping.vial(try await store.vial(id: input.path.vialId, actor: caller(), logger: logger)))))
    }

    func placeVial(_ input: Operations.PlaceVial.Input) async throws -> Operations.PlaceVial.Output {
        guard case .json(let body) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let vial = try await store.placeVial(id: input.path.vialId, at: Position(boxId: body.boxId, row: body.row, column: body.column),
                                             actor: caller(), logger: logger)
        return .ok(.init(body: .json(Mapping.vial(vial))))
    }

    func moveVial(_ input: Operations.MoveVial.Input) async throws -> Operations.MoveVial.Output {
        guard case .json(let body) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let vial = try await store.moveVial(id: input.path.vialId, to: Position(boxId: body.boxId, row: body.row, column: body.column),
                                            reason: body.reason, actor: caller(), logger: logger)
        return .ok(.init(body: .json(Mapping.vial(vial))))
    }

    // MARK: Storage

    func createSite(_ input: Operations.CreateSite.Input) async throws -> Operations.CreateSite.Output {
        guard case .json(let body) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        try await store.createSite(code: body.code, name: body.name, kind: SiteKind(rawValue: body.kind.rawValue)!, actor: caller(), logger: logger)
        return .created(.init(body: .json(.init(id: body.code))))
    }

    func listFreezers(_ input: Operations.ListFreezers.Input) async throws -> Operations.ListFreezers.Output {
        let list = try await store.freezers(actor: caller(), logger: logger)
        return .ok(.init(body: .json(list.map {
            .init(id: $0.id, siteCode: $0.siteCode, kind: $0.kind, name: $0.name, maxCelsius: $0.maxCelsius, occupied: $0.occupied, capacity: $0.capacity)
        })))
    }

    func createFreezer(_ input: Operations.CreateFreezer.Input) async throws -> Operations.CreateFreezer.Output {
        guard case .json(let body) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        try await store.createFreezer(id: body.id, siteCode: body.siteCode, kind: FreezerKind(rawValue: body.kind.rawValue)!, name: body.name,
                                      maxCelsius: body.maxCelsius, actor: caller(), logger: logger)
        return .created(.init(body: .json(.init(id: body.id))))
    }

    func getFreezerMap(_ input: Operations.GetFreezerMap.Input) async throws -> Operations.GetFreezerMap.Output {
        .ok(.init(body: .json(Mapping.freezerMap(try await store.freezerMap(id: input.path.freezerId, actor: caller(), logger: logger)))))
    }

    func createRack(_ input: Operations.CreateRack.Input) async throws -> Operations.CreateRack.Output {
        guard case .json(let body) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        try await store.createRack(id: body.id, freezerId: body.freezerId, label: body.label, actor: caller(), logger: logger)
        return .created(.init(body: .json(.init(id: body.id))))
    }

    func createBox(_ input: Operations.CreateBox.Input) async throws -> Operations.CreateBox.Output {
        guard case .json(let body) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        try await store.createBox(id: body.id, rackId: body.rackId, label: body.label, rows: body.rows, columns: body.columns, actor: caller(), logger: logger)
        return .created(.init(body: .json(.init(id: body.id))))
    }

    // MARK: Custody

    func listCustodyEvents(_ input: Operations.ListCustodyEvents.Input) async throws -> Operations.ListCustodyEvents.Output {
        let events = try await store.custodyEvents(subjectType: input.path.subjectType.rawValue, subjectId: input.path.subjectId,
                                                   actor: caller(), logger: logger)
        return .ok(.init(body: .json(try events.map(Mapping.custodyEvent))))
    }
}
