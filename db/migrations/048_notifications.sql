-- Issue 28, notifications: a transactional outbox. A custody event that notifies (notification_kind(), the twin of
-- NotificationRule.kind in CryoDomain) writes its notification, and one delivery per subscribed webhook endpoint, in
-- the transaction that appends the event: a change rolled back notifies nobody, a change committed is never lost.

CREATE TABLE webhook_endpoint (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$'),
    url             text NOT NULL CONSTRAINT webhook_endpoint_url CHECK (url ~ '^https?://[^\s/?#@]+([/?#][^\s]*)?$' AND length(url) <= 2000),
    -- Standard Webhooks secret "whsec_<base64>"; during a rotation the previous secret signs too, until previous_until.
    secret          text NOT NULL CHECK (secret ~ '^whsec_[A-Za-z0-9+/]+={0,2}$'),
    previous_secret text CHECK (previous_secret ~ '^whsec_[A-Za-z0-9+/]+={0,2}$'),
    previous_until  timestamptz,
    -- The kinds the endpoint receives; empty: every kind.
    kinds           text[] NOT NULL DEFAULT '{}',
    active          boolean NOT NULL DEFAULT true,
    created_by      bigint REFERENCES app_user(id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_endpoint_rotation CHECK ((previous_secret IS NULL) = (previous_until IS NULL))
);

-- The SQL twin of NotificationRule.kind(for:toState:source:): whether a custody event notifies, and as what.
CREATE FUNCTION notification_kind(action text, to_state text, source text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE action
        WHEN 'hold.placed' THEN CASE WHEN source IN ('excursion', 'look-back') THEN NULL ELSE 'hold.placed' END
        WHEN 'hold.lifted' THEN 'hold.lifted'
        WHEN 'lot.released' THEN 'lot.released'
        WHEN 'lot.status-changed' THEN CASE WHEN to_state = 'rejected' THEN 'lot.rejected' END
        WHEN 'lot.status-signed' THEN CASE WHEN to_state = 'rejected' THEN 'lot.rejected' END
        WHEN 'lot.expired' THEN 'lot.expired'
        WHEN 'temperature.excursion' THEN 'temperature.excursion'
        WHEN 'donor.found-ineligible' THEN 'donor.found-ineligible'
        WHEN 'security.sign-in-burst' THEN 'security.sign-in-burst'
        WHEN 'security.signature-burst' THEN 'security.signature-burst'
        WHEN 'audit.verification-failed' THEN 'audit.verification-failed'
    END
$$;

-- The sentence people read for a notification: what happened, to what (coded ids only).
CREATE FUNCTION notification_sentence(kind text, subject_type text, subject_id text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE kind
        WHEN 'hold.placed' THEN 'Hold placed on '
        WHEN 'hold.lifted' THEN 'Hold lifted on '
        WHEN 'lot.released' THEN 'Released: '
        WHEN 'lot.rejected' THEN 'Rejected: '
        WHEN 'lot.expired' THEN 'Expired: '
        WHEN 'temperature.excursion' THEN 'Temperature excursion, its vials put on hold: '
        WHEN 'donor.found-ineligible' THEN 'Found ineligible, its lots and vials put on hold: '
        WHEN 'security.sign-in-burst' THEN 'A burst of failed sign-ins'
        WHEN 'security.signature-burst' THEN 'A user was locked out after wrong signing passwords'
        WHEN 'audit.verification-failed' THEN 'The audit trail failed verification'
        ELSE kind
    END
    || CASE WHEN subject_type = 'security' THEN ''
            ELSE CASE subject_type WHEN 'storage' THEN 'freezer' ELSE subject_type END || ' ' || subject_id END
$$;

CREATE TABLE notification (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_id  uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    kind            text NOT NULL,
    subject_type    text NOT NULL,
    subject_id      text NOT NULL,
    sentence        text NOT NULL,
    -- Coded ids only (the event, its subject, states, the hold's source): never a reason, a name or a note.
    payload         jsonb NOT NULL,
    event_id        bigint NOT NULL UNIQUE REFERENCES custody_event(id),
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notification_delivery (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notification_id bigint NOT NULL REFERENCES notification(id),
    endpoint_id     bigint NOT NULL REFERENCES webhook_endpoint(id),
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_status     integer,
    last_answer     text,
    last_latency_ms integer,
    delivered_at    timestamptz,
    UNIQUE (notification_id, endpoint_id),
    CONSTRAINT notification_delivery_delivered CHECK ((state = 'delivered') = (delivered_at IS NOT NULL))
);
CREATE INDEX notification_delivery_due ON notification_delivery (next_attempt_at) WHERE state = 'pending';
CREATE INDEX notification_delivery_endpoint ON notification_delivery (endpoint_id, id);

-- The delivery log: every attempt, its answer (status and the first bytes of the body) and its latency.
CREATE TABLE notification_attempt (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id  bigint NOT NULL REFERENCES notification_delivery(id),
    attempted_at timestamptz NOT NULL DEFAULT now(),
    status       integer,
    answer       text,
    latency_ms   integer NOT NULL
);
CREATE INDEX notification_attempt_delivery ON notification_attempt (delivery_id, id);

-- The outbox writer: once per INSERT statement on custody_event (a bulk append writes hundreds of events at once).
CREATE FUNCTION custody_event_notifies() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    WITH n AS (
        INSERT INTO notification (kind, subject_type, subject_id, sentence, payload, event_id)
        SELECT k.kind, e.subject_type, e.subject_id, notification_sentence(k.kind, e.subject_type, e.subject_id),
               jsonb_strip_nulls(jsonb_build_object(
                   'event', e.id, 'action', e.action, 'subjectType', e.subject_type, 'subjectId', e.subject_id,
                   'fromState', e.from_state, 'toState', e.to_state, 'occurredAt', e.occurred_at,
                   'actorRole', e.actor_role, 'holdSource', e.details->>'source', 'hold', e.details->>'hold')),
               e.id
        FROM new_events e
        CROSS JOIN LATERAL (SELECT notification_kind(e.action, e.to_state, e.details->>'source') AS kind) k
        WHERE k.kind IS NOT NULL
        ORDER BY e.id
        RETURNING id, kind
    )
    INSERT INTO notification_delivery (notification_id, endpoint_id)
    SELECT n.id, w.id FROM n JOIN webhook_endpoint w ON w.active AND (cardinality(w.kinds) = 0 OR n.kind = ANY (w.kinds));
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION custody_event_notifies() FROM PUBLIC;

CREATE TRIGGER custody_event_notifies AFTER INSERT ON custody_event
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION custody_event_notifies();

-- Notifications are history: the application reads them and writes deliveries, never rewrites what was said.
GRANT SELECT ON notification TO cryoledger_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON notification FROM cryoledger_app;
GRANT SELECT, INSERT, UPDATE ON webhook_endpoint, notification_delivery TO cryoledger_app;
GRANT SELECT, INSERT ON notification_attempt TO cryoledger_app;
REVOKE DELETE, TRUNCATE ON notification_delivery, notification_attempt FROM cryoledger_app;
REVOKE UPDATE, DELETE, TRUNCATE ON notification_attempt FROM cryoledger_app;
CREATE TRIGGER notification_no_update BEFORE UPDATE OR DELETE ON notification FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();
CREATE TRIGGER notification_no_truncate BEFORE TRUNCATE ON notification FOR EACH STATEMENT EXECUTE FUNCTION custody_event_immutable();
