-- Issue 28, the remaining notification triggers: conditions the system finds rather than steps people take.
-- A lot entering its last 30 / 7 days before expiry, a box or freezer over 90 % full, a dry shipper's hold running
-- out, an infusion day near with no vial reserved, a supply forecast with a stock-out risk. Each is a custody event
-- appended by the code that finds the condition (ExpiryWarning, StorageFullness, DryShipperHold, InfusionDoseWarning,
-- StockOutRisk in CryoDomain); the objects below make each one said once, even when two sweeps race.

-- What has been said once: a row per condition, kind, subject and occasion (an infusion day; '' when there is none).
-- A sweep inserts here with ON CONFLICT DO NOTHING and appends events only for the rows it inserted: a second sweep
-- waits for the first one's commit, then inserts nothing.
CREATE TABLE notified_condition (
    kind         text NOT NULL,
    subject_type text NOT NULL,
    subject_id   text NOT NULL,
    occasion     text NOT NULL DEFAULT '',
    notified_at  timestamptz NOT NULL DEFAULT now()
);
-- ExpiryWarning.threshold: once per lot and threshold.
CREATE UNIQUE INDEX lot_expiry_warning_once ON notified_condition (subject_id, kind)
    WHERE kind IN ('lot.expiring-30-days', 'lot.expiring-7-days');
-- DryShipperHold.isRunningOut: once per shipment.
CREATE UNIQUE INDEX shipment_hold_warning_once ON notified_condition (subject_id) WHERE kind = 'shipment.hold-running-out';
-- InfusionDoseWarning.isDue: once per patient and infusion day.
CREATE UNIQUE INDEX infusion_without_dose_once ON notified_condition (subject_id, occasion) WHERE kind = 'patient.infusion-without-dose';
-- StockOutRisk.isAtRisk: once per forecast.
CREATE UNIQUE INDEX stock_out_risk_once ON notified_condition (subject_id) WHERE kind = 'supply.stock-out-risk';
ALTER TABLE notified_condition ADD CONSTRAINT notified_condition_kind CHECK (kind IN (
    'lot.expiring-30-days', 'lot.expiring-7-days', 'shipment.hold-running-out', 'patient.infusion-without-dose', 'supply.stock-out-risk'));

-- A finished supply forecast is the subject of its stock-out warning.
ALTER TABLE custody_event DROP CONSTRAINT custody_event_subject_type_check;
ALTER TABLE custody_event ADD CONSTRAINT custody_event_subject_type_check
    CHECK (subject_type IN ('user', 'product', 'donor', 'lot', 'vial', 'storage', 'study', 'patient', 'allocation', 'shipment', 'security',
                            'supply-forecast'));

-- The SQL twin of StorageFullness.isNearlyFull(used:capacity:): strictly more than 90 % of the positions are taken.
CREATE FUNCTION storage_nearly_full(used bigint, capacity bigint) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT capacity > 0 AND used * 10 > capacity * 9 $$;

-- Whether each box and freezer was over 90 % full when last looked at. A crossing is a change of this flag: updated
-- only when it changes (no lock in the steady state), so "over 90 % full" is said once per crossing, by whichever
-- transaction flips it first (the row lock orders two placements that race).
CREATE TABLE storage_fullness (
    subject_type text NOT NULL CHECK (subject_type IN ('box', 'freezer')),
    subject_id   text NOT NULL,
    nearly_full  boolean NOT NULL,
    changed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject_type, subject_id)
);

-- Looks at the boxes given and their freezers, writes the flags that change, and returns those that became true.
-- One statement per transaction, however many vials it placed.
CREATE FUNCTION storage_fullness_crossings(boxes text[]) RETURNS TABLE (subject_type text, subject_id text, used bigint, capacity bigint)
LANGUAGE sql VOLATILE AS $$
    WITH touched_box AS (
        SELECT b.id, r.freezer_id FROM box b JOIN rack r ON r.id = b.rack_id WHERE b.id = ANY (boxes)
    ), usage AS (
        SELECT 'box'::text AS subject_type, b.id AS subject_id,
               (SELECT count(*) FROM vial_position p WHERE p.box_id = b.id) AS used, (b.rows * b.columns)::bigint AS capacity
        FROM box b WHERE b.id IN (SELECT id FROM touched_box)
        UNION ALL
        SELECT 'freezer', f.id,
               (SELECT count(*) FROM vial_position p JOIN box b ON b.id = p.box_id JOIN rack r ON r.id = b.rack_id WHERE r.freezer_id = f.id),
               (SELECT coalesce(sum(b.rows * b.columns), 0) FROM box b JOIN rack r ON r.id = b.rack_id WHERE r.freezer_id = f.id)
        FROM freezer f WHERE f.id IN (SELECT freezer_id FROM touched_box)
    ), flipped AS (
        SELECT u.*, storage_nearly_full(u.used, u.capacity) AS nearly_full FROM usage u
        WHERE storage_nearly_full(u.used, u.capacity) IS DISTINCT FROM
              coalesce((SELECT s.nearly_full FROM storage_fullness s WHERE s.subject_type = u.subject_type AND s.subject_id = u.subject_id), false)
    ), written AS (
        INSERT INTO storage_fullness AS s (subject_type, subject_id, nearly_full)
        SELECT subject_type, subject_id, nearly_full FROM flipped
        ON CONFLICT (subject_type, subject_id) DO UPDATE SET nearly_full = EXCLUDED.nearly_full, changed_at = now()
            WHERE s.nearly_full IS DISTINCT FROM EXCLUDED.nearly_full
        RETURNING s.subject_type, s.subject_id, s.nearly_full
    )
    SELECT w.subject_type, w.subject_id, f.used, f.capacity FROM written w
    JOIN flipped f ON f.subject_type = w.subject_type AND f.subject_id = w.subject_id
    WHERE w.nearly_full ORDER BY w.subject_type, w.subject_id
$$;

-- Where a notification's subject is, now also for a box (subject type 'storage', like its freezer).
CREATE OR REPLACE FUNCTION notification_scope(subject_type text, subject_id text, OUT site_code text, OUT freezer_id text, OUT study_code text)
LANGUAGE sql STABLE AS $$
    SELECT CASE subject_type
               WHEN 'storage' THEN coalesce((SELECT f.site_code FROM freezer f WHERE f.id = subject_id),
                                            (SELECT f.site_code FROM box b JOIN rack r ON r.id = b.rack_id JOIN freezer f ON f.id = r.freezer_id
                                             WHERE b.id = subject_id),
                                            (SELECT s.code FROM site s WHERE s.code = subject_id))
               WHEN 'vial' THEN (SELECT f.site_code FROM vial_position p JOIN box b ON b.id = p.box_id JOIN rack r ON r.id = b.rack_id
                                 JOIN freezer f ON f.id = r.freezer_id WHERE p.vial_id = subject_id)
               WHEN 'patient' THEN (SELECT p.site_code FROM patient p WHERE p.subject_id = notification_scope.subject_id)
               WHEN 'shipment' THEN (SELECT s.to_site FROM shipment s WHERE s.id = subject_id)
           END,
           CASE subject_type
               WHEN 'storage' THEN coalesce((SELECT f.id FROM freezer f WHERE f.id = subject_id),
                                            (SELECT r.freezer_id FROM box b JOIN rack r ON r.id = b.rack_id WHERE b.id = subject_id))
               WHEN 'vial' THEN (SELECT r.freezer_id FROM vial_position p JOIN box b ON b.id = p.box_id JOIN rack r ON r.id = b.rack_id
                                 WHERE p.vial_id = subject_id)
           END,
           CASE subject_type
               WHEN 'patient' THEN (SELECT p.study_code FROM patient p WHERE p.subject_id = notification_scope.subject_id)
               WHEN 'study' THEN subject_id
           END
$$;

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
        WHEN 'lot.expiring-30-days' THEN 'lot.expiring-30-days'
        WHEN 'lot.expiring-7-days' THEN 'lot.expiring-7-days'
        WHEN 'box.nearly-full' THEN 'box.nearly-full'
        WHEN 'freezer.nearly-full' THEN 'freezer.nearly-full'
        WHEN 'shipment.hold-running-out' THEN 'shipment.hold-running-out'
        WHEN 'patient.infusion-without-dose' THEN 'patient.infusion-without-dose'
        WHEN 'supply.stock-out-risk' THEN 'supply.stock-out-risk'
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
        WHEN 'lot.expiring-30-days' THEN 'Expires within 30 days: '
        WHEN 'lot.expiring-7-days' THEN 'Expires within 7 days: '
        WHEN 'box.nearly-full' THEN 'Over 90 % full: '
        WHEN 'freezer.nearly-full' THEN 'Over 90 % full: '
        WHEN 'shipment.hold-running-out' THEN 'Dry shipper hold time running out, not yet received: '
        WHEN 'patient.infusion-without-dose' THEN 'Infusion day near and no vial reserved: '
        WHEN 'supply.stock-out-risk' THEN 'Stock-out risk above 20 % in '
        ELSE kind
    END
    || CASE WHEN subject_type = 'security' THEN ''
            WHEN kind = 'box.nearly-full' THEN 'box ' || subject_id
            ELSE CASE subject_type WHEN 'storage' THEN 'freezer' WHEN 'supply-forecast' THEN 'supply forecast' ELSE subject_type END
                 || ' ' || subject_id END
$$;

INSERT INTO notification_audience (kind, role, default_mode)
SELECT k, r, coalesce(m, 'off') FROM (VALUES
    ('lot.expiring-30-days'), ('lot.expiring-7-days'), ('box.nearly-full'), ('freezer.nearly-full'),
    ('shipment.hold-running-out'), ('patient.infusion-without-dose'), ('supply.stock-out-risk')) AS kinds(k)
CROSS JOIN (VALUES ('manufacturing'), ('qc'), ('qa'), ('clinical'), ('pharmacy'), ('auditor'), ('admin')) AS roles(r)
LEFT JOIN (VALUES
    ('lot.expiring-30-days', 'qa', 'daily'), ('lot.expiring-30-days', 'pharmacy', 'daily'), ('lot.expiring-30-days', 'manufacturing', 'daily'),
    ('lot.expiring-7-days', 'qa', 'immediate'), ('lot.expiring-7-days', 'pharmacy', 'immediate'), ('lot.expiring-7-days', 'manufacturing', 'daily'),
    ('box.nearly-full', 'manufacturing', 'immediate'), ('box.nearly-full', 'qa', 'daily'),
    ('freezer.nearly-full', 'manufacturing', 'immediate'), ('freezer.nearly-full', 'qa', 'immediate'),
    ('shipment.hold-running-out', 'pharmacy', 'immediate'), ('shipment.hold-running-out', 'manufacturing', 'immediate'),
    ('shipment.hold-running-out', 'qa', 'immediate'), ('shipment.hold-running-out', 'clinical', 'immediate'),
    ('patient.infusion-without-dose', 'clinical', 'immediate'), ('patient.infusion-without-dose', 'pharmacy', 'immediate'),
    ('patient.infusion-without-dose', 'qa', 'daily'),
    ('supply.stock-out-risk', 'manufacturing', 'immediate'), ('supply.stock-out-risk', 'pharmacy', 'daily'),
    ('supply.stock-out-risk', 'qa', 'daily'), ('supply.stock-out-risk', 'clinical', 'daily')
) AS d(dk, dr, m) ON d.dk = k AND d.dr = r;

GRANT SELECT, INSERT ON notified_condition TO cryoledger_app;
REVOKE UPDATE, DELETE, TRUNCATE ON notified_condition FROM cryoledger_app;
GRANT SELECT, INSERT, UPDATE ON storage_fullness TO cryoledger_app;
REVOKE DELETE, TRUNCATE ON storage_fullness FROM cryoledger_app;
