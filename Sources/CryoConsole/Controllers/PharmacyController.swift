import Foundation
import Hummingbird

/// The pharmacy: the allocation board, optimizer plans and their commit, each allocation's pick list, pick and
/// shipping, and the receipt of a shipment.
struct PharmacyController<Context: RequestContext>: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("pharmacy", use: board)
        group.post("pharmacy/plan", use: plan)
        group.get("pharmacy/plans/{id}", use: showPlan)
        group.post("pharmacy/plans/{id}/commit", use: commit)
        group.get("pharmacy/allocations/{id}", use: allocation)
        group.post("pharmacy/allocations/{id}/pick", use: pick)
        group.post("pharmacy/allocations/{id}/ship", use: ship)
        group.get("pharmacy/shipments/{id}", use: shipment)
        group.post("pharmacy/shipments/{id}/receive", use: receive)
    }

    @Sendable func board(_ request: Request, context: Context) async throws -> Response {
        try await console.pharmacyBoardPage()
    }

    /// One checkbox per patient, named `patient:<subject id>`.
    @Sendable func plan(_ request: Request, context: Context) async throws -> Response {
        var request = request
        var form = try await Form.decode(PlanForm.self, &request)
        form.patients = try await Form.read(&request, limit: Form.defaultLimit).keys
            .filter { $0.hasPrefix("patient:") }.map { String($0.dropFirst("patient:".count)) }.sorted()
        return try await console.planAllocation(form)
    }

    @Sendable func showPlan(_ request: Request, context: Context) async throws -> Response {
        try await console.planPage(Self.planId(context), done: Confirmation(request))
    }

    @Sendable func commit(_ request: Request, context: Context) async throws -> Response {
        try await console.commitPlan(Self.planId(context))
    }

    @Sendable func allocation(_ request: Request, context: Context) async throws -> Response {
        try await console.allocationPage(Self.allocationId(context), done: Confirmation(request))
    }

    @Sendable func pick(_ request: Request, context: Context) async throws -> Response {
        try await console.pickAllocation(Self.allocationId(context), try await Form.decode(PickForm.self, from: request))
    }

    @Sendable func ship(_ request: Request, context: Context) async throws -> Response {
        try await console.shipAllocation(Self.allocationId(context), try await Form.decode(ShipForm.self, from: request))
    }

    @Sendable func shipment(_ request: Request, context: Context) async throws -> Response {
        try await console.shipmentPage(context.parameters.require("id"), done: Confirmation(request))
    }

    @Sendable func receive(_ request: Request, context: Context) async throws -> Response {
        try await console.receiveShipment(context.parameters.require("id"), try await Form.decode(ReceiveForm.self, from: request))
    }

    static func planId(_ context: Context) throws -> UUID {
        guard let id = UUID(uuidString: try context.parameters.require("id")) else { throw HTTPError(.notFound) }
        return id
    }

    static func allocationId(_ context: Context) throws -> Int64 {
        guard let id = Int64(try context.parameters.require("id")) else { throw HTTPError(.notFound) }
        return id
    }
}
