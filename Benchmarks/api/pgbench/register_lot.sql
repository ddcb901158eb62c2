-- Twin of POST /lots: Store.registerLot's statements, one round trip each, in its transaction, then the read-back.
-- Lot numbers PGB-<client>-<random>; actor: the manufacturing user given with -D actor_id/-D actor_name.
\set n random(1, 999999999999)
BEGIN;
SELECT shelf_life_days FROM product WHERE code = 'ALLO-501';
SELECT eligibility FROM donor WHERE code = 'DN-000101' FOR SHARE;
INSERT INTO lot (lot_number, product_code, donor_code, manufactured_on, expires_on, cells_per_vial, planned_vials, registered_by, spec_version)
VALUES ('PGB-' || :client_id || '-' || :n, 'ALLO-501', 'DN-000101', '2026-11-01'::date,
        '2027-11-01'::date, 40000000, 100, :actor_id,
        (SELECT max(version) FROM spec_version WHERE product_code = 'ALLO-501' AND effective_from <= '2026-11-01'::date));
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
SELECT l.lot_number, l.product_code, l.donor_code, to_char(l.manufactured_on, 'YYYY-MM-DD'), to_char(l.expires_on, 'YYYY-MM-DD'),
       l.cells_per_vial, l.planned_vials, l.status, l.held_from, l.status_changed_at,
       coalesce((SELECT jsonb_object_agg(status, n)::text FROM (SELECT status, count(*) AS n FROM vial v WHERE v.lot_number = l.lot_number GROUP BY status) s), '{}')
FROM lot l WHERE l.lot_number = 'PGB-' || :client_id || '-' || :n ORDER BY l.lot_number LIMIT 1;
