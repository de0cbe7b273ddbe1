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
   - only under READ COMMITTED: a trigger's query reads with a snapshot of its own
     statement there, taken after the delete (or re-key, or TRUNCATE) waited for every
     writer holding a FOR KEY SHARE lock on the row (or the table), so it sees every
     version committed until then, as the constraints' check did. Under REPEATABLE READ or
     SERIALIZABLE it reads the transaction's snapshot, which cannot see a version committed
     after it (the constraints' check used a newer one): such a delete, re-key or TRUNCATE
     is refused, 0A000 change_delete_isolation, whether or not a version names the change
     (a first version of this check tried to tell the harmless cases apart by the
     snapshot's transactions and the change sequence, and a review found three ways past
     it). calibcert deletes changes only in calib.prune_history, under the caller's
     transaction: prune under READ COMMITTED (the default).
   - BEFORE DELETE, statement: the isolation test alone, before any row is deleted;
   - AFTER DELETE, statement (old_rows): a deleted change that a version names -> 23503
     change_referenced, the whole statement undone;
   - BEFORE UPDATE OF change_id, row (the identity can only be set to DEFAULT): the old id
     named by a version -> 23503 change_referenced;
   - AFTER TRUNCATE: certification_version not emptied by the same TRUNCATE -> 23503
     change_referenced (the constraints refused such a TRUNCATE with 0A000 even when no
     version named a change; nothing can be left naming one either way).
   Errors: 0A000 change_delete_isolation, 23503 change_referenced. */
DECLARE
    v_id bigint;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        IF calib._raise('0A000',
            format('changes can be deleted, re-keyed or truncated only under READ COMMITTED'
                   ' (this transaction is %s: its snapshot cannot see versions committed'
                   ' since)', current_setting('transaction_isolation')),
            jsonb_build_object('kind', 'change_delete_isolation',
                               'isolation', current_setting('transaction_isolation')))
           IS NULL THEN END IF;
    END IF;
    IF TG_OP = 'DELETE' AND TG_WHEN = 'BEFORE' THEN
        RETURN NULL;
    ELSIF TG_OP = 'TRUNCATE' THEN
        IF EXISTS (SELECT FROM calib.certification_version) THEN
            v_id := 0;
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
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
            jsonb_build_object('kind', 'change_referenced',
                               'change', nullif(v_id, 0))) IS NULL THEN END IF;
    END IF;
    RETURN CASE WHEN TG_LEVEL = 'ROW' THEN NEW END;
END
$$;
