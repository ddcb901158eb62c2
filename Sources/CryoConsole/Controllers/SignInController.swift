import CryoDomain
import Hummingbird

/// Signing in and out.
struct SignInController<Context: RequestContext>: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("sign-in", use: show)
        group.post("sign-in", use: signIn)
        group.post("sign-out", use: signOut)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        try console.signInPage(request, message: nil, login: "")
    }

    @Sendable func signIn(_ request: Request, context: Context) async throws -> Response {
        var request = request
        // A body that is not a form signs no one in: it is refused like a missing token (there is no session to show errors in).
        let form: SignInForm
        do { form = try await Form.decode(SignInForm.self, &request, limit: 16 * 1024) } catch is DomainError { form = SignInForm() }
        return try await console.signIn(request, form, context)
    }

    @Sendable func signOut(_ request: Request, context: Context) async throws -> Response {
        try await console.signOut(request, context)
    }
}
