-- Twin of GET /vials/{id}: the statement the server runs (Store.VialByID, prepared), vial id from -D vial=...
SELECT v.id, v.lot_number, l.product_code, v.ordinal, v.status, l.status, to_char(l.expires_on, 'YYYY-MM-DD'),
       f.site_code, f.id, r.id, b.id, p.row_no::int, p.column_no::int
FROM vial v JOIN lot l ON l.lot_number = v.lot_number
LEFT JOIN vial_position p ON p.vial_id = v.id LEFT JOIN box b ON b.id = p.box_id
LEFT JOIN rack r ON r.id = b.rack_id LEFT JOIN freezer f ON f.id = r.freezer_id
WHERE v.id = :vial;
