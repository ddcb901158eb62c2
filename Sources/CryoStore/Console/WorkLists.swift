import CryoDomain
import Foundation
import Logging
import PostgresNIO

/// One line of a work queue: what it is about (`subject`: a lot number, vial id, box, patient, cohort, shipment,
/// plan or user), and the facts the console words for its queue.
public struct WorkItem: Sendable, Equatable {
    public var subject: String
    public var day: String?
    public var site: String?
    public var count: Int?
    public var total: Int?
    public var note: String?
    public init(subject: String, day: String? = nil, site: String? = nil, count: Int? = nil, total: Int? = nil, note: String? = nil) {
        self.subject = subject; self.day = day; self.site = site; self.count = count; self.total = total; self.note = note
    }
}

/// An enrolled patient with the dates their next step is decided from (`PatientNextStep`).
public struct PatientOverview: Sendable, Equatable {
    public var subjectId: String, studyCode: String, siteCode: String, cohortId: String, status: String
    public var ldStartOn: CalendarDay?, infusionOn: CalendarDay, dosedOn: CalendarDay?, dltWindowDays: Int, clearedToday: Bool

    public func nextStep(today: CalendarDay) -> PatientNextStep {
        .decide(status: status, ldStartOn: ldStartOn, infusionOn: infusionOn, dosedOn: dosedOn,
                dltWindowDays: dltWindowDays, clearedToday: clearedToday, today: today)
    }
}

extension Store {
    /// The role's work list: each of its queues (`WorkQueue.queues(for:)`) with at most 50 items.
    public func workList(actor: Principal, logger: Logger) async throws -> [(queue: WorkQueue, items: [WorkItem])] {
        let queues = WorkQueue.queues(for: actor.role)
        let patientQueues: Set<WorkQueue> = [.lymphodepletionDue, .clearanceDue, .infusionToday, .dltWindowOpen]
        let today = CalendarDay.today()
        let steps = queues.contains(where: patientQueues.contains)
            ? try await patientOverview(actor: actor, logger: logger).map { ($0, $0.nextStep(today: today)) } : []
        var list: [(queue: WorkQueue, items: [WorkItem])] = []
        for queue in queues {
            try actor.require(queue.action)
            switch queue {
            case _ where patientQueues.contains(queue):
                list.append((queue, steps.filter { $0.1.queue == queue }.map { p, step in
                    WorkItem(subject: p.subjectId, day: p.infusionOn.description, site: p.siteCode, note: step.sentence)
                }))
            case .cohortDecisionsDue:
                var items: [WorkItem] = []
                for study in try await studies(actor: actor, logger: logger) {
                    for d in try await cohortDecisions(studyCode: study.code, actor: actor, logger: logger) where d.actionable {
                        items.append(WorkItem(subject: d.cohort.id, count: d.patientsWithDlt, total: d.treated, note: "\(d.decision): \(d.rationale)"))
                    }
                }
                list.append((queue, items))
            default:
                list.append((queue, try await read(logger) { conn in try await conn.guardedQuery(Self.workQuery(queue), logger: logger).named(Self.workItem) }))
            }
        }
        return list
    }

    static func workItem(_ c: NamedColumns) throws -> WorkItem {
        WorkItem(subject: try c("subject"), day: try c("day"), site: try c("site"), count: try c("count", as: Int?.self),
                 total: try c("total", as: Int?.self), note: try c("note"))
    }

    /// Every query selects subject, day, site, count, total and note (NULL where they do not apply).
    static func workQuery(_ queue: WorkQueue) -> PostgresQuery {
        let nearlyFull = WorkQueue.nearlyFullFreePlaces, idle = WorkQueue.idleDays
        switch queue {
        case .lotsInProcess:
            return """
                SELECT l.lot_number AS subject, to_char(l.manufactured_on, 'YYYY-MM-DD') AS day, NULL::text AS site,
                       (SELECT count(*) FROM vial v WHERE v.lot_number = l.lot_number)::int AS count, l.planned_vials AS total, l.product_code AS note
                FROM lot l WHERE l.status = 'in-process' ORDER BY l.manufactured_on, l.lot_number LIMIT 50
                """
        case .vialsUnplaced:
            return """
                SELECT v.lot_number AS subject, NULL::text AS day, NULL::text AS site, count(*)::int AS count, NULL::int AS total,
                       min(v.id) AS note
                FROM vial v WHERE v.status = 'stored' AND NOT EXISTS (SELECT 1 FROM vial_position vp WHERE vp.vial_id = v.id)
                GROUP BY v.lot_number ORDER BY v.lot_number LIMIT 50
                """
        case .boxesNearlyFull:
            return """
                SELECT b.id AS subject, NULL::text AS day, r.freezer_id AS site, count(vp.vial_id)::int AS count, (b.rows * b.columns)::int AS total,
                       b.label AS note
                FROM box b JOIN rack r ON r.id = b.rack_id LEFT JOIN vial_position vp ON vp.box_id = b.id
                GROUP BY b.id, r.freezer_id HAVING count(vp.vial_id) > 0 AND b.rows * b.columns - count(vp.vial_id) <= \(nearlyFull)
                ORDER BY b.rows * b.columns - count(vp.vial_id), b.id LIMIT 50
                """
        case .lotsAwaitingResults, .lotsReadyForDisposition:
            let missing = queue == .lotsAwaitingResults
            return """
                SELECT l.lot_number AS subject, to_char(l.manufactured_on, 'YYYY-MM-DD') AS day, NULL::text AS site,
                       count(q.id)::int AS count, (SELECT count(*) FROM spec_test t WHERE t.product_code = l.product_code AND t.version = l.spec_version)::int AS total,
                       (SELECT string_agg(t.name, ', ' ORDER BY t.code) FROM spec_test t
                        WHERE t.product_code = l.product_code AND t.version = l.spec_version
                          AND NOT EXISTS (SELECT 1 FROM qc_result r WHERE r.lot_number = l.lot_number AND r.test_code = t.code
                                          AND NOT EXISTS (SELECT 1 FROM qc_result n WHERE n.supersedes = r.id))) AS note
                FROM lot l LEFT JOIN qc_result q ON q.lot_number = l.lot_number AND NOT EXISTS (SELECT 1 FROM qc_result n WHERE n.supersedes = q.id)
                WHERE l.status = 'quarantine'
                GROUP BY l.lot_number
                HAVING (count(DISTINCT q.test_code) < (SELECT count(*) FROM spec_test t WHERE t.product_code = l.product_code AND t.version = l.spec_version)) = \(missing)
                ORDER BY l.manufactured_on, l.lot_number LIMIT 50
                """
        case .holdsToReview:
            return """
                SELECT h.subject_type || ' ' || h.subject_id AS subject, to_char(h.placed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
                       NULL::text AS site, NULL::int AS count, NULL::int AS total, h.reason AS note
                FROM hold h WHERE h.lifted_at IS NULL ORDER BY h.placed_at LIMIT 50
                """
        case .dosesSoon:
            return """
                SELECT p.subject_id AS subject, to_char(p.infusion_on, 'YYYY-MM-DD') AS day, p.site_code AS site, NULL::int AS count, NULL::int AS total,
                       coalesce((SELECT string_agg(r.vial_id || ' (' || v.status || ')', ', ' ORDER BY r.vial_id)
                                 FROM reservation r JOIN vial v ON v.id = r.vial_id WHERE r.subject_id = p.subject_id AND r.cancelled_at IS NULL),
                                'no vial reserved yet') AS note
                FROM patient p WHERE p.status = 'enrolled' AND p.infusion_on BETWEEN current_date AND current_date + 1
                ORDER BY p.infusion_on, p.site_code, p.subject_id LIMIT 50
                """
        case .plansToCommit:
            return """
                SELECT p.id::text AS subject, to_char(p.as_of, 'YYYY-MM-DD') AS day, NULL::text AS site,
                       (SELECT count(*) FROM jsonb_object_keys(p.vials))::int AS count, NULL::int AS total, u.name AS note
                FROM allocation_plan p JOIN app_user u ON u.id = p.created_by
                WHERE p.created_at > now() - interval '7 days' AND NOT EXISTS (SELECT 1 FROM allocation a WHERE a.plan_id = p.id)
                ORDER BY p.created_at DESC LIMIT 50
                """
        case .shipmentsInTransit:
            return """
                SELECT s.id AS subject, to_char(s.expected_arrival AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS day, s.to_site AS site,
                       (SELECT count(*) FROM shipment_vial sv WHERE sv.shipment_id = s.id)::int AS count, NULL::int AS total, s.from_site AS note
                FROM shipment s WHERE s.received_at IS NULL ORDER BY s.expected_arrival LIMIT 50
                """
        case .recentSignedEvents:
            return """
                SELECT e.subject_type || ' ' || e.subject_id AS subject, to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS day,
                       e.actor_name AS site, NULL::int AS count, NULL::int AS total, e.action || '|' || coalesce(e.signature->>'meaning', '') AS note
                FROM custody_event e WHERE e.signature IS NOT NULL ORDER BY e.id DESC LIMIT 20
                """
        case .auditVerification:
            return """
                SELECT c.key_id AS subject, to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS day, NULL::text AS site,
                       c.event_count::int AS count, (SELECT count(*) FROM custody_event)::int AS total, NULL::text AS note
                FROM custody_checkpoint c ORDER BY c.id DESC LIMIT 1
                """
        case .lockedUsers:
            return """
                SELECT u.name AS subject, to_char(u.locked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS day, u.role AS site,
                       u.failed_signatures AS count, NULL::int AS total, u.id::text AS note
                FROM app_user u WHERE u.locked_at IS NOT NULL AND u.deactivated_at IS NULL ORDER BY u.locked_at LIMIT 50
                """
        case .usersIdle:
            return """
                SELECT u.name AS subject, to_char(max(s.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, u.role AS site,
                       NULL::int AS count, NULL::int AS total, u.id::text AS note
                FROM app_user u LEFT JOIN console_session s ON s.user_id = u.id
                WHERE u.deactivated_at IS NULL
                GROUP BY u.id
                HAVING coalesce(max(s.created_at), u.created_at) < now() - \(idle)::int * interval '1 day'
                ORDER BY max(s.created_at) NULLS FIRST, u.name LIMIT 50
                """
        case .lymphodepletionDue, .clearanceDue, .infusionToday, .dltWindowOpen, .cohortDecisionsDue:
            preconditionFailure("\(queue) is not read by a query of its own")
        }
    }

    /// Every patient with the dates of their next step; an auditor's read is logged on each patient.
    public func patientOverview(actor: Principal, logger: Logger) async throws -> [PatientOverview] {
        try actor.require(.readInventory)
        let patients = try await read(logger) { conn in
            try await conn.guardedQuery("""
                SELECT p.subject_id, p.study_code, p.site_code, p.cohort_id, p.status,
                       to_char(p.ld_start_on, 'YYYY-MM-DD') AS ld_start_on, to_char(p.infusion_on, 'YYYY-MM-DD') AS infusion_on,
                       to_char(p.dosed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS dosed_on, s.dlt_window_days,
                       EXISTS (SELECT 1 FROM custody_event e WHERE e.subject_type = 'patient' AND e.subject_id = p.subject_id
                               AND e.action = 'patient.cleared' AND e.occurred_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') AS cleared_today
                FROM patient p JOIN study s ON s.code = p.study_code
                ORDER BY p.infusion_on, p.subject_id
                """, logger: logger).named { c in
                PatientOverview(subjectId: try c("subject_id"), studyCode: try c("study_code"), siteCode: try c("site_code"),
                                cohortId: try c("cohort_id"), status: try c("status"),
                                ldStartOn: try c("ld_start_on", as: String?.self).flatMap(CalendarDay.init),
                                infusionOn: try CalendarDay(parsing: try c("infusion_on"), field: "infusion_on"),
                                dosedOn: try c("dosed_on", as: String?.self).flatMap(CalendarDay.init),
                                dltWindowDays: Int(try c("dlt_window_days", as: Int32.self)), clearedToday: try c("cleared_today"))
            }
        }
        try await logAuditorRead(of: patients.map(\.subjectId), what: "patient list", actor: actor, logger: logger)
        return patients
    }
}
