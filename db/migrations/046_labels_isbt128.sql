-- Issue 28, labels to the printer: each site's label printer (raw ZPL over TCP), and the products that print
-- ISBT 128 codes on their vial labels (docs/labels-isbt128.md).

-- Twin of LabelPrinterAddress (CryoDomain): a host name or IPv4 address, a colon and a port 1-65535.
CREATE FUNCTION site_label_printer_address(address text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT address ~ '^[A-Za-z0-9][A-Za-z0-9.-]{0,252}:[0-9]{1,5}$'
       AND CASE WHEN address ~ ':[0-9]{1,5}$' THEN substring(address FROM ':([0-9]{1,5})$')::integer BETWEEN 1 AND 65535 ELSE false END
$$;

ALTER TABLE site
    ADD COLUMN label_printer text
        CONSTRAINT site_label_printer_address CHECK (site_label_printer_address(label_printer));

-- Twin of ISBT128.productCode (CryoDomain): a product opts in by naming its ISBT 128 product description code
-- (a letter and four digits, e.g. S1194) and type of donation (one character); both or neither.
ALTER TABLE product
    ADD COLUMN isbt128_product_description text
        CONSTRAINT product_isbt128_product_code CHECK (isbt128_product_description ~ '^[A-Z][0-9]{4}$'),
    ADD COLUMN isbt128_donation_type text
        CONSTRAINT product_isbt128_donation_type CHECK (isbt128_donation_type ~ '^[A-Z0-9]$'),
    ADD CONSTRAINT product_isbt128_both CHECK ((isbt128_product_description IS NULL) = (isbt128_donation_type IS NULL));
