-- Issue 28: notifications reach people and systems within milliseconds, not at the next poll.

-- The outbox writer of 049, and a wake-up for the dispatchers (LISTEN cryoledger_outbox) when a statement notified:
-- delivered at commit, so a dispatcher never looks before the rows are visible.
CREATE OR REPLACE FUNCTION custody_event_notifies() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    WITH n AS (
        INSERT INTO notification (kind, subject_type, subject_id, sentence, payload, event_id, site_code, freezer_id, study_code)
        SELECT k.kind, e.subject_type, e.subject_id, notification_sentence(k.kind, e.subject_type, e.subject_id),
               jsonb_strip_nulls(jsonb_build_object(
                   'event', e.id, 'action', e.action, 'subjectType', e.subject_type, 'subjectId', e.subject_id,
                   'fromState', e.from_state, 'toState', e.to_state, 'occurredAt', e.occurred_at,
                   'actorRole', e.actor_role, 'holdSource', e.details->>'source', 'hold', e.details->>'hold',
                   'site', sc.site_code, 'freezer', sc.freezer_id, 'study', sc.study_code)),
               e.id, sc.site_code, sc.freezer_id, sc.study_code
        FROM new_events e
        CROSS JOIN LATERAL (SELECT notification_kind(e.action, e.to_state, e.details->>'source') AS kind) k
        CROSS JOIN LATERAL notification_scope(e.subject_type, e.subject_id) sc
        WHERE k.kind IS NOT NULL
        ORDER BY e.id
        RETURNING id, kind, event_id, site_code, freezer_id, study_code
    ), hooks AS (
        INSERT INTO notification_delivery (notification_id, endpoint_id)
        SELECT n.id, w.id FROM n JOIN webhook_endpoint w ON w.active
        WHERE CASE WHEN n.kind = 'webhook.test'
                   THEN w.name = (SELECT e.details->>'endpoint' FROM new_events e WHERE e.id = n.event_id)
                   ELSE cardinality(w.kinds) = 0 OR n.kind = ANY (w.kinds) END
    )
    INSERT INTO mail_message (notification_ids, recipients)
    SELECT ARRAY[n.id], array_agg(u.email ORDER BY u.id)
    FROM n JOIN app_user u ON u.email IS NOT NULL AND u.deactivated_at IS NULL
    WHERE notification_mode(u.id, u.role, n.kind, n.site_code, n.freezer_id, n.study_code) = 'immediate'
    GROUP BY n.id;
    IF EXISTS (SELECT 1 FROM new_events e WHERE notification_kind(e.action, e.to_state, e.details->>'source') IS NOT NULL) THEN
        PERFORM pg_notify('cryoledger_outbox', '');
    END IF;
    RETURN NULL;
END
$$;
