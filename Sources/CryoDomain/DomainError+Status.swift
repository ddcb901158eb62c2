extension DomainError {
    /// The HTTP status of a refusal: the one mapping the API (problem+json), FHIR and the console all answer with.
    /// A refused signature is 403 everywhere: the signer is known (the session or token holds), the signature is not accepted.
    public var httpStatus: Int {
        switch self {
        case .invalid: 400
        case .unauthenticated: 401
        case .forbidden, .forbiddenOperation, .signatureRejected: 403
        case .notFound: 404
        case .conflict: 409
        }
    }
}
