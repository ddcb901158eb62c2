/// What a signing password may be so that it is compared in full. bcrypt reads a password as a C string,
/// up to its first NUL, and only its first 72 bytes: "right\u{0}anything" would pass as "right", and so would
/// any password sharing a long password's first 72 bytes. Such passwords are refused when set, and a
/// signature given with one is a wrong password (it cannot be anybody's).
public enum SigningPassword {
    public static let maxBytes = 72

    public static func isComparable(_ password: String) -> Bool {
        !password.utf8.contains(0) && password.utf8.count <= maxBytes
    }

    public static let rule = "must not contain the NUL character (U+0000) and must be at most \(maxBytes) bytes of UTF-8, so that it is compared in full"
}
