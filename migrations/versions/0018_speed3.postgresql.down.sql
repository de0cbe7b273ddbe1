-- FROZEN downgrade of revision 0018, written by migrations/freeze.py from sources/0018_speed3.postgresql.down.sql.
-- Never edit by hand.
-- The functions this revision re-creates, as the previous revision had them (freeze.py).
CREATE OR REPLACE FUNCTION calib._check_change(p_collection_id integer, p_operation text, p_keys integer[] DEFAULT NULL::integer[], p_begins timestamp with time zone[] DEFAULT NULL::timestamp with time zone[])
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* May the caller make change p_operation to collection p_collection_id now? The one place
   the writer list and the collection states are checked, called by every mutating
   function right after it locked the collection row (calib._lock_collections): the state
   and writers read here are then those of the locked row, so a set_collection_state
   committed concurrently is seen either wholly before or wholly after the change.
   Rules, in this order:
   1. writers: when the collection has a writer list, the caller (calib._caller) must be a
      member (pg_has_role MEMBER, so also through intermediate roles; a superuser is a
      member of every role) of one of the roles still existing; KC017 otherwise.
   2. FROZEN: every operation is refused (KC018), but the removal of a snapshot (FROZEN
      by construction, never unfrozen: calib.snapshot_collection). The FROZEN triggers
      (sql/schema/frozen.sql) refuse the raw table writes as well; this gives the precise
      error first.
   3. APPEND_ONLY: decertify, untag, remove_collection and set_chain are refused (KC018);
      certify / certify_series (p_keys, p_begins: the calibration key and begin of each
      item, NULL begin = unbounded below) only where each begin is at or after the latest
      begin stored for its key in the collection. tag, insert_datasets, close_open and
      close_open_range add or end ranges and are allowed.
   Errors: KC017 access_denied; KC018 collection_frozen, collection_append_only,
   append_only_begin. */
DECLARE
    v_coll calib.collection;
    v_caller text;
    v_bad record;
BEGIN
    SELECT * INTO v_coll FROM calib.collection WHERE collection_id = p_collection_id;
    IF v_coll.writers IS NOT NULL THEN
        v_caller := calib._caller();
        IF NOT EXISTS (SELECT FROM unnest(v_coll.writers) AS w(name)
                       JOIN pg_roles AS r ON r.rolname = w.name
                       WHERE pg_has_role(v_caller, r.oid, 'MEMBER')) THEN
            IF calib._raise('KC017',
                format('role %L may not change collection %L: only members of %s may (%s refused)',
                       v_caller, v_coll.name, array_to_string(v_coll.writers, ', '), p_operation),
                jsonb_build_object('kind', 'access_denied', 'collection', v_coll.name,
                                   'role', v_caller, 'writers', to_jsonb(v_coll.writers),
                                   'operation', p_operation)) IS NULL THEN END IF;
        END IF;
    END IF;
    IF v_coll.state = 'FROZEN'
       AND NOT (p_operation = 'remove_collection'
                AND EXISTS (SELECT FROM calib.snapshot AS s
                            WHERE s.collection_id = p_collection_id)) THEN
        IF calib._raise('KC018',
            format('collection %L is FROZEN: %s refused', v_coll.name, p_operation),
            jsonb_build_object('kind', 'collection_frozen', 'collection', v_coll.name,
                               'operation', p_operation)) IS NULL THEN END IF;
    END IF;
    IF v_coll.state = 'APPEND_ONLY' THEN
        IF p_operation IN ('decertify', 'untag', 'remove_collection', 'set_chain') THEN
            IF calib._raise('KC018',
                format('collection %L is APPEND_ONLY: %s refused', v_coll.name, p_operation),
                jsonb_build_object('kind', 'collection_append_only', 'collection', v_coll.name,
                                   'operation', p_operation)) IS NULL THEN END IF;
        END IF;
        IF p_keys IS NOT NULL THEN
            /* The APPEND_ONLY begin rule (its SQLite twin: backends/sqlite/states.py). An
               unbounded begin is -infinity on both sides of the comparison. */
            SELECT u.ord, u.b, l.latest, di.value AS data_id, t.name AS type_name INTO v_bad
            FROM unnest(p_keys, p_begins) WITH ORDINALITY AS u(k, b, ord)
            CROSS JOIN LATERAL (
                SELECT max(coalesce(lower(c.validity), '-infinity')) AS latest
                FROM calib.certification AS c
                WHERE c.collection_id = p_collection_id AND c.data_id_key = u.k) AS l
            JOIN calib.data_id AS di ON di.data_id_key = u.k
            JOIN calib.dataset_type AS t ON t.dataset_type_id = di.dataset_type_id
            WHERE coalesce(u.b, '-infinity') < l.latest
            ORDER BY u.ord LIMIT 1;
            IF FOUND THEN
                IF calib._raise('KC018',
                    format('collection %L is APPEND_ONLY: %s refused: %L data ID %s begins at %s, before the latest begin %s',
                           v_coll.name, p_operation, v_bad.type_name, v_bad.data_id,
                           coalesce(calib._ts_text(v_bad.b), '-infinity'),
                           CASE WHEN isfinite(v_bad.latest) THEN calib._ts_text(v_bad.latest)
                                ELSE '-infinity' END),
                    jsonb_build_object('kind', 'append_only_begin', 'collection', v_coll.name,
                                       'operation', p_operation, 'dataset_type', v_bad.type_name,
                                       'data_id', v_bad.data_id,
                                       'begin', calib._ts_text(v_bad.b),
                                       'latest', CASE WHEN isfinite(v_bad.latest)
                                                      THEN calib._ts_text(v_bad.latest) END))
                    IS NULL THEN END IF;
            END IF;
        END IF;
    END IF;
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
SELECT '0017'::text
$function$;
CREATE OR REPLACE FUNCTION calib.close_open_range(p_collection text, p_dataset_type text, p_end timestamp with time zone, p_data_ids jsonb[] DEFAULT NULL::jsonb[])
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Give every certification of p_dataset_type in p_collection whose end is unbounded (only
   those data IDs when p_data_ids is given) the end p_end. Returns how many were closed.
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC009 if one of them begins at or after p_end (nothing is changed) or p_end is
   NULL / infinite; KC002/KC003/KC005/KC006/KC008 as decertify.
   Locks: the collection row, FOR NO KEY UPDATE. */
DECLARE
    v_replay jsonb;
    v_coll calib.collection := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type, true);
    v_keys integer[] := calib._data_id_keys(v_type, p_data_ids);
    v_bad record;
    v_n integer;
BEGIN
    PERFORM calib._operation('close_open_range');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('close_open_range');
        IF v_replay IS NOT NULL THEN
            RETURN (v_replay -> 'result')::integer;
        END IF;
    END IF;
    IF p_end IS NULL OR NOT isfinite(p_end) THEN
        IF calib._raise('KC009',
            format('close_open_range in %L needs a finite end, not %s', p_collection, coalesce(p_end::text, 'NULL')),
            jsonb_build_object('kind', 'close_open_range_end', 'collection', p_collection,
                               'dataset_type', p_dataset_type, 'end', p_end::text)) IS NULL THEN END IF;
    END IF;
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'close_open_range') IS NULL THEN END IF;
    /* Open ranges all overlap [p_end, infinity): the GiST index narrows the scan. */
    SELECT c.dataset_id, c.validity, di.value AS data_id INTO v_bad
    FROM calib.certification AS c JOIN calib.data_id AS di ON di.data_id_key = c.data_id_key
    WHERE c.collection_id = v_coll.collection_id
      AND c.dataset_type_id = v_type.dataset_type_id
      AND c.validity && tstzrange(p_end, NULL, '[)')
      AND upper_inf(c.validity) AND NOT lower_inf(c.validity) AND lower(c.validity) >= p_end
      AND (v_keys IS NULL OR c.data_id_key = ANY (v_keys))
    ORDER BY lower(c.validity), c.data_id_key
    LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC009',
            format('cannot close %L data ID %s in %L at %s: dataset %s begins at %s',
                   p_dataset_type, v_bad.data_id, p_collection, calib._ts_text(p_end),
                   v_bad.dataset_id, calib._ts_text(lower(v_bad.validity))),
            jsonb_build_object('kind', 'close_open_range_begins_after',
                               'collection', p_collection, 'dataset_type', p_dataset_type,
                               'data_id', v_bad.data_id, 'dataset', v_bad.dataset_id,
                               'timespan', calib._span_json(v_bad.validity),
                               'end', calib._ts_text(p_end))) IS NULL THEN END IF;
    END IF;
    UPDATE calib.certification AS c
    SET validity = tstzrange(lower(c.validity), p_end, '[)'),
        created_change = DEFAULT, created_operation = DEFAULT  -- a new version (history)
    WHERE c.collection_id = v_coll.collection_id
      AND c.dataset_type_id = v_type.dataset_type_id
      AND c.validity && tstzrange(p_end, NULL, '[)')
      AND upper_inf(c.validity)
      AND (v_keys IS NULL OR c.data_id_key = ANY (v_keys));
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('close_open_range', to_jsonb(v_n));
    END IF;
    RETURN v_n;
END
$function$;
-- Undo revision 0018 on PostgreSQL (source of versions/0018_speed3.postgresql.down.sql).
-- freeze.py puts back what 0018 changed as 0017 had it and drops what it created.
