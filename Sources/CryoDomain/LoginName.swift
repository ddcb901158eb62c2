/// A user's login name for the console: unique whatever its case (database twin: `app_user.login` CHECK and
/// the unique index on `lower(login)`, migration 034).
public enum LoginName {
    public static let rule = "must start with a letter and be 2 to 64 letters, digits, '.', '_' or '-'"

    public static func validate(_ login: String, field: String = "login") throws(DomainError) {
        try Validator().matches(login, /[A-Za-z][A-Za-z0-9._-]{1,63}/, field, rule)
    }
}
