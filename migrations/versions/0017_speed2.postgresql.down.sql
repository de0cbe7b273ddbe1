-- FROZEN downgrade of revision 0017, written by migrations/freeze.py from sources/0017_speed2.postgresql.down.sql.
-- Never edit by hand.
-- The functions this revision re-creates, as the previous revision had them (freeze.py).
CREATE OR REPLACE FUNCTION calib._certification_statement()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* BEFORE INSERT OR UPDATE statement trigger of calib.certification, once per statement:
   prepares what the column defaults of created_change / created_operation read row by row
   (schema/history_triggers.sql).
   - calib._change: kept only if it names this transaction's own change (calib._change()
     checks the row's xid); otherwise emptied, so that the first row's default creates the
     change. A caller who set it by hand cannot date rows into another transaction's change.
     A statement that writes no row creates no change (no epoch).
   - calib._row_operation: the operation (calib._current_operation()).
   SECURITY DEFINER: a raw writer a DBA granted the table reads calib.change here.
   Errors: none. Locks: none. */
DECLARE
    v_text text := current_setting('calib._change', true);
BEGIN
    IF v_text IS NOT NULL AND v_text <> '' THEN
        IF NOT (v_text ~ '^[0-9]{1,18}$'
                AND EXISTS (SELECT FROM calib.change AS c
                            WHERE c.change_id = v_text::bigint AND c.xid = pg_current_xact_id())) THEN
            PERFORM set_config('calib._change', '', true);
        END IF;
    END IF;
    PERFORM set_config('calib._row_operation', calib._current_operation(), true);
    RETURN NULL;
END
$function$;
CREATE OR REPLACE FUNCTION calib._record_versions()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The history of every versioned table, for every writer (the owner's raw SQL included:
   operation 'sql'), one statement-level AFTER trigger per table and event
   (sql/schema/history_triggers.sql) with its transition table: one pass per statement
   however many rows, so a bulk certify pays a few set-based statements, not one call per
   row. The changed rows' versions go into calib.<table>_version (chain_version for
   collection_chain) under this transaction's change (calib._change()), with the operation
   the calling public function named (calib._operation) in this same client statement, else
   'sql' (calib._current_operation). Certifications differ (their current rows carry their
   creating change; see calib.certification_version): only their old rows come here.
   - old rows (UPDATE, DELETE): their open version is closed by this change, or dropped
     when this same change created it (it was never visible to anyone);
   - new rows (UPDATE, INSERT): a version this change closed with the same key and content
     is opened again (a delete and re-insert of the same row, as set_chain does, or an
     UPDATE that changed no versioned column, is no change); otherwise a new version.
   No other open version of a new row's key can exist (the current table's primary key
   forbids it), so the new versions are inserted without checking for one unless some
   were opened again (the bulk path: one plain INSERT ... SELECT).
   An UPDATE is thus its old rows closed and its new rows opened, paired by primary key
   (history pairs them again for validity before/after).
   - TRUNCATE: every open version is closed.
   SECURITY DEFINER: a raw writer a DBA granted a table to (tests/test_sql_level.py) is
   recorded too, without any right on the history tables.
   Errors: none of its own. Locks: none beyond the version rows it writes. */
DECLARE
    v_change bigint;
    v_reopened bigint;
    v_op text := calib._current_operation();
BEGIN
    /* A statement that changed no row (statement triggers fire anyway) is no change: it
       gets no change row, hence no epoch. */
    IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT FROM new_rows) THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF NOT EXISTS (SELECT FROM old_rows) THEN
            RETURN NULL;
        END IF;
    END IF;
    v_change := calib._change();
    IF TG_TABLE_NAME = 'certification' THEN
        /* Current certifications carry their creating change: only the old rows of an
           UPDATE or DELETE (or every row, BEFORE a TRUNCATE) become closed versions, those
           this same change created excepted (nobody ever saw them). */
        IF TG_OP = 'TRUNCATE' THEN
            INSERT INTO calib.certification_version (certification_id, collection_id, dataset_type_id, data_id_key, dataset_id, validity, created_change, removed_change, created_operation, removed_operation)
            SELECT o.certification_id, o.collection_id, o.dataset_type_id, o.data_id_key, o.dataset_id, o.validity, o.created_change, v_change, o.created_operation, v_op
            FROM calib.certification AS o WHERE o.created_change <> v_change;
        ELSE
            INSERT INTO calib.certification_version (certification_id, collection_id, dataset_type_id, data_id_key, dataset_id, validity, created_change, removed_change, created_operation, removed_operation)
            SELECT o.certification_id, o.collection_id, o.dataset_type_id, o.data_id_key, o.dataset_id, o.validity, o.created_change, v_change, o.created_operation, v_op
            FROM old_rows AS o WHERE o.created_change <> v_change;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'collection' THEN
        IF TG_OP = 'TRUNCATE' THEN
            UPDATE calib.collection_version SET removed_change = v_change, removed_operation = v_op
            WHERE removed_change IS NULL;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM calib.collection_version AS v USING old_rows AS o
            WHERE v.collection_id = o.collection_id AND v.removed_change IS NULL AND v.created_change = v_change;
            UPDATE calib.collection_version AS v SET removed_change = v_change, removed_operation = v_op
            FROM old_rows AS o
            WHERE v.collection_id = o.collection_id AND v.removed_change IS NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            UPDATE calib.collection_version AS v SET removed_change = NULL, removed_operation = NULL
            FROM new_rows AS n
            WHERE v.collection_id = n.collection_id AND v.removed_change = v_change
              AND (v.collection_id, v.name, v.type, v.state, v.writers) IS NOT DISTINCT FROM (n.collection_id, n.name, n.type, n.state, n.writers);
            GET DIAGNOSTICS v_reopened = ROW_COUNT;
            IF v_reopened = 0 THEN
                INSERT INTO calib.collection_version (collection_id, name, type, state, writers, created_change, created_operation)
                SELECT n.collection_id, n.name, n.type, n.state, n.writers, v_change, v_op
                FROM new_rows AS n;
            ELSE
                INSERT INTO calib.collection_version (collection_id, name, type, state, writers, created_change, created_operation)
                SELECT n.collection_id, n.name, n.type, n.state, n.writers, v_change, v_op
                FROM new_rows AS n
                WHERE NOT EXISTS (SELECT FROM calib.collection_version AS v
                                  WHERE v.collection_id = n.collection_id AND v.removed_change IS NULL);
            END IF;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'collection_chain' THEN
        IF TG_OP = 'TRUNCATE' THEN
            UPDATE calib.chain_version SET removed_change = v_change, removed_operation = v_op
            WHERE removed_change IS NULL;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM calib.chain_version AS v USING old_rows AS o
            WHERE v.parent_id = o.parent_id AND v.position = o.position AND v.removed_change IS NULL AND v.created_change = v_change;
            UPDATE calib.chain_version AS v SET removed_change = v_change, removed_operation = v_op
            FROM old_rows AS o
            WHERE v.parent_id = o.parent_id AND v.position = o.position AND v.removed_change IS NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            UPDATE calib.chain_version AS v SET removed_change = NULL, removed_operation = NULL
            FROM new_rows AS n
            WHERE v.parent_id = n.parent_id AND v.position = n.position AND v.removed_change = v_change
              AND (v.parent_id, v.position, v.child_id) IS NOT DISTINCT FROM (n.parent_id, n.position, n.child_id);
            GET DIAGNOSTICS v_reopened = ROW_COUNT;
            IF v_reopened = 0 THEN
                INSERT INTO calib.chain_version (parent_id, position, child_id, created_change, created_operation)
                SELECT n.parent_id, n.position, n.child_id, v_change, v_op
                FROM new_rows AS n;
            ELSE
                INSERT INTO calib.chain_version (parent_id, position, child_id, created_change, created_operation)
                SELECT n.parent_id, n.position, n.child_id, v_change, v_op
                FROM new_rows AS n
                WHERE NOT EXISTS (SELECT FROM calib.chain_version AS v
                                  WHERE v.parent_id = n.parent_id AND v.position = n.position AND v.removed_change IS NULL);
            END IF;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'tag' THEN
        IF TG_OP = 'TRUNCATE' THEN
            UPDATE calib.tag_version SET removed_change = v_change, removed_operation = v_op
            WHERE removed_change IS NULL;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM calib.tag_version AS v USING old_rows AS o
            WHERE v.collection_id = o.collection_id AND v.data_id_key = o.data_id_key AND v.removed_change IS NULL AND v.created_change = v_change;
            UPDATE calib.tag_version AS v SET removed_change = v_change, removed_operation = v_op
            FROM old_rows AS o
            WHERE v.collection_id = o.collection_id AND v.data_id_key = o.data_id_key AND v.removed_change IS NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            UPDATE calib.tag_version AS v SET removed_change = NULL, removed_operation = NULL
            FROM new_rows AS n
            WHERE v.collection_id = n.collection_id AND v.data_id_key = n.data_id_key AND v.removed_change = v_change
              AND (v.collection_id, v.dataset_type_id, v.data_id_key, v.dataset_id) IS NOT DISTINCT FROM (n.collection_id, n.dataset_type_id, n.data_id_key, n.dataset_id);
            GET DIAGNOSTICS v_reopened = ROW_COUNT;
            IF v_reopened = 0 THEN
                INSERT INTO calib.tag_version (collection_id, dataset_type_id, data_id_key, dataset_id, created_change, created_operation)
                SELECT n.collection_id, n.dataset_type_id, n.data_id_key, n.dataset_id, v_change, v_op
                FROM new_rows AS n;
            ELSE
                INSERT INTO calib.tag_version (collection_id, dataset_type_id, data_id_key, dataset_id, created_change, created_operation)
                SELECT n.collection_id, n.dataset_type_id, n.data_id_key, n.dataset_id, v_change, v_op
                FROM new_rows AS n
                WHERE NOT EXISTS (SELECT FROM calib.tag_version AS v
                                  WHERE v.collection_id = n.collection_id AND v.data_id_key = n.data_id_key AND v.removed_change IS NULL);
            END IF;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'dataset' THEN
        IF TG_OP = 'TRUNCATE' THEN
            UPDATE calib.dataset_version SET removed_change = v_change, removed_operation = v_op
            WHERE removed_change IS NULL;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM calib.dataset_version AS v USING old_rows AS o
            WHERE v.dataset_id = o.dataset_id AND v.removed_change IS NULL AND v.created_change = v_change;
            UPDATE calib.dataset_version AS v SET removed_change = v_change, removed_operation = v_op
            FROM old_rows AS o
            WHERE v.dataset_id = o.dataset_id AND v.removed_change IS NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            UPDATE calib.dataset_version AS v SET removed_change = NULL, removed_operation = NULL
            FROM new_rows AS n
            WHERE v.dataset_id = n.dataset_id AND v.removed_change = v_change
              AND (v.dataset_id, v.dataset_type_id, v.data_id_key, v.run_id) IS NOT DISTINCT FROM (n.dataset_id, n.dataset_type_id, n.data_id_key, n.run_id);
            GET DIAGNOSTICS v_reopened = ROW_COUNT;
            IF v_reopened = 0 THEN
                INSERT INTO calib.dataset_version (dataset_id, dataset_type_id, data_id_key, run_id, created_change, created_operation)
                SELECT n.dataset_id, n.dataset_type_id, n.data_id_key, n.run_id, v_change, v_op
                FROM new_rows AS n;
            ELSE
                INSERT INTO calib.dataset_version (dataset_id, dataset_type_id, data_id_key, run_id, created_change, created_operation)
                SELECT n.dataset_id, n.dataset_type_id, n.data_id_key, n.run_id, v_change, v_op
                FROM new_rows AS n
                WHERE NOT EXISTS (SELECT FROM calib.dataset_version AS v
                                  WHERE v.dataset_id = n.dataset_id AND v.removed_change IS NULL);
            END IF;
        END IF;
        RETURN NULL;
    END IF;
    RETURN NULL;
END
$function$;
CREATE OR REPLACE FUNCTION calib._revision()
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The schema revision these functions belong to: calib.check_integrity compares it with
   calib.alembic_version. Every later revision re-creates this function with its own number
   (tests/test_health.py fails when an installed database answers another revision than
   calibcert.schema.HEAD_REVISION). */
SELECT '0016'::text
$function$;
-- Undo revision 0017 on PostgreSQL (source of versions/0017_speed2.postgresql.down.sql).
-- freeze.py puts back what 0017 changed as 0016 had it and drops what it created.
-- pg-fk: the declared foreign keys of calib.certification_version again, without the
-- triggers (freeze.py drops their functions).
DROP TRIGGER certification_version_change_insert ON calib.certification_version;
DROP TRIGGER certification_version_change_update ON calib.certification_version;
DROP TRIGGER change_refs_before_delete ON calib.change;
DROP TRIGGER change_refs_delete ON calib.change;
DROP TRIGGER change_refs_rekey ON calib.change;
DROP TRIGGER change_refs_truncate ON calib.change;
ALTER TABLE calib.certification_version
    ADD CONSTRAINT certification_version_created_fkey FOREIGN KEY (created_change)
        REFERENCES calib.change (change_id),
    ADD CONSTRAINT certification_version_removed_fkey FOREIGN KEY (removed_change)
        REFERENCES calib.change (change_id);
-- pg-fk: end
-- The functions this revision creates (freeze.py).
DROP FUNCTION calib._change_refs_check();
DROP FUNCTION calib._version_change_check();
