import Hummingbird

extension Console {
    /// QC results, QA's release workbench and the donor look-back (issue 16, part 2).
    func registerRelease<Context: RequestContext>(on group: RouterGroup<Context>) {
        group.get("lots/{lot}/qc") { _, context in try await self.qcPage(context.parameters.require("lot")) }
        group.post("lots/{lot}/qc") { request, context in try await self.recordQc(context.parameters.require("lot"), request) }
        group.get("release") { _, _ in try await self.releaseWorkbench() }
        group.get("release/{lot}") { _, context in try await self.releaseLotPage(context.parameters.require("lot")) }
        group.get("release/{lot}/certificate.pdf") { _, context in try await self.certificatePDF(context.parameters.require("lot")) }
        group.post("release/{lot}/release/{kind}") { request, context in
            try await self.dispositionLot(context.parameters.require("lot"), decision: context.parameters.require("kind"), request)
        }
        group.post("release/{lot}/reject") { request, context in try await self.dispositionLot(context.parameters.require("lot"), decision: "reject", request) }
        group.post("release/{lot}/holds") { request, context in try await self.placeReleaseHold(context.parameters.require("lot"), request) }
        group.post("release/{lot}/holds/{hold}/lift") { request, context in
            try await self.liftReleaseHold(context.parameters.require("lot"), holdId: context.parameters.require("hold"), request)
        }
        group.get("donors") { request, _ in try self.findDonor(request) }
        group.get("donors/{code}") { _, context in try await self.donorPage(context.parameters.require("code")) }
        group.post("donors/{code}/ineligible") { request, context in try await self.recordLookBack(context.parameters.require("code"), request) }
    }
}
