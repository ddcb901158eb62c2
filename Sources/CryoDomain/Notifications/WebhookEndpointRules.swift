/// What a webhook endpoint may be (issue 28). The database keeps the same shape by the CHECKs of `webhook_endpoint`
/// (`webhook_endpoint_url`, the name and secret patterns); these give the field and the rule first.
public enum WebhookEndpointRules {
    /// An endpoint's name: a short label people choose ("MES", "pharmacy-system").
    public static func checkName(_ name: String) throws(DomainError) {
        try Validator().matches(name, /[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}/, "name",
                                "an endpoint's name is 1 to 64 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit")
    }

    /// An endpoint's URL: http or https, a host, no spaces, at most 2,000 characters; no user name or password in it
    /// (the URL is written into the custody log, which keeps it for ever).
    public static func checkURL(_ url: String) throws(DomainError) {
        try Validator().require(url.count <= 2000, "url", "a webhook URL has at most 2,000 characters")
        try Validator().matches(url, /https?:\/\/[^\s\/?#@]+([\/?#][^\s]*)?/, "url",
                                "a webhook URL starts with http:// or https:// and a host, without spaces and without a user name or password")
    }

    /// The kinds an endpoint subscribes to: known kinds, each once; none means every kind.
    public static func kinds(_ names: [String]) throws(DomainError) -> [NotificationKind] {
        var kinds: [NotificationKind] = []
        for name in names {
            guard let kind = NotificationKind(rawValue: name) else {
                throw .invalid(field: "kinds", rule: "\(name) is not a kind of notification; the kinds are "
                               + NotificationKind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            if !kinds.contains(kind) { kinds.append(kind) }
        }
        return kinds
    }

    /// How long the previous secret still signs after a rotation, so receivers can switch without losing a delivery.
    public static let rotationOverlapSeconds = 24 * 3600
}
