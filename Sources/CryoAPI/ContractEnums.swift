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
}
