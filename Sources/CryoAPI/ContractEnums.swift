import CryoDomain

/// Domain enums to the contract's enums of the same raw values.
extension Mapping {
    /// Every domain case has its contract case (`ContractEnumTests` checks each), so the lookup cannot fail; were the
    /// two to drift apart, it stops loudly instead of sending another value in its place.
    static func contract<Domain: RawRepresentable, Contract: RawRepresentable>(_ value: Domain) -> Contract
    where Domain.RawValue == String, Contract.RawValue == String {
        guard let mapped = Contract(rawValue: value.rawValue) else {
            preconditionFailure("the contract has no \(Contract.self) '\(value.rawValue)'")
        }
        return mapped
    }

    /// A value the store read as text (CHECK-constrained in the database) to the contract's enum; an unknown one is
    /// an error (a 500), never another value in its place.
    static func contract<Contract: RawRepresentable>(stored text: String) throws -> Contract where Contract.RawValue == String {
        guard let mapped = Contract(rawValue: text) else { throw UnknownStoredValue(type: String(describing: Contract.self), value: text) }
        return mapped
    }
}
