import CryoDomain
import Foundation
import Hummingbird
import Mustache

/// Who is signed in, for the layout's header (CONSOLE.md: always visible).
struct UserBar: Sendable {
    let name: String, role: String, csrf: String, idleMinutes: Int
}

/// A page rendered from a typed view model: the layout reads `title`, `user`, `nav` and `assets`; the page's
/// template reads its model inside `{{#page}}…{{/page}}`, so a misspelt key is a compile error in the model.
struct Layout<Page>: Sendable where Page: Sendable {
    let title: String
    let user: UserBar?
    let nav: [NavItem]
    let assets: AssetNames
    let page: Page
}

extension Console {
    func render<Page: Sendable>(_ template: String, title: String, _ model: Page, status: HTTPResponse.Status = .ok) throws -> Response {
        let session = ConsoleScope.session
        let layout = Layout(
            title: title,
            user: session.map { UserBar(name: $0.user.name, role: $0.user.role.rawValue, csrf: $0.csrfToken,
                                        idleMinutes: Int(settings.idleTimeout.components.seconds / 60)) },
            nav: session.map { Navigation.items(for: $0.user.role) } ?? [], assets: assetNames, page: model)
        guard let html = templates.render(layout, withTemplate: template) else { throw ConsoleError.missingResources }
        return Self.htmlResponse(html, status: status)
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
