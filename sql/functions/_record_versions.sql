CREATE OR REPLACE FUNCTION calib._record_versions()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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
    v_op text;
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
    /* After the test above (revision 0017): a statement that changed no row, such as the
       DELETE of a decertify that covered no row whole, pays no operation lookup. */
    v_op := calib._current_operation();
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
$$;
