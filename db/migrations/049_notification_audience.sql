-- Issue 28, notifications to people: who may receive which kind (notification_audience, the twin of
-- NotificationAudience.roles(for:)), what each role gets by default (admins change the defaults), each user's own
-- subscriptions by kind and by site, freezer or study, immediate or in an hourly or daily digest, and the e-mail
-- outbox. The scope of a notification (site, freezer, study) is written with it, so subscriptions match without joins.

ALTER TABLE app_user ADD COLUMN email text
    CONSTRAINT app_user_email CHECK (email ~ '^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$' AND length(email) <= 254);

-- Which roles may receive a kind (a row) and how they get it unless they choose otherwise (default_mode, set by admins).
CREATE TABLE notification_audience (
    kind         text NOT NULL,
    role         text NOT NULL CHECK (role IN ('manufacturing', 'qc', 'qa', 'clinical', 'pharmacy', 'auditor', 'admin')),
    default_mode text NOT NULL CONSTRAINT notification_audience_mode CHECK (default_mode IN ('immediate', 'hourly', 'daily', 'off')),
    PRIMARY KEY (kind, role)
);
INSERT INTO notification_audience (kind, role, default_mode)
SELECT k, r, coalesce(m, 'off') FROM (VALUES
    ('hold.placed'), ('hold.lifted'), ('lot.released'), ('lot.rejected'), ('lot.expired'), ('temperature.excursion'),
    ('donor.found-ineligible')) AS kinds(k)
CROSS JOIN (VALUES ('manufacturing'), ('qc'), ('qa'), ('clinical'), ('pharmacy'), ('auditor'), ('admin')) AS roles(r)
LEFT JOIN (VALUES
    ('hold.placed', 'qa', 'immediate'), ('hold.placed', 'pharmacy', 'immediate'), ('hold.placed', 'manufacturing', 'daily'),
    ('hold.lifted', 'qa', 'immediate'), ('hold.lifted', 'pharmacy', 'immediate'), ('hold.lifted', 'manufacturing', 'daily'),
    ('lot.released', 'qa', 'daily'), ('lot.released', 'pharmacy', 'immediate'), ('lot.released', 'manufacturing', 'immediate'),
    ('lot.rejected', 'qa', 'immediate'), ('lot.rejected', 'pharmacy', 'immediate'), ('lot.rejected', 'manufacturing', 'immediate'),
    ('lot.expired', 'qa', 'daily'), ('lot.expired', 'pharmacy', 'immediate'), ('lot.expired', 'manufacturing', 'daily'),
    ('temperature.excursion', 'manufacturing', 'immediate'), ('temperature.excursion', 'qa', 'immediate'),
    ('temperature.excursion', 'pharmacy', 'immediate'),
    ('donor.found-ineligible', 'qa', 'immediate'), ('donor.found-ineligible', 'manufacturing', 'immediate'),
    ('donor.found-ineligible', 'qc', 'daily')
) AS d(dk, dr, m) ON d.dk = k AND d.dr = r;
-- Security and the audit trail: administrators (21 CFR 11.300(d)), QA and auditors only.
INSERT INTO notification_audience (kind, role, default_mode) VALUES
    ('security.sign-in-burst', 'admin', 'immediate'), ('security.sign-in-burst', 'qa', 'daily'), ('security.sign-in-burst', 'auditor', 'off'),
    ('security.signature-burst', 'admin', 'immediate'), ('security.signature-burst', 'qa', 'daily'), ('security.signature-burst', 'auditor', 'off'),
    ('audit.verification-failed', 'admin', 'immediate'), ('audit.verification-failed', 'qa', 'immediate'),
    ('audit.verification-failed', 'auditor', 'immediate'),
    ('webhook.test', 'admin', 'off');

-- A user's own choice for a kind, for everything ('all') or one site, freezer or study. A user with any row for a
-- kind gets that kind only where a row matches (the strongest matching mode wins); with none, the role's default.
CREATE TABLE notification_subscription (
    user_id    bigint NOT NULL REFERENCES app_user(id),
    kind       text NOT NULL,
    scope_type text NOT NULL DEFAULT 'all' CHECK (scope_type IN ('all', 'site', 'freezer', 'study')),
    scope_id   text NOT NULL DEFAULT '',
    mode       text NOT NULL CHECK (mode IN ('immediate', 'hourly', 'daily', 'off')),
    PRIMARY KEY (user_id, kind, scope_type, scope_id),
    CONSTRAINT notification_subscription_scope CHECK ((scope_type = 'all') = (scope_id = ''))
);

-- The twin of NotificationAudience.mayReceive(kind:role:): a subscription only to a kind the user's role may receive.
CREATE FUNCTION notification_subscription_allowed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM notification_audience a JOIN app_user u ON u.role = a.role
                   WHERE u.id = NEW.user_id AND a.kind = NEW.kind) THEN
        RAISE EXCEPTION 'the role of user % may not receive % notifications', NEW.user_id, NEW.kind
            USING ERRCODE = 'check_violation', CONSTRAINT = 'notification_subscription_allowed';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER notification_subscription_allowed BEFORE INSERT OR UPDATE ON notification_subscription
    FOR EACH ROW EXECUTE FUNCTION notification_subscription_allowed();

ALTER TABLE notification ADD COLUMN site_code text, ADD COLUMN freezer_id text, ADD COLUMN study_code text;
CREATE INDEX notification_kind_id ON notification (kind, id);

-- Where a notification's subject is: its site, freezer and study, where the subject has them.
CREATE FUNCTION notification_scope(subject_type text, subject_id text, OUT site_code text, OUT freezer_id text, OUT study_code text)
LANGUAGE sql STABLE AS $$
    SELECT CASE subject_type
               WHEN 'storage' THEN coalesce((SELECT f.site_code FROM freezer f WHERE f.id = subject_id),
                                            (SELECT s.code FROM site s WHERE s.code = subject_id))
               WHEN 'vial' THEN (SELECT f.site_code FROM vial_position p JOIN box b ON b.id = p.box_id JOIN rack r ON r.id = b.rack_id
                                 JOIN freezer f ON f.id = r.freezer_id WHERE p.vial_id = subject_id)
               WHEN 'patient' THEN (SELECT p.site_code FROM patient p WHERE p.subject_id = notification_scope.subject_id)
               WHEN 'shipment' THEN (SELECT s.to_site FROM shipment s WHERE s.id = subject_id)
           END,
           CASE subject_type
               WHEN 'storage' THEN (SELECT f.id FROM freezer f WHERE f.id = subject_id)
               WHEN 'vial' THEN (SELECT r.freezer_id FROM vial_position p JOIN box b ON b.id = p.box_id JOIN rack r ON r.id = b.rack_id
                                 WHERE p.vial_id = subject_id)
           END,
           CASE subject_type
               WHEN 'patient' THEN (SELECT p.study_code FROM patient p WHERE p.subject_id = notification_scope.subject_id)
               WHEN 'study' THEN subject_id
           END
$$;

-- The mode in which a user gets a notification: the twin of NotificationAudience.mode(...) in CryoDomain.
CREATE FUNCTION notification_mode(p_user bigint, p_role text, p_kind text, p_site text, p_freezer text, p_study text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN NOT EXISTS (SELECT 1 FROM notification_audience a WHERE a.kind = p_kind AND a.role = p_role) THEN 'off'
        WHEN EXISTS (SELECT 1 FROM notification_subscription s WHERE s.user_id = p_user AND s.kind = p_kind) THEN
            coalesce((SELECT s.mode FROM notification_subscription s
                      WHERE s.user_id = p_user AND s.kind = p_kind
                        AND (s.scope_type = 'all' OR (s.scope_type = 'site' AND s.scope_id = p_site)
                             OR (s.scope_type = 'freezer' AND s.scope_id = p_freezer) OR (s.scope_type = 'study' AND s.scope_id = p_study))
                      ORDER BY array_position(ARRAY['immediate', 'hourly', 'daily', 'off'], s.mode) LIMIT 1), 'off')
        ELSE (SELECT a.default_mode FROM notification_audience a WHERE a.kind = p_kind AND a.role = p_role)
    END
$$;

-- What a user has seen of the bell: notifications up to this id are read.
CREATE TABLE notification_read (
    user_id      bigint PRIMARY KEY REFERENCES app_user(id),
    last_read_id bigint NOT NULL DEFAULT 0,
    read_at      timestamptz NOT NULL DEFAULT now()
);

-- The e-mail outbox: one message per notification to everyone who gets it at once (each recipient in the envelope,
-- none in the headers), one per user and period for a digest. Sent through the system's sendmail interface (msmtp).
CREATE TABLE mail_message (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_id   uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    notification_ids bigint[] NOT NULL CHECK (cardinality(notification_ids) > 0),
    recipients       text[] NOT NULL CHECK (cardinality(recipients) > 0),
    digest           text CHECK (digest IN ('hourly', 'daily')),
    digest_user_id   bigint REFERENCES app_user(id),
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_status      integer,
    last_answer      text,
    last_latency_ms  integer,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT mail_message_delivered CHECK ((state = 'delivered') = (delivered_at IS NOT NULL)),
    CONSTRAINT mail_message_digest CHECK ((digest IS NULL) = (digest_user_id IS NULL))
);
CREATE INDEX mail_message_due ON mail_message (next_attempt_at) WHERE state = 'pending';
-- One digest per user, period and window: a dispatcher that restarts mid-window never sends the same digest twice.
CREATE TABLE notification_digest (
    user_id        bigint NOT NULL REFERENCES app_user(id),
    period         text NOT NULL CHECK (period IN ('hourly', 'daily')),
    window_end     timestamptz NOT NULL,
    last_notification_id bigint NOT NULL,
    mail_id        bigint REFERENCES mail_message(id),
    PRIMARY KEY (user_id, period, window_end)
);

CREATE OR REPLACE FUNCTION notification_kind(action text, to_state text, source text) RETURNS text
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
        WHEN 'webhook.test-requested' THEN 'webhook.test'
    END
$$;

CREATE OR REPLACE FUNCTION notification_sentence(kind text, subject_type text, subject_id text) RETURNS text
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
        WHEN 'webhook.test' THEN 'A test notification to a webhook endpoint'
        ELSE kind
    END
    || CASE WHEN subject_type = 'security' THEN ''
            ELSE CASE subject_type WHEN 'storage' THEN 'freezer' ELSE subject_type END || ' ' || subject_id END
$$;

-- The outbox writer, now with the scope, people's immediate e-mail, and a test send that goes to its endpoint only.
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
    RETURN NULL;
END
$$;

GRANT SELECT ON notification_audience TO cryoledger_app;
GRANT UPDATE (default_mode) ON notification_audience TO cryoledger_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON notification_subscription, notification_read TO cryoledger_app;
GRANT SELECT, INSERT, UPDATE ON mail_message, notification_digest TO cryoledger_app;
REVOKE DELETE, TRUNCATE ON mail_message, notification_digest FROM cryoledger_app;
