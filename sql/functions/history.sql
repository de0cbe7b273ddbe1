CREATE OR REPLACE FUNCTION calib.history(p_collection text, p_dataset_type text DEFAULT NULL, p_data_id jsonb DEFAULT NULL, p_since bigint DEFAULT NULL, p_until bigint DEFAULT NULL)
RETURNS TABLE (epoch bigint, committed_at timestamptz, db_role text, app_user text, reason text,
               operation text, collection text, dataset_type text, data_id jsonb, dataset_id uuid,
               validity_before tstzrange, validity_after tstzrange, detail jsonb)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The changes of collection p_collection (every collection that ever bore that name,
   removed ones included), oldest first: one row per changed certification, tag, dataset
   (of a RUN), collection row or chain position per change. Each row: the change's epoch
   and commit time, database role, client user and reason (calib.user, calib.reason), the
   operation (the public function, 'sql' for raw SQL, 'upgrade' for what existed at
   revision 0014), the collection's name; for certifications the dataset type, data ID,
   dataset and validity before/after (certify: before NULL; removal by decertify: after
   NULL; a shortened or split certification: both, a split's other piece a row with
   before NULL); for tags and datasets the same columns with NULL validity. Collection-level
   rows (detail.what = 'collection': registration = before NULL, removal = after NULL,
   state or writer changes = both; 'chain': a chain position's child before/after) have
   NULL dataset columns and appear only when neither p_dataset_type nor p_data_id is
   given. Within a change: certifications, tags, datasets by dataset type and data ID,
   what went before what came, by begin. The caller's own uncommitted change is shown
   with a NULL epoch.
   Arguments: p_dataset_type / p_data_id narrow to one dataset type / data ID (a data ID
   needs its dataset type); p_since / p_until keep epochs in [since, until].
   Errors: KC002 a name no collection ever had, KC005 unknown dataset type, KC008 invalid
   data ID, KC015 data ID without dataset type.
   Locks: none; read-only, runs on a hot standby. */
DECLARE
    v_ids integer[];
    v_type calib.dataset_type;
    v_key integer;
BEGIN
    IF p_collection IS NULL THEN
        IF calib._raise('KC015', 'collection name must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'collection name')) IS NULL THEN END IF;
    END IF;
    p_collection := normalize(p_collection, NFC);
    v_ids := ARRAY(SELECT DISTINCT v.collection_id FROM calib.collection_version AS v
                   WHERE v.name = p_collection);
    IF cardinality(v_ids) = 0 THEN
        IF calib._raise('KC002', format('collection %L does not exist and never did', p_collection),
            jsonb_build_object('kind', 'collection_never', 'collection', p_collection)) IS NULL THEN END IF;
    END IF;
    IF p_dataset_type IS NOT NULL THEN
        v_type := calib._dataset_type(p_dataset_type);
    END IF;
    IF p_data_id IS NOT NULL THEN
        IF p_dataset_type IS NULL THEN
            IF calib._raise('KC015', 'history of a data ID needs its dataset type',
                jsonb_build_object('kind', 'history_data_id_type', 'collection', p_collection)) IS NULL THEN END IF;
        END IF;
        SELECT di.data_id_key INTO v_key FROM calib.data_id AS di
        WHERE di.dataset_type_id = v_type.dataset_type_id
          AND di.value = (calib._canonical_data_ids(v_type, ARRAY[p_data_id]))[1];
        IF v_key IS NULL THEN
            RETURN;  -- a data ID never stored was never changed
        END IF;
    END IF;
    RETURN QUERY
    WITH cert AS (
        SELECT coalesce(a.created_change, b.removed_change) AS change_id,
               coalesce(a.created_operation, b.removed_operation) AS op,
               coalesce(a.collection_id, b.collection_id) AS collection_id,
               coalesce(a.dataset_type_id, b.dataset_type_id) AS dataset_type_id,
               coalesce(a.data_id_key, b.data_id_key) AS data_id_key,
               coalesce(a.dataset_id, b.dataset_id) AS dataset_id,
               b.validity AS before, a.validity AS after
        FROM (SELECT * FROM calib.certification_history AS v
              WHERE v.collection_id = ANY (v_ids)) AS a
        FULL JOIN (SELECT * FROM calib.certification_version AS v
                   WHERE v.collection_id = ANY (v_ids)) AS b
          ON b.certification_id = a.certification_id AND b.removed_change = a.created_change
    ), items AS (
        SELECT c.change_id, c.op, c.collection_id, c.dataset_type_id, c.data_id_key,
               c.dataset_id, c.before, c.after, NULL::jsonb AS detail, 1 AS kind
        FROM cert AS c
        UNION ALL
        SELECT v.created_change, v.created_operation, v.collection_id, v.dataset_type_id,
               v.data_id_key, v.dataset_id, NULL, NULL,
               jsonb_build_object('what', 'tag', 'tagged', true), 2
        FROM calib.tag_version AS v WHERE v.collection_id = ANY (v_ids)
        UNION ALL
        SELECT v.removed_change, v.removed_operation, v.collection_id, v.dataset_type_id,
               v.data_id_key, v.dataset_id, NULL, NULL,
               jsonb_build_object('what', 'tag', 'tagged', false), 2
        FROM calib.tag_version AS v WHERE v.collection_id = ANY (v_ids) AND v.removed_change IS NOT NULL
        UNION ALL
        SELECT v.created_change, v.created_operation, v.run_id, v.dataset_type_id,
               v.data_id_key, v.dataset_id, NULL, NULL,
               jsonb_build_object('what', 'dataset', 'present', true), 3
        FROM calib.dataset_version AS v WHERE v.run_id = ANY (v_ids)
        UNION ALL
        SELECT v.removed_change, v.removed_operation, v.run_id, v.dataset_type_id,
               v.data_id_key, v.dataset_id, NULL, NULL,
               jsonb_build_object('what', 'dataset', 'present', false), 3
        FROM calib.dataset_version AS v WHERE v.run_id = ANY (v_ids) AND v.removed_change IS NOT NULL
        UNION ALL
        SELECT coalesce(a.created_change, b.removed_change), coalesce(a.created_operation, b.removed_operation),
               coalesce(a.collection_id, b.collection_id), NULL, NULL, NULL, NULL, NULL,
               jsonb_build_object('what', 'collection',
                   'before', CASE WHEN b.collection_id IS NOT NULL THEN jsonb_build_object(
                       'name', b.name, 'type', b.type, 'state', b.state, 'writers', b.writers) END,
                   'after', CASE WHEN a.collection_id IS NOT NULL THEN jsonb_build_object(
                       'name', a.name, 'type', a.type, 'state', a.state, 'writers', a.writers) END), 0
        FROM (SELECT * FROM calib.collection_version AS v WHERE v.collection_id = ANY (v_ids)) AS a
        FULL JOIN (SELECT * FROM calib.collection_version AS v
                   WHERE v.collection_id = ANY (v_ids) AND v.removed_change IS NOT NULL) AS b
          ON b.collection_id = a.collection_id AND b.removed_change = a.created_change
        WHERE v_type IS NULL
        UNION ALL
        SELECT coalesce(a.created_change, b.removed_change), coalesce(a.created_operation, b.removed_operation),
               coalesce(a.parent_id, b.parent_id), NULL, NULL, NULL, NULL, NULL,
               jsonb_build_object('what', 'chain', 'position', coalesce(a.position, b.position),
                   'child_before', (SELECT n.name FROM calib.collection_version AS n
                                    WHERE n.collection_id = b.child_id
                                    ORDER BY n.created_change DESC LIMIT 1),
                   'child_after', (SELECT n.name FROM calib.collection_version AS n
                                   WHERE n.collection_id = a.child_id
                                   ORDER BY n.created_change DESC LIMIT 1)), 0
        FROM (SELECT * FROM calib.chain_version AS v WHERE v.parent_id = ANY (v_ids)) AS a
        FULL JOIN (SELECT * FROM calib.chain_version AS v
                   WHERE v.parent_id = ANY (v_ids) AND v.removed_change IS NOT NULL) AS b
          ON b.parent_id = a.parent_id AND b.position = a.position
             AND b.removed_change = a.created_change
        WHERE v_type IS NULL
    )
    SELECT ch.epoch, ch.committed_at, ch.db_role, ch.app_user, ch.reason, i.op, p_collection,
           t.name, di.value, i.dataset_id, i.before, i.after, i.detail
    FROM items AS i
    JOIN calib.change AS ch ON ch.change_id = i.change_id
    LEFT JOIN calib.dataset_type AS t ON t.dataset_type_id = i.dataset_type_id
    LEFT JOIN calib.data_id AS di ON di.data_id_key = i.data_id_key
    WHERE (v_type IS NULL OR i.dataset_type_id = v_type.dataset_type_id)
      AND (v_key IS NULL OR i.data_id_key = v_key)
      AND (p_since IS NULL OR ch.epoch >= p_since)
      AND (p_until IS NULL OR ch.epoch <= p_until)
    ORDER BY ch.epoch NULLS LAST, ch.change_id, i.kind, t.name, i.data_id_key,
             i.after IS NOT NULL, lower(coalesce(i.after, i.before)) NULLS FIRST,
             i.detail::text;
END
$$;

CREATE OR REPLACE FUNCTION calib.history(p_collection text, p_dataset_type text, p_data_id text, p_since text, p_until text)
RETURNS TABLE (epoch bigint, committed_at timestamptz, db_role text, app_user text, reason text,
               operation text, collection text, dataset_type text, data_id jsonb, dataset_id uuid,
               validity_before tstzrange, validity_after tstzrange, detail jsonb)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* history with every argument as text (drivers binding text): the data ID as JSON text
   (calib._json_text), the epochs in decimal digits (calib._epoch_text); NULL or '' for
   none. Then exactly the typed form. */
BEGIN
    RETURN QUERY SELECT * FROM calib.history(
        p_collection, p_dataset_type,
        CASE WHEN p_data_id IS NULL OR btrim(p_data_id) = '' THEN NULL
             ELSE calib._json_text(p_data_id, 'data_id') END,
        calib._epoch_text(p_since, 'since'), calib._epoch_text(p_until, 'until'));
END
$$;
