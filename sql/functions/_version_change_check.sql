CREATE OR REPLACE FUNCTION calib._version_change_check()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The foreign keys of calib.certification_version (created_change, removed_change) to
   calib.change, checked once per statement instead of once per row and column (revision
   0017; the declared constraints cost a query per row and column, 18-33 % of a large
   close_open_range or decertify: bench/README.md "PostgreSQL writes (revision 0017)").
   AFTER INSERT and AFTER UPDATE statement triggers of calib.certification_version
   (sql/schema/history_change_refs.sql), for every writer (the owner's raw SQL too), with
   the same guarantees as the constraints:
   - every change the new rows name exists, else 23503 version_change_missing (nothing of
     the statement is kept);
   - each of those change rows is locked FOR KEY SHARE, as the constraints' checks lock
     them, so that a change cannot be deleted (calib._change_refs_check, the other half)
     until this transaction has ended; a change being deleted by an open transaction is
     waited for: deleted -> 23503, rolled back -> kept; under REPEATABLE READ a change
     deleted after the snapshot is 40001 (PostgreSQL's own, as the constraints raised).
   A statement that changed no row checks nothing (and, being no change, makes none).
   Errors: 23503 version_change_missing. Locks: FOR KEY SHARE on the named change rows. */
DECLARE
    v_want bigint;
    v_have bigint;
    v_missing bigint;
BEGIN
    /* One probe of calib.change per distinct change named (a statement usually names two:
       the closed rows' creating change and this one), each locking its row. */
    SELECT count(*), count(l.change_id)
    INTO v_want, v_have
    FROM (SELECT n.created_change AS id FROM new_rows AS n
          UNION SELECT n.removed_change FROM new_rows AS n) AS i
    LEFT JOIN LATERAL (SELECT c.change_id FROM calib.change AS c
                       WHERE c.change_id = i.id FOR KEY SHARE OF c) AS l ON true;
    IF v_have < v_want THEN
        SELECT min(i.id) INTO v_missing
        FROM (SELECT n.created_change AS id FROM new_rows AS n
              UNION SELECT n.removed_change FROM new_rows AS n) AS i
        WHERE NOT EXISTS (SELECT FROM calib.change AS c WHERE c.change_id = i.id);
        IF calib._raise('23503',
            format('a version of certification names change %s, which does not exist', v_missing),
            jsonb_build_object('kind', 'version_change_missing', 'change', v_missing,
                               'table', TG_TABLE_NAME)) IS NULL THEN END IF;
    END IF;
    RETURN NULL;
END
$$;
