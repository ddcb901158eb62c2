import Foundation

/// A person's e-mail address for notifications: the twin of the CHECK `app_user_email` (migration 049).
public enum PersonEmail {
    public static let maxLength = 254

    /// The address as stored: trimmed; nil when left empty (no e-mail, the bell only).
    public static func check(_ email: String?) throws(DomainError) -> String? {
        let trimmed = (email ?? "").trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        try Validator().require(trimmed.count <= maxLength, "email", "an e-mail address has at most 254 characters")
        try Validator().matches(trimmed, /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*/, "email",
                                "an e-mail address is a name, an @ and a domain (letters, digits, dots and dashes), like qa@site.example")
        return trimmed
    }
}
