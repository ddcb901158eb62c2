import HTTPTypes
import Hummingbird
import NIOCore

/// Holds every request to what the contract says of its transport before the operation runs:
/// a documented method (405 with `Allow`), an acceptable response type (406), a body no larger than the
/// operation allows however it is framed (413), and no NUL in any parameter or JSON string (`InputScreening`).
struct ContractMiddleware<Context: RequestContext>: RouterMiddleware {
    let contract: ContractIndex

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let template = context.endpointPath else {
            if let allowed = contract.methods(forPath: request.uri.path), !allowed.contains(request.method) {
                throw TransportRefusal.methodNotAllowed(request.method, allowed: allowed)
            }
            return try await next(request, context)
        }
        // HEAD runs the GET operation (the router answers it without the body), so it is held to GET's contract.
        guard let operation = contract.operation(request.method == .head ? .get : request.method, template: template) else {
            return try await next(request, context)
        }
        var request = request
        try negotiate(&request, operation)
        try InputScreening.checkParameters(request, context: context)
        if !operation.requestTypes.isEmpty {
            try await screenBody(&request, operation)
        }
        return try await next(request, context)
    }

    /// 406 when the client accepts none of the success types. Otherwise the header is narrowed to what is
    /// acceptable (plus problem+json for errors), so the generated serializer, which ignores `q`, agrees.
    private func negotiate(_ request: inout Request, _ operation: ContractIndex.Operation) throws {
        guard let accept = request.headers[.accept], !operation.successTypes.isEmpty else { return }
        let acceptable = ContentNegotiation.acceptable(operation.successTypes, accept: accept)
        guard !acceptable.isEmpty else { throw TransportRefusal.notAcceptable(offered: operation.successTypes) }
        var head = request.head
        head.headerFields[.accept] = (acceptable + ["application/problem+json"]).joined(separator: ", ")
        request = Request(head: head, body: request.body)
    }

    /// Refuses an oversized body by its Content-Length before reading it, and a chunked one as soon as it
    /// passes the limit; the collected body is what the operation then decodes, and what is screened for NUL.
    private func screenBody(_ request: inout Request, _ operation: ContractIndex.Operation) async throws {
        let limit = operation.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }) {
            guard length <= limit else { throw TransportRefusal.contentTooLarge(limit: limit) }
            if length == 0 { return }
        }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw TransportRefusal.contentTooLarge(limit: limit)
        } catch is NIOTooManyBytesError {
            throw TransportRefusal.contentTooLarge(limit: limit)
        }
        if let type = request.headers[.contentType]?.lowercased(), type.hasPrefix("application/json") || type.contains("+json") {
            try InputScreening.checkJSON(body)
        }
    }
}
