-- Twin of GET /lots?product=ALLO-501&limit=20: Store.lots with product bound, status and cursor NULL, limit + 1.
SELECT l.lot_number, l.product_code, l.donor_code, to_char(l.manufactured_on, 'YYYY-MM-DD'), to_char(l.expires_on, 'YYYY-MM-DD'),
       l.cells_per_vial, l.planned_vials, l.status, l.held_from, l.status_changed_at,
       c.statuses, c.counts
FROM lot l LEFT JOIN LATERAL (SELECT array_agg(status) AS statuses, array_agg(n) AS counts
                              FROM (SELECT status, count(*) AS n FROM vial v WHERE v.lot_number = l.lot_number GROUP BY status) s) c ON true
WHERE (:product::text IS NULL OR l.product_code = :product) AND (NULL::text IS NULL OR l.status = NULL) AND (NULL::text IS NULL OR l.lot_number > NULL) ORDER BY l.lot_number LIMIT 21;
