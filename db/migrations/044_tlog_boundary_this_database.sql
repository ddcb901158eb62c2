-- The sealer waited for every transaction running in the whole cluster, so a long transaction in another database
-- (another tenant, a test, a maintenance job) held the log back. Only transactions of this database can commit a
-- custody event here: the boundary now lists those alone. pg_locks and the pid/datid columns of pg_stat_activity
-- are readable by every role, so the application's own role sees other roles' transactions too.
CREATE OR REPLACE FUNCTION tlog_boundary_candidate(OUT max_id bigint, OUT running text[]) LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT max(id) FROM custody_event), 0),
           array(SELECT x::text FROM pg_snapshot_xip(pg_current_snapshot()) x
                  WHERE xid(x) IN (SELECT l.transactionid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                                    WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock'
                                      AND a.datid = (SELECT oid FROM pg_database WHERE datname = current_database())))
$$;
