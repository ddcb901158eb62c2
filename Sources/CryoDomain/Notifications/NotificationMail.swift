import Foundation

/// The console page a notification is about (relative to the console's root), or nil when it has none or not one
/// `role` may open. Without a role (an e-mail to several people) only pages every role may open are linked.
public enum NotificationLink {
    public static func path(kind: String, subjectType: String, subjectId: String, role: Role?) -> String? {
        let id = subjectId.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? subjectId
        switch subjectType {
        case "lot": return "/console/lots/\(id)"
        case "vial": return "/console/vials/\(id)"
        case "storage": return kind == NotificationKind.boxNearlyFull.rawValue ? nil : "/console/freezers/\(id)"
        case "donor": return "/console/donors/\(id)"
        case "shipment": return "/console/pharmacy/shipments/\(id)"
        case "study": return "/console/studies/\(id)"
        case "patient": return "/console/patients"
        case "supply-forecast": return "/console/supply/forecasts/\(id)"
        case "security":
            if kind.hasPrefix("audit.") { return "/console/audit/verify" }
            if kind == NotificationKind.backupFailed.rawValue { return nil }
            if kind == NotificationKind.webhookTest.rawValue { return role == .admin ? "/console/admin/webhooks" : nil }
            return role == .admin ? "/console/users" : nil
        default: return nil
        }
    }
}

/// An e-mail built from notifications (one at once, or several in a digest): an RFC 5322 message with a plain-text
/// and an HTML part, in people's words, each line linking to its console page. Recipients are the envelope's only
/// (`To: undisclosed-recipients:;`), so nobody learns who else is told. Coded ids only, as in the webhooks.
public struct NotificationMail: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        public var kind: String
        public var sentence: String
        public var subjectType: String
        public var subjectId: String
        public var occurredAt: Date
        public init(kind: String, sentence: String, subjectType: String, subjectId: String, occurredAt: Date) {
            self.kind = kind; self.sentence = sentence; self.subjectType = subjectType; self.subjectId = subjectId; self.occurredAt = occurredAt
        }
    }

    public var idempotencyId: UUID
    public var items: [Item]
    /// nil: sent at once; "hourly" or "daily": a digest.
    public var digest: String?
    public var from: String
    /// The console's public address, e.g. `https://cryoledger.site.example` (no trailing slash needed).
    public var consoleURL: String

    public init(idempotencyId: UUID, items: [Item], digest: String?, from: String, consoleURL: String) {
        self.idempotencyId = idempotencyId; self.items = items; self.digest = digest; self.from = from; self.consoleURL = consoleURL
    }

    public var subject: String {
        switch (digest, items.count) {
        case (nil, _): "CryoLedger: \(items.first?.sentence ?? "notification")"
        case (let period?, 1): "CryoLedger \(period) digest: \(items[0].sentence)"
        case (let period?, let n): "CryoLedger \(period) digest: \(n) notifications"
        }
    }

    func link(_ item: Item) -> String? {
        let base = consoleURL.hasSuffix("/") ? String(consoleURL.dropLast()) : consoleURL
        return NotificationLink.path(kind: item.kind, subjectType: item.subjectType, subjectId: item.subjectId, role: nil).map { base + $0 }
    }

    static func when(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_GB"); f.timeZone = TimeZone(identifier: "UTC"); f.dateFormat = "d MMM yyyy, HH:mm 'UTC'"
        return f.string(from: date)
    }

    public var plainText: String {
        var lines = [digest.map { "Your \($0) digest from CryoLedger:" } ?? "CryoLedger tells you:", ""]
        for item in items {
            lines.append("- \(item.sentence) (\(Self.when(item.occurredAt)))")
            if let link = link(item) { lines.append("  \(link)") }
        }
        lines += ["", "You receive this because of your notification settings: \(consoleURL)/console/notifications/settings"]
        return lines.joined(separator: "\r\n")
    }

    public var html: String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        let rows = items.map { item in
            let sentence = link(item).map { "<a href=\"\(esc($0))\">\(esc(item.sentence))</a>" } ?? esc(item.sentence)
            return "<li>\(sentence) <small>\(esc(Self.when(item.occurredAt)))</small></li>"
        }.joined(separator: "\r\n")
        return """
            <!DOCTYPE html>\r
            <html lang="en"><body>\r
            <p>\(esc(digest.map { "Your \($0) digest from CryoLedger:" } ?? "CryoLedger tells you:"))</p>\r
            <ul>\r
            \(rows)\r
            </ul>\r
            <p><small>You receive this because of your <a href="\(esc(consoleURL))/console/notifications/settings">notification settings</a>.</small></p>\r
            </body></html>
            """
    }

    /// The whole message as sendmail reads it on its standard input (CRLF line ends, quoted-printable-free: UTF-8 in
    /// 8bit parts, which every SMTP server since RFC 6152 accepts; subjects with non-ASCII use RFC 2047 encoded words).
    public func message(date: Date = Date()) -> String {
        let boundary = "cryoledger-\(idempotencyId.uuidString.lowercased())"
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX"); f.timeZone = TimeZone(identifier: "UTC"); f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        let subjectHeader = subject.allSatisfy(\.isASCII) ? subject : "=?UTF-8?B?\(Data(subject.utf8).base64EncodedString())?="
        let headers = [
            "From: CryoLedger <\(from)>",
            "To: undisclosed-recipients:;",
            "Subject: \(subjectHeader)",
            "Date: \(f.string(from: date))",
            "Message-ID: <\(idempotencyId.uuidString.lowercased())@cryoledger>",
            "X-CryoLedger-Notification: \(idempotencyId.uuidString.lowercased())",
            "Auto-Submitted: auto-generated",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
        ]
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + [
            "--\(boundary)", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit", "", plainText, "",
            "--\(boundary)", "Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: 8bit", "", html, "",
            "--\(boundary)--", "",
        ].joined(separator: "\r\n")
    }
}
