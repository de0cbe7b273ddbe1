CREATE OR REPLACE FUNCTION calib._change_refs_check()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The other half of calib._version_change_check (revision 0017): a change that a version
   of a certification names is not deleted, re-keyed or truncated away, as the foreign keys
   of calib.certification_version refused it (NO ACTION). Triggers of calib.change
   (sql/schema/history_change_refs.sql), for every writer (calib.prune_history, the owner's
   raw SQL):
   - BEFORE DELETE, statement: under REPEATABLE READ or SERIALIZABLE only, SHARE lock on
     calib.certification_version, so that no version writer is in flight (see below);
   - AFTER DELETE, statement (old_rows): a deleted change that a version names -> 23503
     change_referenced, the whole statement undone. Under READ COMMITTED this query sees
     every committed version (its own snapshot, taken after the delete waited for the
     writers that had locked the row FOR KEY SHARE), as the constraints' check did. Under
     REPEATABLE READ or SERIALIZABLE the transaction's snapshot cannot see a version
     committed after it, which the constraints' check found with a newer snapshot (40001):
     here, with no writer in flight, 40001 change_delete_snapshot when a transaction the
     snapshot did not see may have written one: one that was in progress at the snapshot
     and has committed since, or a change created after the snapshot (every version
     writer has a change: calib._version_change_check). Stricter than the constraints
     (it refuses on any such transaction, not only on one that named a deleted change),
     never looser; prune_history under READ COMMITTED, the usual way, is not affected.
   - BEFORE UPDATE OF change_id, row (the identity can only be set to DEFAULT): the old id
     named by a version -> 23503 change_referenced;
   - AFTER TRUNCATE: certification_version not emptied by the same TRUNCATE -> 23503
     change_referenced (the constraints refused such a TRUNCATE with 0A000 even when no
     version named a change; nothing can be left naming one either way).
   Errors: 23503 change_referenced, 40001 change_delete_snapshot.
   Locks: under REPEATABLE READ or SERIALIZABLE, SHARE on calib.certification_version. */
DECLARE
    v_id bigint;
BEGIN
    IF TG_OP = 'DELETE' AND TG_WHEN = 'BEFORE' THEN
        IF current_setting('transaction_isolation') <> 'read committed' THEN
            LOCK TABLE calib.certification_version IN SHARE MODE;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        IF EXISTS (SELECT FROM calib.certification_version) THEN
            IF calib._raise('23503',
                'a change that versions of certifications name cannot be deleted, re-keyed or truncated away',
                jsonb_build_object('kind', 'change_referenced', 'change', NULL)) IS NULL THEN END IF;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF EXISTS (SELECT FROM calib.certification_version AS v WHERE v.removed_change = OLD.change_id)
           OR EXISTS (SELECT FROM calib.certification_version AS v WHERE v.created_change = OLD.change_id) THEN
            v_id := OLD.change_id;
        END IF;
    ELSE
        /* One pass each: the removed side through its index, the created side (no index:
           a version's creating change is read with the version) as one hash join. */
        SELECT min(o.change_id) INTO v_id
        FROM old_rows AS o
        WHERE o.change_id IN (SELECT v.removed_change FROM calib.certification_version AS v
                              WHERE v.removed_change IN (SELECT p.change_id FROM old_rows AS p))
           OR o.change_id IN (SELECT v.created_change FROM calib.certification_version AS v);
    END IF;
    IF v_id IS NOT NULL THEN
        IF calib._raise('23503',
            'a change that versions of certifications name cannot be deleted, re-keyed or truncated away',
            jsonb_build_object('kind', 'change_referenced', 'change', v_id)) IS NULL THEN END IF;
    END IF;
    IF TG_OP = 'DELETE' AND current_setting('transaction_isolation') <> 'read committed'
       AND EXISTS (SELECT FROM old_rows)
       AND (EXISTS (SELECT FROM pg_snapshot_xip(pg_current_snapshot()) AS x(xid)
                    WHERE pg_xact_status(x.xid) = 'committed')
            OR (SELECT CASE WHEN s.is_called THEN s.last_value ELSE 0 END
                FROM calib.change_change_id_seq AS s)
               > (SELECT coalesce(max(k.change_id), 0)
                  FROM (SELECT c.change_id FROM calib.change AS c
                        UNION ALL SELECT o.change_id FROM old_rows AS o) AS k)) THEN
        IF calib._raise('40001',
            'changes cannot be deleted under this snapshot: a transaction it does not see may'
            || ' have written versions naming them; retry (or delete under READ COMMITTED)',
            jsonb_build_object('kind', 'change_delete_snapshot')) IS NULL THEN END IF;
    END IF;
    RETURN CASE WHEN TG_LEVEL = 'ROW' THEN NEW END;
END
$$;
