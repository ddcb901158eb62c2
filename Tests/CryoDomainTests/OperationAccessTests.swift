import CryoDomain
import Testing

@Suite("Who may do what")
struct OperationAccessTests {
    // Issue 13 item 5: rejecting an in-process lot was gated to manufacturing.
    @Test("rejecting a lot is QA's from every state it can be rejected from; manufacturing only completes a run")
    func rejectionIsQA() {
        for from in LotStatus.allCases where from.canMove(to: .rejected) {
            #expect(LotStatus.action(from: from, to: .rejected).allowedRoles == [.qa], "\(from.rawValue) → rejected")
        }
        #expect(LotStatus.action(from: .inProcess, to: .quarantine).allowedRoles == [.manufacturing])
        #expect(OperationAccess.roles(for: "rejectLot") == [.qa])
        #expect(OperationAccess.roles(for: "changeLotStatus") == [.manufacturing, .qa])
    }

    @Test("every lot transition's action is among those of changeLotStatus")
    func lotTransitionsCovered() {
        let actions = Set(OperationAccess.table["changeLotStatus"]!.map(\.rawValue))
        for from in LotStatus.allCases {
            for to in from.successors where to != .released || from == .onHold {
                #expect(actions.contains(LotStatus.action(from: from, to: to).rawValue), "\(from.rawValue) → \(to.rawValue)")
            }
        }
    }

    @Test("refusals name the operation (or what is done) and who may, never an internal action name")
    func messages() {
        #expect(throws: DomainError.forbiddenOperation(operation: "rejectLot", role: .manufacturing, allowed: [.qa])) {
            try OperationAccess.check("rejectLot", role: .manufacturing)
        }
        #expect(DomainError.forbiddenOperation(operation: "rejectLot", role: .manufacturing, allowed: [.qa]).description
                == "rejectLot is done by qa; you are manufacturing")
        #expect(DomainError.forbiddenOperation(operation: "changeLotStatus", role: .qc, allowed: [.qa, .manufacturing]).description
                == "changeLotStatus is done by manufacturing or qa; you are qc")
        let text = DomainError.forbidden(role: .qc, action: .dispositionLot).description
        #expect(text == "releasing, rejecting or recalling a lot is done by qa; you are qc")
        #expect(!text.contains("dispositionLot"))
        // An operation the table does not know is closed to everyone.
        #expect(throws: DomainError.self) { try OperationAccess.check("noSuchOperation", role: .admin) }
        for op in OperationAccess.table.keys { #expect(OperationAccess.roles(for: op)?.isEmpty == false, "\(op)") }
    }

    // Issue 13 item 6: bcrypt compares up to a NUL and the first 72 bytes only.
    @Test("a signing password is comparable in full: no NUL, at most 72 bytes")
    func signingPassword() {
        #expect(SigningPassword.isComparable("qa-signing-password-1"))
        #expect(!SigningPassword.isComparable("qa-signing-password-1\u{0}zzz"))
        #expect(SigningPassword.isComparable(String(repeating: "a", count: 72)))
        #expect(!SigningPassword.isComparable(String(repeating: "a", count: 73)))
        #expect(!SigningPassword.isComparable(String(repeating: "é", count: 37)))
    }
}
