-- check_position_in_box (001) declared `b box%ROWTYPE`. `box` is also PostgreSQL's built-in geometric
-- type, and pg_catalog is searched first, so on some connections the declaration resolved to that type
-- and the trigger failed with "type box is not composite". Read the two columns into plain variables.
CREATE OR REPLACE FUNCTION check_position_in_box() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    box_rows    smallint;
    box_columns smallint;
BEGIN
    SELECT b.rows, b.columns INTO box_rows, box_columns FROM public.box b WHERE b.id = NEW.box_id;
    IF FOUND AND (NEW.row_no > box_rows OR NEW.column_no > box_columns) THEN
        RAISE EXCEPTION 'position (%, %) is outside box % (% x %)', NEW.row_no, NEW.column_no, NEW.box_id, box_rows, box_columns
            USING ERRCODE = 'CL422', COLUMN = 'row';
    END IF;
    RETURN NEW;
END $$;
