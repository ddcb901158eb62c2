-- Issue 24 (items 4, 7 and 8): failed sign-ins and failed signatures are counted apart. Sign-in is throttled
-- per login name and per client address with growing delays and never locks the signature; the signature
-- lockout counts only wrong signing passwords of a signed-in user. Console sessions get an absolute lifetime
-- (in the query that reads them) and a cap on the sessions a user has open at once.

-- 1. The sign-in throttle. Twin: CryoDomain `SignInThrottle` (`delaySeconds` ↔ sign_in_throttle_delay()).
-- One row per key, "login:<lower-case login>" or "address:<client IP>"; a streak idle for an hour is forgotten.
CREATE TABLE sign_in_throttle (
    key             text PRIMARY KEY CHECK (key ~ '^(login|address):.' AND length(key) <= 200),
    failures        integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    blocked_until   timestamptz,
    last_failure_at timestamptz NOT NULL DEFAULT now()
);
REVOKE DELETE, TRUNCATE ON sign_in_throttle FROM cryoledger_app;

-- The seconds a key waits after its n-th failure in a row: free failures first (3 per login, 10 per address),
-- then 1 s, doubling each time, at most 15 minutes.
CREATE FUNCTION sign_in_throttle_delay(kind text, failures integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN failures <= free THEN 0 ELSE least(900, power(2, least(failures - free - 1, 20)))::integer END
    FROM (SELECT CASE kind WHEN 'login' THEN 3 ELSE 10 END AS free) f
$$;

-- Takes one try for all keys at once, before the password is checked (bcrypt runs with no lock held): while
-- any key is blocked the attempt is refused (`wait_seconds` > 0) and nothing is counted; otherwise each key's
-- failure is counted up front and the key blocked for its next delay. A right password then gives the login's
-- streak back (sign_in_throttle_succeeded). Rows are locked in key order, so concurrent takes never deadlock.
CREATE FUNCTION sign_in_throttle_take(p_keys text[])
RETURNS TABLE (throttle_key text, streak integer, wait_seconds integer) LANGUAGE plpgsql AS $$
DECLARE
    k text;
    longest integer := 0;
BEGIN
    FOR k IN SELECT DISTINCT x FROM unnest(p_keys) x ORDER BY x LOOP
        INSERT INTO sign_in_throttle AS t (key) VALUES (k)
        ON CONFLICT (key) DO UPDATE
            SET failures = CASE WHEN t.last_failure_at < now() - interval '1 hour' THEN 0 ELSE t.failures END,
                blocked_until = CASE WHEN t.last_failure_at < now() - interval '1 hour' THEN NULL ELSE t.blocked_until END;
    END LOOP;
    SELECT coalesce(max(ceil(extract(epoch FROM t.blocked_until - clock_timestamp()))), 0)::integer INTO longest
    FROM sign_in_throttle t WHERE t.key = ANY (p_keys) AND t.blocked_until > clock_timestamp();
    IF longest > 0 THEN
        RETURN QUERY SELECT t.key, t.failures, longest FROM sign_in_throttle t WHERE t.key = ANY (p_keys);
        RETURN;
    END IF;
    RETURN QUERY
        UPDATE sign_in_throttle t SET failures = t.failures + 1, last_failure_at = now(),
               blocked_until = now() + make_interval(secs => sign_in_throttle_delay(split_part(t.key, ':', 1), t.failures + 1))
        WHERE t.key = ANY (p_keys)
        RETURNING t.key, t.failures, 0;
END $$;

-- A right password: the login's streak ends; the address keeps its other failures (this one was not one).
CREATE FUNCTION sign_in_throttle_succeeded(p_login_key text, p_address_key text) RETURNS void LANGUAGE sql AS $$
    UPDATE sign_in_throttle SET failures = 0, blocked_until = NULL WHERE key = p_login_key;
    UPDATE sign_in_throttle SET failures = greatest(failures - 1, 0) WHERE key = p_address_key;
$$;

-- 2. The signature lockout. Twin: CryoDomain `SignatureLockout` (`limit` ↔ signature_lockout_limit()).
-- Only wrong signing passwords of a signed-in user count (Store.verifySignature); sign-in never touches them.
CREATE FUNCTION signature_lockout_limit() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 5';

-- Takes one of the signer's remaining tries before the password is checked: however many attempts run at
-- once, at most `limit` get one. No row is returned for a locked or deactivated user, or one without a password.
CREATE FUNCTION signature_lockout_take(p_user bigint) RETURNS TABLE (tries integer, password_hash text) LANGUAGE sql AS $$
    UPDATE app_user SET failed_signatures = failed_signatures + 1
    WHERE id = p_user AND locked_at IS NULL AND deactivated_at IS NULL AND password_hash IS NOT NULL
      AND failed_signatures < signature_lockout_limit()
    RETURNING failed_signatures, password_hash
$$;

-- A wrong signing password that took the last try locks the account (true when this call locked it).
CREATE FUNCTION signature_lockout_fail(p_user bigint, p_tries integer) RETURNS boolean LANGUAGE sql AS $$
    WITH locked AS (
        UPDATE app_user SET locked_at = now()
        WHERE id = p_user AND locked_at IS NULL AND p_tries >= signature_lockout_limit() AND failed_signatures >= signature_lockout_limit()
        RETURNING id)
    SELECT EXISTS (SELECT 1 FROM locked)
$$;

-- 3. Console sessions. Twin: CryoDomain `ConsoleSessionRules` (`maxOpen` ↔ console_session_max_open(),
-- `checkOpenSessions` ↔ check_console_session_cap()). Sign-in ends the oldest sessions first, under the user's
-- row lock; the trigger refuses a session beyond the cap whoever inserts it.
ALTER TABLE console_session DROP CONSTRAINT console_session_end_reason_check;
ALTER TABLE console_session ADD CONSTRAINT console_session_end_reason_check
    CHECK (end_reason IN ('signed-out', 'idle', 'replaced', 'deactivated', 'locked', 'expired', 'capped'));

CREATE FUNCTION console_session_max_open() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 3';

CREATE FUNCTION check_console_session_cap() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM app_user WHERE id = NEW.user_id FOR UPDATE;
    IF (SELECT count(*) FROM console_session WHERE user_id = NEW.user_id AND ended_at IS NULL) >= console_session_max_open() THEN
        RAISE EXCEPTION 'a user has at most % console sessions open at once; end one first', console_session_max_open()
            USING ERRCODE = 'CL409', COLUMN = 'session';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER console_session_cap BEFORE INSERT ON console_session FOR EACH ROW EXECUTE FUNCTION check_console_session_cap();

-- 4. Bursts of failed sign-ins or signatures are custody events of the subject ('security', 'sign-in' or
-- 'signature') that administrators list (21 CFR 11.300(d)); failed sign-ins of unknown logins are recorded there too.
ALTER TABLE custody_event DROP CONSTRAINT custody_event_subject_type_check;
ALTER TABLE custody_event ADD CONSTRAINT custody_event_subject_type_check
    CHECK (subject_type IN ('user', 'product', 'donor', 'lot', 'vial', 'storage', 'study', 'patient', 'allocation', 'shipment', 'security'));
CREATE INDEX custody_event_security ON custody_event (occurred_at DESC) WHERE subject_type = 'security';
