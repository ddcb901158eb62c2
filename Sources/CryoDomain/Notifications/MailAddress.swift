/// An e-mail address as CryoLedger accepts it for people and senders (twin of the check `app_user_email`): a plain
/// `local@domain`, no display name, no comments, at most 254 characters.
public enum MailAddress {
    public static func isValid(_ text: String) -> Bool {
        guard text.count <= 254, let at = text.firstIndex(of: "@"), text.filter({ $0 == "@" }).count == 1 else { return false }
        let local = text[..<at], domain = text[text.index(after: at)...]
        let localOK = !local.isEmpty && local.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._%+-".contains($0)) }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        let domainOK = !labels.isEmpty && labels.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") } }
        return localOK && domainOK
    }
}
