import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// The bell in the page header: the unread count, and the same in words for screen readers.
struct Bell: Sendable {
    /// Counted up to here; beyond, the bell says "99+".
    static let cap = 100
    let count: String
    let words: String
    let any: Bool

    init(unread: Int) {
        count = unread >= Self.cap ? "\(Self.cap - 1)+" : String(unread)
        words = switch unread {
        case 0: "Notifications: none unread"
        case 1: "Notifications: 1 unread"
        default: "Notifications: \(count) unread"
        }
        any = unread > 0
    }
}

/// Times on these pages: UTC, with its zone said.
enum NotificationTime {
    static func text(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_GB")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "d MMM yyyy, HH:mm 'UTC'"
        return f.string(from: date)
    }
}

/// The notifications page: the person's notifications, newest first, each linked to what it is about.
struct NotificationsPage: Sendable {
    struct Item: Sendable { let id: Int64, sentence: String, when: String, href: String?, unread: Bool }
    let items: [Item]
    let any: Bool
    let anyUnread: Bool
    /// The newest id shown: "Mark all as read" marks up to it, so what arrives meanwhile stays unread.
    let newestId: Int64
    /// The next page's link, when there may be older notifications.
    let olderHref: String?
}

/// A person's choices page: each kind their role may receive, how they get it, and their e-mail address.
struct NotificationSettingsPage: Sendable {
    struct Choice: Sendable { let scopeType: String, scopeId: String, scopeWords: String, modeWords: String }
    struct Option: Sendable { let value: String, words: String, selected: Bool }
    struct Kind: Sendable {
        let kind: String, slug: String, words: String, defaultWords: String
        let choices: [Choice]
        let anyChoices: Bool
        let modes: [Option]
        let scopes: [Option]
        /// The site, freezer or study typed into a refused form, kept.
        let scopeId: String
        let error: String?
    }
    let kinds: [Kind]
    let email: String
    let emailError: String?
}

/// A person's choice as the settings form sends it.
struct SubscriptionForm: Decodable, Sendable {
    var kind: String?
    var mode: String?
    var scopeType: String?
    var scopeId: String?
}

struct EmailForm: Decodable, Sendable { var email: String? }

struct MarkReadForm: Decodable, Sendable { var upTo: String? }

extension Console {
    func notificationsPage(before: Int64?, confirmation: String? = nil) async throws -> Response {
        let user = try signedIn()
        let pageSize = 50
        let list = try await store.myNotifications(before: before, limit: pageSize, actor: user, logger: logger)
        let items = list.map { n in
            NotificationsPage.Item(id: n.id, sentence: n.sentence, when: NotificationTime.text(n.createdAt),
                                   href: NotificationLink.path(kind: n.kind, subjectType: n.subjectType, subjectId: n.subjectId, role: user.role),
                                   unread: !n.read)
        }
        let page = NotificationsPage(items: items, any: !items.isEmpty, anyUnread: items.contains(where: \.unread),
                                     newestId: items.first?.id ?? 0,
                                     olderHref: list.count == pageSize ? list.last.map { "/console/notifications?before=\($0.id)" } : nil)
        return try render("notifications", title: "Notifications", page, confirmation: confirmation)
    }

    func markNotificationsRead(_ form: MarkReadForm) async throws -> Response {
        let user = try signedIn()
        guard let upTo = Int64(form.upTo ?? "") else {
            throw DomainError.invalid(field: "upTo", rule: "reload the page and try again")
        }
        try await store.markNotificationsRead(upTo: upTo, actor: user, logger: logger)
        // Back to the list by GET, so the bell is counted again.
        return Response.redirect(to: "/console/notifications?done=read", type: .normal)
    }

    func notificationSettingsPage(refused: (kind: String?, error: DomainError)? = nil, form: SubscriptionForm? = nil, email: String? = nil,
                                  confirmation: String? = nil) async throws -> Response {
        let user = try signedIn()
        let mine = try await store.mySubscriptions(actor: user, logger: logger)
        let defaults = try await store.myRoleDefaults(actor: user, logger: logger)
        let savedEmail = try await store.myEmail(actor: user, logger: logger)
        let refusal = refused.map { refused in
            let anchor = "choose-" + (refused.kind ?? "").replacingOccurrences(of: ".", with: "-")
            return Refusal(refused.error, fields: refused.kind == nil ? ["email": "email"] : ["kind": anchor, "scope": anchor, "mode": anchor])
        }
        let kinds = NotificationKind.allCases.filter { NotificationAudience.mayReceive($0, role: user.role) }.map { kind in
            let roleDefault = defaults[kind] ?? .off
            let choices = mine.filter { $0.kind == kind }
            // A refused form comes back as it was sent.
            let sent = refused?.kind == kind.rawValue ? form : nil
            let mode = sent?.mode.flatMap(NotificationMode.init(rawValue:)) ?? choices.first?.mode ?? roleDefault
            let scopeType = sent?.scopeType ?? "all"
            return NotificationSettingsPage.Kind(
                kind: kind.rawValue, slug: kind.rawValue.replacingOccurrences(of: ".", with: "-"), words: kind.words,
                defaultWords: roleDefault.words,
                choices: choices.map { .init(scopeType: $0.scope.type, scopeId: $0.scope.id, scopeWords: Self.scopeWords($0.scope), modeWords: $0.mode.words) },
                anyChoices: !choices.isEmpty,
                modes: NotificationMode.allCases.map { .init(value: $0.rawValue, words: $0.words, selected: $0 == mode) },
                scopes: Self.scopeOptions.map { .init(value: $0.0, words: $0.1, selected: $0.0 == scopeType) },
                scopeId: sent?.scopeId ?? "",
                error: refused?.kind == kind.rawValue ? refused.map { RefusalSentences.sentence(for: $0.error) } : nil)
        }
        let page = NotificationSettingsPage(
            kinds: kinds,
            email: email ?? savedEmail ?? "",
            emailError: refused?.kind == nil ? refused.map { RefusalSentences.sentence(for: $0.error) } : nil)
        return try render("notification-settings", title: "How you are notified", page,
                          status: refusal?.status ?? .ok, refusal: refusal, confirmation: confirmation)
    }

    static let scopeOptions = [("all", "Everywhere"), ("site", "At one site"), ("freezer", "In one freezer"), ("study", "In one study")]

    static func scopeWords(_ scope: NotificationScope) -> String {
        switch scope {
        case .all: "everywhere"
        case .site(let s): "at site \(s)"
        case .freezer(let f): "in freezer \(f)"
        case .study(let s): "in study \(s)"
        }
    }

    /// Reads a kind and a scope from the form, naming the field that is wrong.
    static func subscriptionParts(_ form: SubscriptionForm) throws -> (NotificationKind, NotificationScope) {
        guard let kind = NotificationKind(rawValue: form.kind ?? "") else {
            throw DomainError.invalid(field: "kind", rule: "choose a kind of notification from the list")
        }
        let type = form.scopeType.flatMap { $0.isEmpty ? nil : $0 } ?? "all"
        let id = (form.scopeId ?? "").trimmingCharacters(in: .whitespaces)
        guard let scope = NotificationScope(type: type, id: type == "all" ? "" : id) else {
            throw DomainError.invalid(field: "scope", rule: "name the site, freezer or study, or choose “Everywhere”")
        }
        return (kind, scope)
    }

    func setSubscription(_ form: SubscriptionForm) async throws -> Response {
        let user = try signedIn()
        do {
            let (kind, scope) = try Self.subscriptionParts(form)
            guard let mode = NotificationMode(rawValue: form.mode ?? "") else {
                throw DomainError.invalid(field: "mode", rule: "choose how you want to be told")
            }
            try await store.setMySubscription(.init(kind: kind, scope: scope, mode: mode), actor: user, logger: logger)
            return try await notificationSettingsPage(confirmation: "Saved: “\(kind.words)” \(Self.scopeWords(scope)), \(mode.words.lowercased()).")
        } catch let error as DomainError {
            if case .forbidden = error { throw error }
            return try await notificationSettingsPage(refused: (form.kind ?? "", error), form: form)
        }
    }

    func removeSubscription(_ form: SubscriptionForm) async throws -> Response {
        let user = try signedIn()
        do {
            let (kind, scope) = try Self.subscriptionParts(form)
            try await store.removeMySubscription(kind: kind, scope: scope, actor: user, logger: logger)
            return try await notificationSettingsPage(confirmation: "Removed: “\(kind.words)” \(Self.scopeWords(scope)).")
        } catch let error as DomainError {
            return try await notificationSettingsPage(refused: (form.kind ?? "", error))
        }
    }

    func setEmail(_ form: EmailForm) async throws -> Response {
        let user = try signedIn()
        do {
            try await store.setMyEmail(form.email, actor: user, logger: logger)
            let cleared = (form.email ?? "").trimmingCharacters(in: .whitespaces).isEmpty
            return try await notificationSettingsPage(confirmation: cleared ? "Your e-mail address is removed: you are told by the bell only."
                                                                            : "Your e-mail address is saved.")
        } catch let error as DomainError {
            return try await notificationSettingsPage(refused: (nil, error), email: form.email)
        }
    }
}
