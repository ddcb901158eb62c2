import CryoDomain
import Foundation
import Hummingbird

/// Notifications to people (issue 28): the bell's page and each person's choices; for administrators the role
/// defaults and the webhook endpoints with their deliveries.
struct NotificationsController<Context: RequestContext>: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("notifications", use: list)
        group.post("notifications/read", use: markRead)
        group.get("notifications/settings", use: settings)
        group.post("notifications/settings", use: subscribe)
        group.post("notifications/settings/remove", use: unsubscribe)
        group.post("notifications/email", use: email)
        group.get("admin/notifications", use: defaults)
        group.post("admin/notifications", use: setDefault)
        group.get("admin/webhooks", use: webhooks)
        group.post("admin/webhooks", use: addEndpoint)
        for action in ["test", "rotate", "remove"] {
            group.post("admin/webhooks/{name}/\(action)") { request, context in
                // A name may hold a space, sent percent-encoded.
                let name = try context.parameters.require("name")
                return try await console.webhookAction(name.removingPercentEncoding ?? name, action: action)
            }
        }
        group.post("admin/webhooks/deliveries/{id}/redeliver") { request, context in
            try await console.redeliverFromConsole(context.parameters.require("id", as: Int64.self))
        }
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let before = request.uri.queryParameters["before"].flatMap { Int64(String($0)) }
        let done = request.uri.queryParameters["done"] == "read" ? "Marked as read." : nil
        return try await console.notificationsPage(before: before, confirmation: done)
    }

    @Sendable func markRead(_ request: Request, context: Context) async throws -> Response {
        try await console.markNotificationsRead(Form.decode(MarkReadForm.self, from: request))
    }

    @Sendable func settings(_ request: Request, context: Context) async throws -> Response {
        try await console.notificationSettingsPage()
    }

    @Sendable func subscribe(_ request: Request, context: Context) async throws -> Response {
        try await console.setSubscription(Form.decode(SubscriptionForm.self, from: request))
    }

    @Sendable func unsubscribe(_ request: Request, context: Context) async throws -> Response {
        try await console.removeSubscription(Form.decode(SubscriptionForm.self, from: request))
    }

    @Sendable func email(_ request: Request, context: Context) async throws -> Response {
        try await console.setEmail(Form.decode(EmailForm.self, from: request))
    }

    @Sendable func defaults(_ request: Request, context: Context) async throws -> Response {
        try await console.notificationDefaultsPage()
    }

    @Sendable func setDefault(_ request: Request, context: Context) async throws -> Response {
        try await console.setNotificationDefault(Form.decode(DefaultForm.self, from: request))
    }

    @Sendable func webhooks(_ request: Request, context: Context) async throws -> Response {
        try await console.webhooksPage()
    }

    @Sendable func addEndpoint(_ request: Request, context: Context) async throws -> Response {
        try await console.addEndpoint(Form.decode(EndpointForm.self, from: request))
    }
}
