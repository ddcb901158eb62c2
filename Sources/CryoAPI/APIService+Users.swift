import CryoAPIGenerated
import CryoDomain
import CryoStore

extension APIService {
    func unlockUser(_ input: Operations.UnlockUser.Input) async throws -> Operations.UnlockUser.Output {
        let account = try await store.unlockUser(.id(input.path.userId), actor: caller(), logger: logger)
        return .ok(.init(body: .json(.init(id: account.id, name: account.name, role: .init(rawValue: account.role.rawValue)!,
                                           locked: account.locked, failedSignatures: account.failedSignatures))))
    }
}
