-- Issue 28 follow-up: which custody events notify, as what, and the words people read, are rows instead of CASE arms.
-- Migrations 049, 050 and 055 each had to restate notification_kind() and notification_sentence() whole to add a
-- kind; the next kind is now rows in its migration. notification_kind() stays the SQL twin of
-- NotificationRule.kind(for:toState:source:) (NotificationOutboxTests checks they agree on every action).

-- A custody event `action` notifies as `kind`, only when it goes to `to_state` (when given), and not when it is a hold
-- placed by one of `quiet_sources` (the excursion or look-back that placed it notifies once instead).
CREATE TABLE notification_kind_rule (
    action        text PRIMARY KEY,
    kind          text NOT NULL,
    to_state      text,
    quiet_sources text[] NOT NULL DEFAULT '{}'
);

-- The opening of the sentence people read for a kind, and the noun for its subject when it is not the subject type's
-- own word (a box-fullness event is written on its freezer).
CREATE TABLE notification_kind_text (
    kind         text PRIMARY KEY,
    opening      text NOT NULL,
    subject_noun text
);

INSERT INTO notification_kind_rule (action, kind, to_state, quiet_sources) VALUES
    ('hold.placed', 'hold.placed', NULL, '{excursion,look-back}'),
    ('hold.lifted', 'hold.lifted', NULL, '{}'),
    ('lot.released', 'lot.released', NULL, '{}'),
    ('lot.status-changed', 'lot.rejected', 'rejected', '{}'),
    ('lot.status-signed', 'lot.rejected', 'rejected', '{}'),
    ('lot.expired', 'lot.expired', NULL, '{}'),
    ('temperature.excursion', 'temperature.excursion', NULL, '{}'),
    ('donor.found-ineligible', 'donor.found-ineligible', NULL, '{}'),
    ('security.sign-in-burst', 'security.sign-in-burst', NULL, '{}'),
    ('security.signature-burst', 'security.signature-burst', NULL, '{}'),
    ('audit.verification-failed', 'audit.verification-failed', NULL, '{}'),
    ('webhook.test-requested', 'webhook.test', NULL, '{}'),
    ('lot.expiring-30-days', 'lot.expiring-30-days', NULL, '{}'),
    ('lot.expiring-7-days', 'lot.expiring-7-days', NULL, '{}'),
    ('box.nearly-full', 'box.nearly-full', NULL, '{}'),
    ('freezer.nearly-full', 'freezer.nearly-full', NULL, '{}'),
    ('shipment.hold-running-out', 'shipment.hold-running-out', NULL, '{}'),
    ('patient.infusion-without-dose', 'patient.infusion-without-dose', NULL, '{}'),
    ('supply.stock-out-risk', 'supply.stock-out-risk', NULL, '{}'),
    ('backup.failed', 'backup.failed', NULL, '{}');

INSERT INTO notification_kind_text (kind, opening, subject_noun) VALUES
    ('hold.placed', 'Hold placed on ', NULL),
    ('hold.lifted', 'Hold lifted on ', NULL),
    ('lot.released', 'Released: ', NULL),
    ('lot.rejected', 'Rejected: ', NULL),
    ('lot.expired', 'Expired: ', NULL),
    ('temperature.excursion', 'Temperature excursion, its vials put on hold: ', NULL),
    ('donor.found-ineligible', 'Found ineligible, its lots and vials put on hold: ', NULL),
    ('security.sign-in-burst', 'A burst of failed sign-ins', NULL),
    ('security.signature-burst', 'A user was locked out after wrong signing passwords', NULL),
    ('audit.verification-failed', 'The audit trail failed verification', NULL),
    ('webhook.test', 'A test notification to a webhook endpoint', NULL),
    ('lot.expiring-30-days', 'Expires within 30 days: ', NULL),
    ('lot.expiring-7-days', 'Expires within 7 days: ', NULL),
    ('box.nearly-full', 'Over 90 % full: ', 'box'),
    ('freezer.nearly-full', 'Over 90 % full: ', NULL),
    ('shipment.hold-running-out', 'Dry shipper hold time running out, not yet received: ', NULL),
    ('patient.infusion-without-dose', 'Infusion day near and no vial reserved: ', NULL),
    ('supply.stock-out-risk', 'Stock-out risk above 20 % in ', NULL),
    ('backup.failed', 'A backup or the check of the backup repository failed', NULL);

ALTER TABLE notification_kind_rule ADD CONSTRAINT notification_kind_rule_kind FOREIGN KEY (kind) REFERENCES notification_kind_text (kind);
GRANT SELECT ON notification_kind_rule, notification_kind_text TO cryoledger_app;

CREATE OR REPLACE FUNCTION notification_kind(action text, to_state text, source text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT r.kind FROM notification_kind_rule r
     WHERE r.action = $1 AND (r.to_state IS NULL OR r.to_state = $2) AND NOT (coalesce($3, '') = ANY (r.quiet_sources))
$$;

CREATE OR REPLACE FUNCTION notification_sentence(kind text, subject_type text, subject_id text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(t.opening, $1)
        || CASE WHEN $2 = 'security' THEN ''
                ELSE coalesce(t.subject_noun, CASE $2 WHEN 'storage' THEN 'freezer' WHEN 'supply-forecast' THEN 'supply forecast' ELSE $2 END)
                     || ' ' || $3 END
    FROM (SELECT $1 AS kind) k LEFT JOIN notification_kind_text t ON t.kind = k.kind
$$;

-- Every kind people can be told about has its words.
ALTER TABLE notification_audience ADD CONSTRAINT notification_audience_kind FOREIGN KEY (kind) REFERENCES notification_kind_text (kind);
