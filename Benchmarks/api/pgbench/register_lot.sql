-- Twin of POST /lots: Store.registerLot's statements, one round trip each, in its transaction (the answer is built
-- from the INSERT's RETURNING; no read-back). Lot numbers PGB-<client>-<random>; actor from -D actor_id/actor_name.
\set n random(1, 999999999999)
BEGIN;
SELECT (SELECT shelf_life_days FROM product WHERE code = 'ALLO-501'),
       (SELECT eligibility FROM donor WHERE code = 'DN-000101' FOR SHARE);
INSERT INTO lot (lot_number, product_code, donor_code, manufactured_on, expires_on, cells_per_vial, planned_vials, registered_by, spec_version)
VALUES ('PGB-' || :client_id || '-' || :n, 'ALLO-501', 'DN-000101', '2026-11-01'::date,
        '2027-11-01'::date, 40000000, 100, :actor_id,
        (SELECT max(version) FROM spec_version WHERE product_code = 'ALLO-501' AND effective_from <= '2026-11-01'::date))
RETURNING status, status_changed_at;
INSERT INTO custody_event (subject_type, subject_id, action, actor_id, actor_name, actor_role,
                           from_state, to_state, from_location, to_location, reason, details, signature, prev_hash, hash)
SELECT st, sid, act, NULLIF(:actor_id, 0), :actor_name, 'manufacturing',
       NULLIF(fs, ''), NULLIF(ts, ''), NULLIF(fl, ''), NULLIF(tl, ''), NULLIF(rs, ''), dt::jsonb, NULLIF(sg, '')::jsonb, '\x', '\x'
FROM unnest('{lot}'::text[], ARRAY['PGB-' || :client_id || '-' || :n]::text[], '{lot.registered}'::text[],
            '{""}'::text[], '{in-process}'::text[], '{""}'::text[],
            '{""}'::text[], '{""}'::text[], '{"{\"cellsPerVial\":\"40000000\",\"donor\":\"DN-000101\",\"expiresOn\":\"2027-11-01\",\"product\":\"ALLO-501\"}"}'::text[], '{""}'::text[])
     WITH ORDINALITY AS e(st, sid, act, fs, ts, fl, tl, rs, dt, sg, n)
ORDER BY n;
COMMIT;
