-- A checkpoint used to hold the lock of custody_lock_for_checkpoint() (002) while it read and folded every event
-- since the previous checkpoint: appends waited for all of it, once a minute. The lock is needed only to fix the
-- boundary: once it is granted, every append that was in flight has committed or rolled back, and every later
-- append gets a higher id. This function takes the lock and returns the highest id; the caller commits at once
-- (releasing the lock), then folds and seals the events up to that id in a transaction of its own.
CREATE FUNCTION custody_checkpoint_boundary() RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    LOCK TABLE custody_event IN SHARE ROW EXCLUSIVE MODE;
    RETURN coalesce((SELECT max(id) FROM custody_event), 0);
END $$;
REVOKE ALL ON FUNCTION custody_checkpoint_boundary() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION custody_checkpoint_boundary() TO cryoledger_app;

-- Its only caller now uses custody_checkpoint_boundary().
DROP FUNCTION custody_lock_for_checkpoint();
