-- Issue 29: a failed backup or a repository that fails verification is a custody event (backup.failed, subject
-- security/backup) and notifies administrators at once, QA and auditors in their digest.

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
        WHEN 'backup.failed' THEN 'backup.failed'
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
        WHEN 'backup.failed' THEN 'A backup or the check of the backup repository failed'
        ELSE kind
    END
    || CASE WHEN subject_type = 'security' THEN ''
            WHEN kind = 'box.nearly-full' THEN 'box ' || subject_id
            ELSE CASE subject_type WHEN 'storage' THEN 'freezer' WHEN 'supply-forecast' THEN 'supply forecast' ELSE subject_type END
                 || ' ' || subject_id END
$$;

INSERT INTO notification_audience (kind, role, default_mode) VALUES
    ('backup.failed', 'admin', 'immediate'), ('backup.failed', 'qa', 'daily'), ('backup.failed', 'auditor', 'off');
