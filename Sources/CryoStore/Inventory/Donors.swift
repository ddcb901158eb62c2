import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    public func registerDonor(_ request: DonorRegistration, actor: Principal, logger: Logger) async throws -> DonorRecord {
        try actor.require(.registerDonor)
        try request.validate()
        try await transaction(logger) { conn in
            try await conn.guardedQuery("""
                INSERT INTO donor (code, eligibility, eligibility_decided_at, registered_by)
                VALUES (\(request.code), \(request.eligibility.rawValue), CASE WHEN \(request.eligibility.rawValue) = 'pending' THEN NULL ELSE now() END, \(actor.id))
                """, logger: logger)
            for t in request.screeningTests {
                try await conn.guardedQuery("""
                    INSERT INTO donor_screening_test (donor_code, test, result, tested_on)
                    VALUES (\(request.code), \(t.test), \(t.result), \(t.testedOn.description)::date)
                    """, logger: logger)
            }
            var copies: [HLALocus: Int] = [:]
            for allele in request.hla {
                let locus = HLA.locus(of: allele)!
                copies[locus, default: 0] += 1
                try await conn.guardedQuery("""
                    INSERT INTO donor_hla (donor_code, locus, copy, allele) VALUES (\(request.code), \(locus.rawValue), \(copies[locus]!), \(allele))
                    """, logger: logger)
            }
            try await Custody.append(CustodyEntry(subjectType: "donor", subjectId: request.code, action: "donor.registered",
                                                  toState: request.eligibility.rawValue,
                                                  details: ["hla": request.hla.joined(separator: " "), "screeningTests": String(request.screeningTests.count)]),
                                     by: actor, on: conn, logger: logger)
        }
        return try await donor(code: request.code, actor: actor, logger: logger)
    }

    public func donor(code: String, actor: Principal, logger: Logger) async throws -> DonorRecord {
        try actor.require(.readInventory)
        return try await read(logger) { conn in
            guard let d = try await conn.guardedQuery("""
                SELECT code, eligibility, eligibility_decided_at, registered_at FROM donor WHERE code = \(code)
                """, logger: logger).named({ $0 }).first else {
                throw DomainError.notFound(kind: "donor", id: code)
            }
            let tests = try await conn.guardedQuery("""
                SELECT test, result, to_char(tested_on, 'YYYY-MM-DD') FROM donor_screening_test WHERE donor_code = \(code) ORDER BY test
                """, logger: logger).decode((String, String, String).self).all().map { DonorRecord.Test(test: $0.0, result: $0.1, testedOn: $0.2) }
            let hla = try await conn.guardedQuery("""
                SELECT allele FROM donor_hla WHERE donor_code = \(code)
                ORDER BY array_position(ARRAY['A','B','C','DRB1','DQB1','DPB1'], locus), copy
                """, logger: logger).decode(String.self).all()
            let lots = try await conn.guardedQuery("SELECT lot_number FROM lot WHERE donor_code = \(code) ORDER BY lot_number", logger: logger)
                .decode(String.self).all()
            return DonorRecord(code: try d("code"), eligibility: try DonorEligibility(stored: d("eligibility")), eligibilityDecidedAt: try d("eligibility_decided_at"),
                               screeningTests: tests, hla: hla, lots: lots, registeredAt: try d("registered_at"))
        }
    }
}
