import CryoDomain
import Foundation
import Hummingbird
import Mustache

/// A page's typed view model: the struct its template renders. The compiler checks every value a page hands
/// to its template (a misspelt property does not compile, where a misspelt dictionary key rendered blank).
protocol PageView: Sendable {
    /// The template in Templates/ (without `.mustache`); it extends `layout`.
    static var template: String { get }
    var title: String { get }
}

/// What the layout shows around every page: who is signed in, the menu, a refused form's summary (focused,
/// `role="alert"`) and the confirmation of the action just done (`role="status"`).
struct PageFrame<View>: MustacheParent {
    let view: View
    let title: String
    let user: SignedInFrame?
    let nav: [NavItem]
    /// The content-hashed names of the stylesheet and script.
    let assets: AssetNames
    let refusal: Refusal?
    let confirmation: String?

    /// The layout's own values first, then the view's properties (or, for a page not yet typed, its dictionary).
    func child(named name: String) -> Any? {
        switch name {
        case "title": return title
        case "user": return user
        case "nav": return nav
        case "assets": return assets
        case "refusalSummary": return refusal
        case "fieldErrors": return refusal?.byField ?? FieldMessages(messages: [:])
        case "actionConfirmation": return confirmation
        default:
            if let parent = view as? any MustacheParent { return parent.child(named: name) }
            guard let value = Mirror(reflecting: view).children.first(where: { $0.label == name })?.value else { return nil }
            return Self.unwrapped(value)
        }
    }

    /// An absent optional property is absent to the template (not the text "nil").
    static func unwrapped(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first.flatMap { unwrapped($0.value) }
    }
}

/// Who is signed in, as the layout shows it (and the CSRF token every form carries).
struct SignedInFrame { let name: String; let role: String; let csrf: String; let idleMinutes: Int; let bell: Bell? }

extension Console {
    /// Renders a typed page inside the layout. `refusal`: the form that was refused (summary on top, messages by
    /// the fields); `confirmation`: what the action just done did.
    func render<View: PageView>(_ view: View, status: HTTPResponse.Status = .ok, refusal: Refusal? = nil,
                                confirmation: String? = nil) throws -> Response {
        try respond(View.template, frame(view, title: view.title, refusal: refusal, confirmation: confirmation), status: status)
    }

    func frame<View>(_ view: View, title: String, refusal: Refusal?, confirmation: String?) -> PageFrame<View> {
        PageFrame(view: view, title: title, user: signedInFrame(), nav: navigation(), assets: assetNames, refusal: refusal,
                  confirmation: confirmation)
    }

    func signedInFrame() -> SignedInFrame? {
        ConsoleScope.session.map { .init(name: $0.user.name, role: $0.user.role.rawValue, csrf: $0.csrfToken,
                                         idleMinutes: Int(settings.idleTimeout.components.seconds / 60),
                                         bell: ConsoleScope.unread.map(Bell.init(unread:))) }
    }

    func navigation() -> [NavItem] {
        ConsoleScope.session.map { Navigation.items(for: $0.user.role) } ?? []
    }

    func respond<Frame>(_ template: String, _ frame: PageFrame<Frame>, status: HTTPResponse.Status) throws -> Response {
        guard let html = templates.render(frame, withTemplate: template) else { throw ConsoleError.missingResources }
        return Self.htmlResponse(html, status: status)
    }
}
