CREATE OR REPLACE FUNCTION calib._check_change(
    p_collection_id integer, p_operation text,
    p_keys integer[] DEFAULT NULL, p_begins timestamptz[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
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
    /* Two IFs, not one condition (revision 0018): a condition holding a subquery is a
       query, and PL/pgSQL re-planned it at every call (its custom plan, v_coll.state
       folded to a constant, looked cheaper than the generic one: ~9 us of every write);
       the outer test is a plain expression, and the query runs only for a FROZEN row. */
    IF v_coll.state = 'FROZEN' THEN
        IF NOT (p_operation = 'remove_collection'
                AND EXISTS (SELECT FROM calib.snapshot AS s
                            WHERE s.collection_id = p_collection_id)) THEN
            IF calib._raise('KC018',
                format('collection %L is FROZEN: %s refused', v_coll.name, p_operation),
                jsonb_build_object('kind', 'collection_frozen', 'collection', v_coll.name,
                                   'operation', p_operation)) IS NULL THEN END IF;
        END IF;
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
$$;
