import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// Administrators' page of role defaults: how each role gets each kind unless its people choose otherwise.
struct NotificationDefaultsPage: Sendable {
    struct Row: Sendable {
        let kind: String, role: String, words: String, modeWords: String, id: String
        let modes: [NotificationSettingsPage.Option]
    }
    let rows: [Row]
}

struct DefaultForm: Decodable, Sendable {
    var kind: String?
    var role: String?
    var mode: String?
}

/// Administrators' webhooks page: each endpoint with its recent deliveries, a test send and redelivery.
struct WebhooksPage: Sendable {
    struct Delivery: Sendable {
        let id: Int64, sentence: String, state: String, attempts: Int, answer: String, latency: String, when: String
    }
    struct Endpoint: Sendable {
        let name: String, path: String, slug: String, url: String, kinds: String, active: Bool, state: String, rotation: String?
        let deliveries: [Delivery]
        let anyDeliveries: Bool
    }
    /// A secret just issued (a new endpoint, a rotation): shown this once.
    struct NewSecret: Sendable { let endpoint: String, secret: String }
    let endpoints: [Endpoint]
    let anyEndpoints: Bool
    let kinds: [NotificationSettingsPage.Option]
    let newSecret: NewSecret?
}

struct EndpointForm: Decodable, Sendable {
    var name: String?
    var url: String?
    /// One kind, or empty for every kind.
    var kind: String?
}

extension Console {
    func notificationDefaultsPage(refusal: Refusal? = nil, confirmation: String? = nil) async throws -> Response {
        let user = try signedIn()
        let defaults = try await store.notificationDefaults(actor: user, logger: logger)
        let rows = NotificationKind.allCases.flatMap { kind in
            Role.allCases.compactMap { role -> NotificationDefaultsPage.Row? in
                guard let d = defaults.first(where: { $0.kind == kind && $0.role == role }) else { return nil }
                return .init(kind: kind.rawValue, role: role.rawValue, words: kind.words, modeWords: d.mode.words,
                             id: "default-\(kind.rawValue.replacingOccurrences(of: ".", with: "-"))-\(role.rawValue)",
                             modes: NotificationMode.allCases.map { .init(value: $0.rawValue, words: $0.words, selected: $0 == d.mode) })
            }
        }
        return try render("notification-defaults", title: "Notifications: each role's default", NotificationDefaultsPage(rows: rows),
                          status: refusal?.status ?? .ok, refusal: refusal, confirmation: confirmation)
    }

    func setNotificationDefault(_ form: DefaultForm) async throws -> Response {
        let user = try signedIn()
        do {
            guard let kind = NotificationKind(rawValue: form.kind ?? "") else { throw DomainError.invalid(field: "kind", rule: "choose a kind of notification") }
            guard let role = Role(rawValue: form.role ?? "") else { throw DomainError.invalid(field: "role", rule: "choose a role") }
            guard let mode = NotificationMode(rawValue: form.mode ?? "") else { throw DomainError.invalid(field: "mode", rule: "choose how the role is told") }
            try await store.setNotificationDefault(kind: kind, role: role, mode: mode, actor: user, logger: logger)
            return try await notificationDefaultsPage(confirmation: "Saved: \(role.rawValue) users get “\(kind.words)” \(mode.words.lowercased()) unless they choose otherwise.")
        } catch let error as DomainError {
            if case .forbidden = error { throw error }
            return try await notificationDefaultsPage(refusal: Refusal(error))
        }
    }

    func webhooksPage(refusal: Refusal? = nil, confirmation: String? = nil, newSecret: WebhooksPage.NewSecret? = nil) async throws -> Response {
        let user = try signedIn()
        let endpoints = try await store.webhookEndpoints(actor: user, logger: logger)
        var rows: [WebhooksPage.Endpoint] = []
        for e in endpoints {
            let deliveries = try await store.notificationDeliveries(endpoint: e.name, limit: 10, actor: user, logger: logger)
            rows.append(.init(
                name: e.name, path: e.name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? e.name, slug: Self.slug(e.name), url: e.url,
                kinds: e.kinds.isEmpty ? "Every kind" : e.kinds.map { NotificationKind(rawValue: $0)?.words ?? $0 }.joined(separator: "; "),
                active: e.active, state: e.active ? "In service" : "Removed",
                rotation: e.previousSecretUntil.map { "The previous secret still signs until \(NotificationTime.text($0))." },
                deliveries: deliveries.map(Self.deliveryRow), anyDeliveries: !deliveries.isEmpty))
        }
        let kinds = [NotificationSettingsPage.Option(value: "", words: "Every kind", selected: true)]
            + NotificationKind.allCases.map { .init(value: $0.rawValue, words: $0.words, selected: false) }
        return try render("webhooks", title: "Webhook endpoints", WebhooksPage(endpoints: rows, anyEndpoints: !rows.isEmpty, kinds: kinds, newSecret: newSecret),
                          status: refusal?.status ?? .ok, refusal: refusal, confirmation: confirmation)
    }

    static func slug(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }

    static func deliveryRow(_ d: NotificationDeliveryRecord) -> WebhooksPage.Delivery {
        let state = switch d.state {
        case "delivered": "Delivered"
        case "dead": "Given up after \(d.attempts) tries"
        default: d.attempts == 0 ? "Waiting to be sent" : "Waiting to be tried again"
        }
        let answer = [d.lastStatus.map { "HTTP \($0)" }, d.lastAnswer.flatMap { $0.isEmpty ? nil : String($0.prefix(120)) }]
            .compactMap { $0 }.joined(separator: ": ")
        let when = d.deliveredAt.map { "delivered \(NotificationTime.text($0))" } ?? "next try \(NotificationTime.text(d.nextAttemptAt))"
        return .init(id: d.id, sentence: d.sentence, state: state, attempts: d.attempts, answer: answer.isEmpty ? "No answer yet" : answer,
                     latency: d.lastLatencyMs.map { "\($0) ms" } ?? "—", when: when)
    }

    func addEndpoint(_ form: EndpointForm) async throws -> Response {
        let user = try signedIn()
        do {
            let kinds = (form.kind ?? "").isEmpty ? [] : [form.kind ?? ""]
            let name = (form.name ?? "").trimmingCharacters(in: .whitespaces)
            let (endpoint, secret) = try await store.addWebhookEndpoint(name: name, url: (form.url ?? "").trimmingCharacters(in: .whitespaces),
                                                                        kinds: kinds, actor: user, logger: logger)
            return try await webhooksPage(confirmation: "Endpoint \(endpoint.name) added.", newSecret: .init(endpoint: endpoint.name, secret: secret))
        } catch let error as DomainError {
            if case .forbidden = error { throw error }
            return try await webhooksPage(refusal: Refusal(error, fields: ["name": "endpoint-name", "url": "endpoint-url", "kinds": "endpoint-kind"]))
        }
    }

    func webhookAction(_ name: String, action: String) async throws -> Response {
        let user = try signedIn()
        do {
            switch action {
            case "test":
                let delivery = try await store.requestWebhookTest(endpoint: name, actor: user, logger: logger)
                return try await webhooksPage(confirmation: "A test notification is on its way to \(name) (delivery \(delivery.id)); its answer appears below.")
            case "rotate":
                let (_, secret) = try await store.rotateWebhookSecret(name: name, actor: user, logger: logger)
                return try await webhooksPage(confirmation: "\(name) has a new signing secret; the previous one still signs for a day.",
                                              newSecret: .init(endpoint: name, secret: secret))
            case "remove":
                try await store.removeWebhookEndpoint(name: name, actor: user, logger: logger)
                return try await webhooksPage(confirmation: "\(name) is removed: it receives nothing more; its delivery log stays.")
            default: throw HTTPError(.notFound)
            }
        } catch let error as DomainError {
            if case .forbidden = error { throw error }
            return try await webhooksPage(refusal: Refusal(error))
        }
    }

    func redeliverFromConsole(_ id: Int64) async throws -> Response {
        let user = try signedIn()
        do {
            let delivery = try await store.redeliver(deliveryId: id, actor: user, logger: logger)
            return try await webhooksPage(confirmation: "Delivery \(id) to \(delivery.endpoint) will be tried again now.")
        } catch let error as DomainError {
            if case .forbidden = error { throw error }
            return try await webhooksPage(refusal: Refusal(error))
        }
    }
}
