/// How a person gets a kind of notification: at once (the bell and an e-mail), in an hourly or daily digest e-mail
/// (and the bell), or not at all.
public enum NotificationMode: String, CaseIterable, Sendable, Codable, Comparable {
    case immediate, hourly, daily, off

    /// The stronger of two choices wins when several of a user's subscriptions match one notification.
    public static func < (a: Self, b: Self) -> Bool { Self.allCases.firstIndex(of: a)! < Self.allCases.firstIndex(of: b)! }

    public var words: String {
        switch self {
        case .immediate: "At once"
        case .hourly: "Hourly digest"
        case .daily: "Daily digest"
        case .off: "Off"
        }
    }
}

/// What a subscription is limited to: everything of its kind, or one site, freezer or study.
public enum NotificationScope: Sendable, Equatable, Hashable {
    case all
    case site(String)
    case freezer(String)
    case study(String)

    public var type: String {
        switch self { case .all: "all"; case .site: "site"; case .freezer: "freezer"; case .study: "study" }
    }
    public var id: String {
        switch self { case .all: ""; case .site(let s), .freezer(let s), .study(let s): s }
    }
    public init?(type: String, id: String) {
        switch (type, id.isEmpty) {
        case ("all", true): self = .all
        case ("site", false): self = .site(id)
        case ("freezer", false): self = .freezer(id)
        case ("study", false): self = .study(id)
        default: return nil
        }
    }
    /// Whether a notification about something at `site`, in `freezer`, for `study` falls within this scope.
    public func covers(site: String?, freezer: String?, study: String?) -> Bool {
        switch self {
        case .all: true
        case .site(let s): s == site
        case .freezer(let f): f == freezer
        case .study(let s): s == study
        }
    }
}

/// Who may receive which notifications (twin of the table `notification_audience`; its rows for a kind are these roles)
/// and how a user gets one (twin of the SQL function `notification_mode`).
public enum NotificationAudience {
    /// The roles that may receive a kind. Security and the audit trail go to administrators (21 CFR 11.300(d)), QA and
    /// auditors only; a test send to administrators only; everything else to any role that chooses it.
    public static func roles(for kind: NotificationKind) -> Set<Role> {
        switch kind {
        case .signInBurst, .signatureLockout, .auditVerificationFailed, .backupFailed: [.admin, .qa, .auditor]
        case .webhookTest: [.admin]
        case .holdPlaced, .holdLifted, .lotReleased, .lotRejected, .lotExpired, .temperatureExcursion, .donorFoundIneligible,
             .lotExpiring30Days, .lotExpiring7Days, .boxNearlyFull, .freezerNearlyFull, .shipmentHoldRunningOut,
             .infusionWithoutDose, .stockOutRisk:
            Set(Role.allCases)
        }
    }

    public static func mayReceive(_ kind: NotificationKind, role: Role) -> Bool { roles(for: kind).contains(role) }

    /// A user's subscription to a kind within a scope.
    public struct Subscription: Sendable, Equatable {
        public var kind: NotificationKind
        public var scope: NotificationScope
        public var mode: NotificationMode
        public init(kind: NotificationKind, scope: NotificationScope, mode: NotificationMode) {
            self.kind = kind; self.scope = scope; self.mode = mode
        }
    }

    /// How a user gets one notification: `off` if the role may not receive the kind; else, if the user has chosen
    /// anything for the kind, the strongest of the choices whose scope covers it (`off` when none does); else the
    /// role's default (set by administrators).
    public static func mode(kind: NotificationKind, role: Role, subscriptions: [Subscription], roleDefault: NotificationMode,
                            site: String?, freezer: String?, study: String?) -> NotificationMode {
        guard mayReceive(kind, role: role) else { return .off }
        let mine = subscriptions.filter { $0.kind == kind }
        guard !mine.isEmpty else { return roleDefault }
        return mine.filter { $0.scope.covers(site: site, freezer: freezer, study: study) }.map(\.mode).min() ?? .off
    }
}
