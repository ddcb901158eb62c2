import Foundation
import Hummingbird

/// A page whose template reads its view model inside `{{#page}}…{{/page}}`; the layout around it is `PageFrame`'s.
struct PageModel<Page: Sendable>: Sendable { let page: Page }

extension Console {
    func render<Page: Sendable>(_ template: String, title: String, _ model: Page, status: HTTPResponse.Status = .ok,
                                refusal: Refusal? = nil, confirmation: String? = nil) throws -> Response {
        try respond(template, frame(PageModel(page: model), title: title, refusal: refusal, confirmation: confirmation), status: status)
    }

    static func htmlResponse(_ html: String, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.vary] = "Accept-Encoding"
        // Pages are compressed when the client takes gzip and the page is worth it (most are 5–60 kB of HTML).
        if ConsoleScope.acceptsGzip, html.utf8.count > 1024, let gzipped = Gzip.compress(Array(html.utf8), level: 5) {
            headers[.contentEncoding] = "gzip"
            return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: gzipped)))
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
