import CryoAPIGenerated
import CryoDomain
import CryoStore
import Foundation
import OpenAPIRuntime

/// Store records to the contract's schemas.
enum Mapping {
    static func product(_ p: ProductRecord) throws -> Components.Schemas.Product {
        .init(code: p.code, name: p.name, shelfLifeDays: p.shelfLifeDays, storageCondition: p.storageCondition,
              storageMaxCelsius: p.storageMaxCelsius, thawToInfusionMinutes: p.thawToInfusionMinutes, maxTimeOutMinutes: p.maxTimeOutMinutes,
              specVersion: p.specVersion,
              specification: try p.specification.map {
                  .init(code: $0.code, name: $0.name, kind: try contract(stored: $0.kind), unit: $0.unit, min: $0.min, max: $0.max, expected: $0.expected)
              })
    }

    static func donor(_ d: DonorRecord) throws -> Components.Schemas.Donor {
        .init(code: d.code, eligibility: contract(d.eligibility), eligibilityDecidedAt: d.eligibilityDecidedAt,
              screeningTests: try d.screeningTests.map { .init(test: $0.test, result: try contract(stored: $0.result), testedOn: $0.testedOn) },
              hla: d.hla, lots: d.lots, registeredAt: d.registeredAt)
    }

    static func lot(_ l: LotRecord) -> Components.Schemas.Lot {
        .init(lotNumber: l.lotNumber, productCode: l.productCode, donorCode: l.donorCode, manufacturedOn: l.manufacturedOn,
              expiresOn: l.expiresOn, cellsPerVial: l.cellsPerVial, vialCount: l.plannedVials, status: contract(l.status),
              heldFrom: l.heldFrom?.rawValue, statusChangedAt: l.statusChangedAt, vialsByStatus: .init(additionalProperties: l.vialsByStatus))
    }

    static func vial(_ v: VialRecord) -> Components.Schemas.Vial {
        .init(id: v.id, lotNumber: v.lotNumber, productCode: v.productCode, ordinal: v.ordinal, status: contract(v.status),
              lotStatus: contract(v.lotStatus), expiresOn: v.expiresOn,
              location: v.location.map { .init(siteCode: $0.siteCode, freezerId: $0.freezerId, rackId: $0.rackId, boxId: $0.boxId, row: $0.row, column: $0.column, label: $0.label) },
              checkedOutSince: v.checkedOutSince, minutesOutOfStorage: v.minutesOutOfStorage, available: v.availability.available,
              blockers: blockers(v.availability.reasons))
    }

    static func blockers(_ reasons: [VialAvailability.Reason]) -> [Components.Schemas.VialBlocker] {
        reasons.map { .init(code: contract($0.code), detail: $0.detail) }
    }

    static func freezerMap(_ m: FreezerMap) -> Components.Schemas.FreezerMap {
        .init(freezerId: m.freezerId, siteCode: m.siteCode, kind: m.kind, name: m.name, maxCelsius: m.maxCelsius, occupied: m.occupied, free: m.free,
              racks: m.racks.map { rack in
                  .init(id: rack.id, label: rack.label, boxes: rack.boxes.map { box in
                      .init(id: box.id, label: box.label, rows: box.rows, columns: box.columns, occupied: box.occupied, free: box.free,
                            slots: box.slots.map { .init(row: $0.row, column: $0.column, label: $0.label, vialId: $0.vialId, lotNumber: $0.lotNumber, status: $0.status,
                                                         blockers: blockers($0.reasons)) })
                  })
              })
    }

    static func custodyEvent(_ e: CustodyEventRecord) throws -> Components.Schemas.CustodyEvent {
        let details = try JSONDecoder().decode(OpenAPIObjectContainer.self, from: Data(e.details.utf8))
        return .init(id: e.id, subjectType: e.subjectType, subjectId: e.subjectId, seq: e.seq, action: e.action, actorName: e.actorName,
                     actorRole: e.actorRole, occurredAt: e.occurredAt, fromState: e.fromState, toState: e.toState, fromLocation: e.fromLocation,
                     toLocation: e.toLocation, reason: e.reason, details: .init(additionalProperties: details),
                     signature: e.signature.map(signature), hash: e.hash)
    }

    /// An exported event with nulls for absent values and `details` as an object.
    static func exportedEvent(_ e: ExportedEvent) throws -> Components.Schemas.CustodyExportEvent {
        func orNull(_ s: String) -> String? { s.isEmpty ? nil : s }
        let details = try JSONDecoder().decode(OpenAPIObjectContainer.self, from: Data((e.details.isEmpty ? "{}" : e.details).utf8))
        return .init(id: e.id, subjectType: e.subjectType, subjectId: e.subjectId, seq: e.seq, action: e.action, actorName: e.actorName,
                     actorRole: e.actorRole, occurredAt: e.occurredAt, fromState: orNull(e.fromState), toState: orNull(e.toState),
                     fromLocation: orNull(e.fromLocation), toLocation: orNull(e.toLocation), reason: orNull(e.reason),
                     details: .init(additionalProperties: details), signature: e.signatureManifestation.map(signature),
                     hashedFields: e.hashedFields, prevHash: e.prevHash, hash: e.hash,
                     inclusion: e.inclusion.map(APIService.inclusion))
    }

    static func signature(_ s: SignatureManifestation) -> Components.Schemas.SignatureManifestation {
        .init(printedName: s.printedName, meaning: s.meaning, signedAt: iso8601(s.signedAt) ?? Date(timeIntervalSince1970: 0))
    }

    /// ISO 8601 with or without fractional seconds, as signatures record their time.
    static func iso8601(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }
}
