import CryoStore
import OpenAPIRuntime

extension LogSafe {
    /// The runtime's `ServerError` describes the whole request, its body and the response (tokens, signing
    /// passwords, patient data): only its operation id is kept, with the underlying error described safely.
    public static func describeRequestError(_ error: any Error) -> String {
        guard let error = error as? ServerError else { return describe(error) }
        return "operation \(error.operationID): \(describe(error.underlyingError))"
    }
}
