import CryoAPIGenerated
import CryoDomain
import CryoStore

extension APIService {
    func unlockUser(_ input: Operations.UnlockUser.Input) async throws -> Operations.UnlockUser.Output {
        let account = try await store.unlockUser(.id(input.path.userId), actor: caller(), logger: logger)
        return .ok(.init(body: .json(.init(id: account.id, name: account.name, role: .init(rawValue: account.role.rawValue)!,
                                           locked: account.locked, failedSignatures: account.failedSignatures))))
    }

    func securityReport(_ input: Operations.SecurityReport.Input) async throws -> Operations.SecurityReport.Output {
        let report = try await store.securityReport(limit: input.query.limit ?? 50, actor: caller(), logger: logger)
        return .ok(.init(body: .json(.init(
            lockedUsers: report.lockedUsers.map { .init(id: $0.id, name: $0.name, login: $0.login, role: .init(rawValue: $0.role.rawValue)!) },
            bursts: report.bursts.map { .init(eventId: $0.eventId, occurredAt: $0.occurredAt, kind: .init(rawValue: $0.kind.rawValue)!,
                                             description: $0.description, failuresInARow: $0.failuresInARow) }))))
    }
}
