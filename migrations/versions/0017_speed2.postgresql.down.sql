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
CREATE OR REPLACE FUNCTION calib._lookup(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_spans tstzrange[], p_as_of bigint DEFAULT NULL::bigint)
 RETURNS TABLE(ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The lookup behind find and find_many. Query i is (p_data_ids[i], p_spans[i]); an
   instant t is passed as the range [t,t], a NULL span skips CALIBRATION collections. The
   rule itself (first member of the search path with any match decides; more than one match
   there is ambiguous) is calib.probe's, applied to each query here; this function resolves
   the names, validates the data IDs, raises the errors and names the RUN of each dataset.
   One row per query, in input order, NULLs when nothing matched anywhere.
   Set-based and linear in the number of queries: one probe per query (inlined), and the
   per-query state lives in parallel arrays that are only ever unnested together (never
   subscripted per row: subscripting a jsonb[] or a uuid[] with NULLs walks it from the
   start). Data IDs equal to a stored one are valid and canonical already; the full
   validation runs only when some data ID is not stored.
   p_as_of: answer as of that epoch (checked by calib._as_of): the collection as named
   then, the rule applied by calib._probe_as_of (calib._probe_all_as_of) to the versions
   visible then; NULL (every
   current caller) reads the current tables through calib.probe, unchanged.
   Errors: KC011 when the deciding member of some query has more than one match (the first
   such query in input order); KC002 / KC005 / KC008 / KC015 for bad arguments. Read-only,
   no locks. */
DECLARE
    v_epoch bigint := calib._as_of(p_as_of);
    v_coll_id integer := CASE WHEN p_as_of IS NULL THEN (calib._collection(p_collection)).collection_id
                              ELSE calib._collection_as_of(p_collection, v_epoch) END;
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type);
    v_values jsonb[];
    v_keys integer[];
    v_ids uuid[];
    v_members integer[];
    v_open bigint;
    v_n integer;
    v_pos integer;
    v_span tstzrange;
    v_member text;
    v_member_id integer;
    v_read_epoch bigint;
    v_root integer;
BEGIN
    IF p_data_ids IS NULL THEN
        IF calib._raise('KC015', 'data IDs must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'data IDs')) IS NULL THEN END IF;
    END IF;
    v_n := cardinality(p_data_ids);
    /* Data IDs to keys: one probe of the unique (type, value) index per query (a LATERAL
       subquery with OFFSET 0 is never flattened into a join). As a plain join, the planner
       hash-joined a scan of the whole data_id table once a batch was a sizeable share of
       it; per-query probes cost the same whatever the table's size and statistics
       (issue 17, tests/test_lookup_plans.py). */
    SELECT array_agg(di.data_id_key ORDER BY u.ord), array_agg(di.value ORDER BY u.ord),
           count(*) FILTER (WHERE di.data_id_key IS NULL)
    INTO v_keys, v_values, v_open
    FROM unnest(p_data_ids) WITH ORDINALITY AS u(v, ord)
    LEFT JOIN LATERAL (SELECT di.data_id_key, di.value FROM calib.data_id AS di
                       WHERE di.dataset_type_id = v_type.dataset_type_id
                         AND di.value = u.v OFFSET 0) AS di ON true;
    IF v_open > 0 THEN
        /* Some data ID is not stored: validate them all (KC008 names the first bad one in
           input order) and look the canonical forms up. */
        v_values := calib._canonical_data_ids(v_type, p_data_ids);
        SELECT array_agg(di.data_id_key ORDER BY u.ord) INTO v_keys
        FROM unnest(v_values) WITH ORDINALITY AS u(v, ord)
        LEFT JOIN LATERAL (SELECT di.data_id_key FROM calib.data_id AS di
                           WHERE di.dataset_type_id = v_type.dataset_type_id AND di.value = u.v
                           OFFSET 0) AS di ON true;
    END IF;
    IF p_spans IS NULL OR cardinality(p_spans) <> v_n THEN
        IF calib._raise('KC015',
            format('lookup in %L needs one time (or NULL) per data ID', p_collection),
            jsonb_build_object('kind', 'lookup_times_count', 'collection', p_collection)) IS NULL THEN END IF;
    END IF;
    IF v_n = 0 THEN
        RETURN;
    END IF;

    /* A data ID never stored (NULL key) matches nothing: no probe. */
    SELECT array_agg(p.dataset_id ORDER BY u.ord), array_agg(p.member_id ORDER BY u.ord),
           min(u.ord) FILTER (WHERE p.ambiguous)
    INTO v_ids, v_members, v_pos
    FROM unnest(v_keys, p_spans) WITH ORDINALITY AS u(k, span, ord)
    LEFT JOIN LATERAL calib.probe(v_coll_id, u.k, u.span) AS p ON u.k IS NOT NULL
    WHERE v_epoch IS NULL;
    IF v_epoch IS NOT NULL THEN
        SELECT array_agg(p.dataset_id ORDER BY p.ord), array_agg(p.member_id ORDER BY p.ord),
               min(p.ord) FILTER (WHERE p.ambiguous)
        INTO v_ids, v_members, v_pos
        FROM calib._probe_all_as_of(v_coll_id, v_keys, p_spans, v_epoch) AS p;
    END IF;

    IF v_pos IS NOT NULL THEN
        v_span := p_spans[v_pos];
        v_member_id := v_members[v_pos];
        v_read_epoch := v_epoch;
        v_root := v_coll_id;
        IF v_epoch IS NULL THEN
            /* A snapshot member (revision 0014) decided: name the member of its source
               that did, as of the snapshot's epoch. */
            SELECT sp.snapshot_of, sp.snapshot_epoch INTO v_root, v_read_epoch
            FROM calib.search_path AS sp
            WHERE sp.collection_id = v_coll_id AND sp.member_id = v_member_id
              AND sp.snapshot_epoch IS NOT NULL;
            IF FOUND THEN
                SELECT p.member_id INTO v_member_id
                FROM calib._probe_as_of(v_root, v_keys[v_pos], v_span, v_read_epoch) AS p;
            END IF;
        END IF;
        IF v_read_epoch IS NULL THEN
            SELECT mc.name INTO v_member FROM calib.collection AS mc
            WHERE mc.collection_id = v_member_id;
        ELSE
            /* Each member is read at its own epoch (a snapshot's, when reached through one). */
            SELECT a.member_name, a.member_epoch INTO v_member, v_read_epoch
            FROM calib._search_path_as_of(v_root, v_read_epoch) AS a
            WHERE a.member_id = v_member_id
            ORDER BY a.rank LIMIT 1;
        END IF;
        IF calib._raise('KC011',
            format('lookup of %L data ID %s in %L is ambiguous: collection %L has more than one '
                   'certification valid %s', p_dataset_type, v_values[v_pos], p_collection,
                   v_member,
                   CASE WHEN lower(v_span) = upper(v_span) THEN 'at ' || calib._ts_text(lower(v_span))
                        ELSE 'during ' || calib._span_text(calib._span_json(v_span)) END),
            jsonb_build_object(
                'kind', CASE WHEN lower(v_span) = upper(v_span) THEN 'lookup_ambiguous_at'
                             ELSE 'lookup_ambiguous_during' END,
                'collection', v_member, 'searched', p_collection,
                'dataset_type', p_dataset_type, 'data_id', v_values[v_pos],
                'datasets', CASE WHEN v_read_epoch IS NULL THEN
                            (SELECT jsonb_agg(c.dataset_id ORDER BY lower(c.validity) NULLS FIRST)
                             FROM calib.certification AS c
                             JOIN calib.collection AS mc ON mc.collection_id = c.collection_id
                             WHERE mc.name = v_member AND c.data_id_key = v_keys[v_pos]
                               AND c.validity && v_span)
                            ELSE
                            (SELECT jsonb_agg(c.dataset_id ORDER BY lower(c.validity) NULLS FIRST)
                             FROM calib.certification_history AS c
                             WHERE c.collection_id = v_member_id AND c.data_id_key = v_keys[v_pos]
                               AND c.validity && v_span
                               AND calib._visible(c.created_change, c.removed_change, v_read_epoch))
                            END)
            || CASE WHEN lower(v_span) = upper(v_span)
                    THEN jsonb_build_object('at', calib._ts_text(lower(v_span)))
                    ELSE jsonb_build_object('timespan', calib._span_json(v_span)) END) IS NULL THEN END IF;
    END IF;

    /* The RUN of each dataset as a scalar subquery: one primary-key probe per query
       whatever the statistics. As a join, the planner hash-joined a scan of the whole
       dataset table when it had no statistics yet (right after a bulk load; issue 17,
       tests/test_lookup_plans.py). */
    RETURN QUERY
    /* A dataset (or its RUN) that a revert removed since is still named, as of an epoch
       it was there, by its RUN's last name (read only then: coalesce is lazy). */
    SELECT u.ord, u.id, v_type.name, CASE WHEN u.id IS NULL THEN NULL ELSE u.v END,
           coalesce((SELECT r.name FROM calib.dataset AS d
                     JOIN calib.collection AS r ON r.collection_id = d.run_id
                     WHERE d.dataset_id = u.id),
                    CASE WHEN u.id IS NOT NULL THEN (
                        SELECT n.name FROM calib.dataset_version AS dv
                        JOIN calib.collection_version AS n ON n.collection_id = dv.run_id
                        WHERE dv.dataset_id = u.id ORDER BY n.created_change DESC LIMIT 1) END)
    FROM unnest(v_ids, v_values) WITH ORDINALITY AS u(id, v, ord)
    ORDER BY u.ord;
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
CREATE OR REPLACE FUNCTION calib.check_integrity()
 RETURNS TABLE("check" text, detail jsonb)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET jit TO 'off'
AS $function$
/* Re-verifies every invariant of calibcert from the tables themselves, trusting no
   constraint or trigger (a superuser can drop or bypass those): one row per violation, no
   row when the database is healthy. Check names and detail keys: README "Integrity check
   and statistics"; the SQLite twin (sql/sqlite/functions/check_integrity.sql) reports the
   same checks under the same names. Set-based (one pass per check, no per-row loop), so it
   stays fast on a large database.
   Arguments: none.
   Returns: rows (check, detail), ordered by check, then detail.
   Locks: none; read-only, one snapshot (STABLE), runs on a hot standby.
   Errors: none of its own.

   jit = off: the statement is large and costed high on a big database, and PostgreSQL's
   JIT compilation of it took 6.7 s of a 7.4 s check of 10^5 certifications (0.6 s
   without; bench/health.py). */
BEGIN
    RETURN QUERY
    WITH problems (name, detail) AS (
        /* The revision stored by alembic (or by install.sql) is the one these functions
           belong to. */
        SELECT 'schema_revision',
               jsonb_build_object('expected', calib._revision(),
                                  'found', (SELECT coalesce(jsonb_agg(v.version_num::text
                                                            ORDER BY v.version_num), '[]')
                                            FROM calib.alembic_version AS v))
        WHERE (SELECT array_agg(v.version_num::text) FROM calib.alembic_version AS v)
              IS DISTINCT FROM ARRAY[calib._revision()]

        /* Every internal reference points at an existing row (what the foreign keys say),
           grouped by the missing key. */
        UNION ALL
        SELECT 'missing_reference',
               jsonb_build_object('table', m.tbl, 'references', m.ref, 'key', m.key,
                                  'rows', m.n)
        FROM (
            SELECT 'collection_chain' AS tbl, 'collection' AS ref,
                   jsonb_build_object('parent_id', ch.parent_id) AS key, count(*) AS n
            FROM calib.collection_chain AS ch
            WHERE NOT EXISTS (SELECT FROM calib.collection AS c
                              WHERE c.collection_id = ch.parent_id)
            GROUP BY ch.parent_id
            UNION ALL
            SELECT 'collection_chain', 'collection',
                   jsonb_build_object('child_id', ch.child_id), count(*)
            FROM calib.collection_chain AS ch
            WHERE NOT EXISTS (SELECT FROM calib.collection AS c
                              WHERE c.collection_id = ch.child_id)
            GROUP BY ch.child_id
            UNION ALL
            SELECT 'data_id', 'dataset_type',
                   jsonb_build_object('dataset_type_id', di.dataset_type_id), count(*)
            FROM calib.data_id AS di
            WHERE NOT EXISTS (SELECT FROM calib.dataset_type AS t
                              WHERE t.dataset_type_id = di.dataset_type_id)
            GROUP BY di.dataset_type_id
            UNION ALL
            SELECT 'dataset', 'collection', jsonb_build_object('run_id', d.run_id), count(*)
            FROM calib.dataset AS d
            WHERE NOT EXISTS (SELECT FROM calib.collection AS c WHERE c.collection_id = d.run_id)
            GROUP BY d.run_id
            UNION ALL
            SELECT 'dataset', 'data_id',
                   jsonb_build_object('data_id_key', d.data_id_key,
                                      'dataset_type_id', d.dataset_type_id), count(*)
            FROM calib.dataset AS d
            WHERE NOT EXISTS (SELECT FROM calib.data_id AS di
                              WHERE di.data_id_key = d.data_id_key
                                AND di.dataset_type_id = d.dataset_type_id)
            GROUP BY d.data_id_key, d.dataset_type_id
            UNION ALL
            SELECT 'tag', 'collection', jsonb_build_object('collection_id', g.collection_id),
                   count(*)
            FROM calib.tag AS g
            WHERE NOT EXISTS (SELECT FROM calib.collection AS c
                              WHERE c.collection_id = g.collection_id)
            GROUP BY g.collection_id
            UNION ALL
            SELECT 'tag', 'dataset',
                   jsonb_build_object('dataset_id', g.dataset_id,
                                      'dataset_type_id', g.dataset_type_id,
                                      'data_id_key', g.data_id_key), count(*)
            FROM calib.tag AS g
            WHERE NOT EXISTS (SELECT FROM calib.dataset AS d
                              WHERE d.dataset_id = g.dataset_id
                                AND d.dataset_type_id = g.dataset_type_id
                                AND d.data_id_key = g.data_id_key)
            GROUP BY g.dataset_id, g.dataset_type_id, g.data_id_key
            UNION ALL
            SELECT 'certification', 'collection',
                   jsonb_build_object('collection_id', ce.collection_id), count(*)
            FROM calib.certification AS ce
            WHERE NOT EXISTS (SELECT FROM calib.collection AS c
                              WHERE c.collection_id = ce.collection_id)
            GROUP BY ce.collection_id
            UNION ALL
            SELECT 'certification', 'dataset',
                   jsonb_build_object('dataset_id', ce.dataset_id,
                                      'dataset_type_id', ce.dataset_type_id,
                                      'data_id_key', ce.data_id_key), count(*)
            FROM calib.certification AS ce
            WHERE NOT EXISTS (SELECT FROM calib.dataset AS d
                              WHERE d.dataset_id = ce.dataset_id
                                AND d.dataset_type_id = ce.dataset_type_id
                                AND d.data_id_key = ce.data_id_key)
            GROUP BY ce.dataset_id, ce.dataset_type_id, ce.data_id_key
        ) AS m

        /* Each kind of row lives in the kind of collection made for it (the type is read
           from collection, not from the pinning columns of the row itself). */
        UNION ALL
        SELECT 'dataset_outside_run',
               jsonb_build_object('collection', c.name, 'type', c.type, 'rows', count(*))
        FROM calib.dataset AS d JOIN calib.collection AS c ON c.collection_id = d.run_id
        WHERE c.type <> 'RUN'
        GROUP BY c.name, c.type
        UNION ALL
        SELECT 'tag_outside_tagged',
               jsonb_build_object('collection', c.name, 'type', c.type, 'rows', count(*))
        FROM calib.tag AS g JOIN calib.collection AS c ON c.collection_id = g.collection_id
        WHERE c.type <> 'TAGGED'
        GROUP BY c.name, c.type
        UNION ALL
        SELECT 'certification_outside_calibration',
               jsonb_build_object('collection', c.name, 'type', c.type, 'rows', count(*))
        FROM calib.certification AS ce
        JOIN calib.collection AS c ON c.collection_id = ce.collection_id
        WHERE c.type <> 'CALIBRATION'
        GROUP BY c.name, c.type
        UNION ALL
        SELECT 'chain_outside_chained',
               jsonb_build_object('collection', c.name, 'type', c.type, 'rows', count(*))
        FROM calib.collection_chain AS ch
        JOIN calib.collection AS c ON c.collection_id = ch.parent_id
        WHERE c.type <> 'CHAINED'
        GROUP BY c.name, c.type

        /* Only calibration dataset types are certified. */
        UNION ALL
        SELECT 'certification_not_calibration_type',
               jsonb_build_object('collection', c.name, 'dataset_type', t.name,
                                  'rows', count(*))
        FROM calib.certification AS ce
        JOIN calib.dataset_type AS t ON t.dataset_type_id = ce.dataset_type_id
        LEFT JOIN calib.collection AS c ON c.collection_id = ce.collection_id
        WHERE NOT t.is_calibration
        GROUP BY c.name, t.name

        /* A TAGGED collection holds at most one dataset per (dataset type, data ID), read
           from the datasets themselves. */
        UNION ALL
        SELECT 'tag_duplicate_data_id',
               jsonb_build_object('collection', c.name, 'dataset_type', t.name,
                                  'data_id', di.value, 'datasets', x.ids)
        FROM (SELECT g.collection_id, d.dataset_type_id, d.data_id_key,
                     jsonb_agg(d.dataset_id::text ORDER BY d.dataset_id::text) AS ids
              FROM calib.tag AS g JOIN calib.dataset AS d ON d.dataset_id = g.dataset_id
              GROUP BY g.collection_id, d.dataset_type_id, d.data_id_key
              HAVING count(*) > 1) AS x
        LEFT JOIN calib.collection AS c ON c.collection_id = x.collection_id
        LEFT JOIN calib.dataset_type AS t ON t.dataset_type_id = x.dataset_type_id
        LEFT JOIN calib.data_id AS di ON di.data_id_key = x.data_id_key

        /* No two certifications of one calibration key (collection, data ID) overlap. One
           sort per key: a certification that begins before the latest end of those sorted
           before it overlaps one of them; only those (few) are paired with what they
           overlap. */
        UNION ALL
        SELECT 'certification_overlap',
               jsonb_build_object('collection', c.name, 'dataset_type', t.name,
                                  'data_id', di.value,
                                  'dataset', a.dataset_id::text,
                                  'timespan', calib._span_json(a.validity),
                                  'other_dataset', b.dataset_id::text,
                                  'other_timespan', calib._span_json(b.validity))
        FROM (SELECT s.* FROM (
                  SELECT ce.certification_id, ce.collection_id, ce.data_id_key,
                         ce.dataset_type_id, ce.validity, ce.dataset_id,
                         max(coalesce(upper(ce.validity), 'infinity')) OVER (
                             PARTITION BY ce.collection_id, ce.data_id_key
                             ORDER BY coalesce(lower(ce.validity), '-infinity'),
                                      ce.certification_id
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before_end
                  FROM calib.certification AS ce) AS s
              WHERE s.before_end > coalesce(lower(s.validity), '-infinity')) AS b
        JOIN calib.certification AS a
          ON a.collection_id = b.collection_id AND a.data_id_key = b.data_id_key
         AND a.validity && b.validity
         AND (coalesce(lower(a.validity), '-infinity'), a.certification_id)
             < (coalesce(lower(b.validity), '-infinity'), b.certification_id)
        LEFT JOIN calib.collection AS c ON c.collection_id = b.collection_id
        LEFT JOIN calib.dataset_type AS t ON t.dataset_type_id = b.dataset_type_id
        LEFT JOIN calib.data_id AS di ON di.data_id_key = b.data_id_key

        /* History (README "History and time travel"): every past state obeyed the same
           rule. Two versions of one calibration key (collection, data ID) whose validities
           overlap were never visible at the same epoch: a version is visible from its
           creating change's epoch until its removing one's (calib._visible), so the two
           epoch intervals must not meet. Pairs with a closed version only (two current
           ones are certification_overlap's); each pair once; a change still pending (no
           epoch yet) is not part of any past state. */
        UNION ALL
        SELECT 'history_overlap',
               jsonb_build_object('collection', c.name, 'dataset_type', t.name,
                                  'data_id', di.value, 'epoch', greatest(a.created, b.created),
                                  'dataset', a.dataset_id::text,
                                  'timespan', calib._span_json(a.validity),
                                  'other_dataset', b.dataset_id::text,
                                  'other_timespan', calib._span_json(b.validity))
        FROM (SELECT v.*, cc.epoch AS created, rc.epoch AS removed
              FROM calib.certification_version AS v
              JOIN calib.change AS cc ON cc.change_id = v.created_change
              JOIN calib.change AS rc ON rc.change_id = v.removed_change
              WHERE cc.epoch IS NOT NULL) AS a
        JOIN (SELECT h.*, cc.epoch AS created, rc.epoch AS removed
              FROM calib.certification_history AS h
              JOIN calib.change AS cc ON cc.change_id = h.created_change
              LEFT JOIN calib.change AS rc ON rc.change_id = h.removed_change
              WHERE cc.epoch IS NOT NULL) AS b
          ON b.collection_id = a.collection_id AND b.data_id_key = a.data_id_key
         AND b.validity && a.validity
         AND b.created < coalesce(a.removed, 'Infinity'::numeric)
         AND a.created < coalesce(b.removed, 'Infinity'::numeric)
         AND (b.removed_change IS NULL
              OR (a.certification_id, a.created_change)
                 < (b.certification_id, b.created_change))
        LEFT JOIN calib.collection AS c ON c.collection_id = a.collection_id
        LEFT JOIN calib.dataset_type AS t ON t.dataset_type_id = a.dataset_type_id
        LEFT JOIN calib.data_id AS di ON di.data_id_key = a.data_id_key

        /* A version ends after it begins: its removing change has a later epoch than its
           creating one (a version created and removed by one change is never kept), in
           every version table; grouped by table and the two epochs. */
        UNION ALL
        SELECT 'history_version_order',
               jsonb_build_object('table', v.tbl, 'created_epoch', cc.epoch,
                                  'removed_epoch', rc.epoch, 'versions', count(*))
        FROM (SELECT 'certification_version' AS tbl, x.created_change, x.removed_change
              FROM calib.certification_version AS x
              UNION ALL
              SELECT 'collection_version', x.created_change, x.removed_change
              FROM calib.collection_version AS x WHERE x.removed_change IS NOT NULL
              UNION ALL
              SELECT 'chain_version', x.created_change, x.removed_change
              FROM calib.chain_version AS x WHERE x.removed_change IS NOT NULL
              UNION ALL
              SELECT 'tag_version', x.created_change, x.removed_change
              FROM calib.tag_version AS x WHERE x.removed_change IS NOT NULL
              UNION ALL
              SELECT 'dataset_version', x.created_change, x.removed_change
              FROM calib.dataset_version AS x WHERE x.removed_change IS NOT NULL) AS v
        JOIN calib.change AS cc ON cc.change_id = v.created_change
        JOIN calib.change AS rc ON rc.change_id = v.removed_change
        WHERE rc.epoch <= cc.epoch
        GROUP BY v.tbl, cc.epoch, rc.epoch

        /* Chains are acyclic: a chain that reaches itself through its children. */
        UNION ALL
        SELECT 'chain_cycle', jsonb_build_object('collection', c.name)
        FROM (WITH RECURSIVE reach (start_id, collection_id) AS (
                  SELECT ch.parent_id, ch.child_id FROM calib.collection_chain AS ch
                  UNION
                  SELECT r.start_id, ch.child_id
                  FROM reach AS r JOIN calib.collection_chain AS ch
                    ON ch.parent_id = r.collection_id)
              SELECT DISTINCT r.start_id FROM reach AS r
              WHERE r.start_id = r.collection_id) AS y
        JOIN calib.collection AS c ON c.collection_id = y.start_id

        /* Stored search paths equal a fresh flattening (the walk of
           calib._refresh_search_paths, cycles not followed), compared member by member
           with rank and type; the detail lists both as [name, type] pairs. */
        UNION ALL
        SELECT 'search_path_mismatch',
               jsonb_build_object('collection', coalesce(c.name, p.collection_id::text),
                                  'stored', coalesce(p.stored_names, '[]'),
                                  'expected', coalesce(p.fresh_names, '[]'))
        FROM (
            SELECT coalesce(st.collection_id, fr.collection_id) AS collection_id,
                   st.names AS stored_names, fr.names AS fresh_names
            FROM (SELECT sp.collection_id,
                         jsonb_agg(jsonb_build_array(sp.rank, sp.member_id, sp.member_type)
                                   ORDER BY sp.rank) AS members,
                         jsonb_agg(jsonb_build_array(coalesce(m.name, sp.member_id::text),
                                                     sp.member_type) ORDER BY sp.rank)
                             AS names
                  FROM calib.search_path AS sp
                  LEFT JOIN calib.collection AS m ON m.collection_id = sp.member_id
                  GROUP BY sp.collection_id) AS st
            FULL JOIN (
                WITH RECURSIVE walk (root_id, collection_id, path) AS (
                    SELECT c0.collection_id, c0.collection_id, ARRAY[]::integer[]
                    FROM calib.collection AS c0
                    UNION ALL
                    SELECT w.root_id, ch.child_id, w.path || ch.position
                    FROM walk AS w
                    JOIN calib.collection_chain AS ch ON ch.parent_id = w.collection_id
                ) CYCLE collection_id SET looped USING visited,
                ranked AS (
                    SELECT f.root_id, c1.collection_id, c1.name, c1.type,
                           row_number() OVER (PARTITION BY f.root_id ORDER BY f.path) AS rank
                    FROM (SELECT DISTINCT ON (w.root_id, w.collection_id)
                                 w.root_id, w.collection_id, w.path
                          FROM walk AS w WHERE NOT w.looped
                          ORDER BY w.root_id, w.collection_id, w.path) AS f
                    JOIN calib.collection AS c1 ON c1.collection_id = f.collection_id
                    WHERE c1.type <> 'CHAINED'
                       OR EXISTS (SELECT FROM calib.snapshot AS s1
                                  WHERE s1.collection_id = c1.collection_id))
                SELECT r.root_id AS collection_id,
                       jsonb_agg(jsonb_build_array(r.rank, r.collection_id, r.type)
                                 ORDER BY r.rank) AS members,
                       jsonb_agg(jsonb_build_array(r.name, r.type) ORDER BY r.rank) AS names
                FROM ranked AS r GROUP BY r.root_id) AS fr
              ON fr.collection_id = st.collection_id
            WHERE st.members IS DISTINCT FROM fr.members) AS p
        LEFT JOIN calib.collection AS c ON c.collection_id = p.collection_id

        /* A data ID has exactly its dataset type's dimensions as keys. */
        UNION ALL
        SELECT 'data_id_dimensions',
               jsonb_build_object('dataset_type', t.name, 'data_id', di.value,
                                  'dimensions', to_jsonb(t.dimensions))
        FROM calib.data_id AS di
        JOIN calib.dataset_type AS t ON t.dataset_type_id = di.dataset_type_id
        WHERE ARRAY(SELECT k FROM jsonb_object_keys(di.value) AS k ORDER BY k)
              IS DISTINCT FROM ARRAY(SELECT u FROM unnest(t.dimensions) AS u ORDER BY u)

        /* Every data-ID value has the type calib.dimension fixes for its dimension
           (integer or string; a dimension missing there expects null), grouped by
           dimension and type found, with the first such data ID as example. */
        UNION ALL
        SELECT 'dimension_value_type',
               jsonb_build_object('dimension', v.dim, 'expected', dm.value_type,
                                  'found', v.found, 'data_ids', count(*),
                                  'example', (array_agg(v.value ORDER BY v.data_id_key))[1])
        FROM (SELECT di.data_id_key, di.value, e.key AS dim,
                     CASE WHEN jsonb_typeof(e.value) = 'string' THEN 'string'
                          WHEN jsonb_typeof(e.value) = 'number'
                               AND e.value::text !~ '[.eE]' THEN 'integer'
                          ELSE jsonb_typeof(e.value) END AS found
              FROM calib.data_id AS di, jsonb_each(di.value) AS e) AS v
        LEFT JOIN calib.dimension AS dm ON dm.name = v.dim
        WHERE dm.value_type IS DISTINCT FROM v.found
        GROUP BY v.dim, dm.value_type, v.found
    )
    SELECT p.name, p.detail FROM problems AS p ORDER BY p.name, p.detail::text;
END
$function$;
CREATE OR REPLACE FUNCTION calib.probe(p_collection_id integer, p_data_id_key integer, p_span tstzrange)
 RETURNS TABLE(member_id integer, dataset_id uuid, ambiguous boolean)
 LANGUAGE sql
 STABLE
AS $function$
/* The lookup rule, the one place it is written on PostgreSQL. The collection's stored
   search path (calib.search_path: itself, or a chain's members flattened) is searched in
   rank order and the first member with any match for the data ID key decides: RUN and
   TAGGED members match by data ID for all time, CALIBRATION members by certifications
   overlapping p_span (an instant t is the range [t,t]; a NULL span skips them). One row
   for the deciding member: its dataset, and ambiguous = it has more than one match (the
   caller raises KC011); no row when no member matches.
   Arguments: p_collection_id and p_data_id_key internal ids (calib.collection,
   calib.data_id), p_span the time (NULL skips CALIBRATION members).
   Locks: none; read-only.
   Errors: none of its own (callers resolve names to ids first and raise).

   Used by calib._lookup, calib._lookup_one and the Python client's prepared find, all of
   which resolve names to ids first and raise the errors. Inline-only: LANGUAGE sql without
   SET search_path, so that PostgreSQL inlines it into the calling statement and plans it
   with that statement's cached plan (a SET clause forbids inlining; the body would then be
   planned again on every call). Its body is therefore parsed under the caller's
   search_path: every name in it is schema-qualified, operators included. SECURITY INVOKER:
   it reads with the caller's own table rights, so granting it to calib_reader and
   calib_writer gives them nothing they cannot SELECT already.
   Per member exactly one probe runs, chosen by a CASE on the member's stored kind: a
   snapshot (snapshot_epoch set, revision 0014) asks calib._snapshot_ids, a CALIBRATION
   member its certifications overlapping p_span (none when p_span is NULL: the CASE then
   falls through to NULL), a RUN its datasets, a TAGGED collection its tags, each an
   ARRAY(... LIMIT 2) subplan; the subquery with OFFSET 0 computes the CASE
   once per member (the planner would otherwise copy it into the filter and the output).
   Why a CASE of subplans rather than a UNION ALL of branches behind one-time filters (issue
   12 item 9): the executor starts every node of a cached plan on every execution, whether
   it runs or not; the CASE has no Append, no filter nodes and no set-returning wrapper, so
   a lookup starts fewer nodes (bench/README.md "issue 12 item 9" has the figures). The
   RUN and TAGGED probes stay inline, not behind a function call: such a call (PL/pgSQL,
   SET search_path) costs more per RUN or TAGGED member than the two subplans cost every
   lookup, and chains of RUNs must not get slower. A snapshot reads its source as of the
   snapshot's epoch through calib._snapshot_ids (its dataset, twice when ambiguous, so that
   ids[2] says so), a call rather than inlined calib._probe_as_of so that the plan holds no
   version table (see calib._snapshot_ids for why). A snapshot has no rows of its own and is
   never probed as its stored kind. */
SELECT x.member_id, x.ids[1], x.ids[2] IS NOT NULL
FROM (SELECT m.member_id, m.rank,
             CASE WHEN m.snapshot_epoch IS NOT NULL
                  THEN calib._snapshot_ids(m.snapshot_of, p_data_id_key, p_span, m.snapshot_epoch)
                  WHEN m.member_type OPERATOR(pg_catalog.=) 'CALIBRATION' AND p_span IS NOT NULL
                  THEN ARRAY(SELECT c.dataset_id FROM calib.certification AS c
                             WHERE c.collection_id OPERATOR(pg_catalog.=) m.member_id
                               AND c.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
                               AND c.validity OPERATOR(pg_catalog.&&) p_span
                             LIMIT 2)
                  WHEN m.member_type OPERATOR(pg_catalog.=) 'RUN'
                  THEN ARRAY(SELECT d.dataset_id FROM calib.dataset AS d
                             WHERE d.run_id OPERATOR(pg_catalog.=) m.member_id
                               AND d.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
                             LIMIT 2)
                  WHEN m.member_type OPERATOR(pg_catalog.=) 'TAGGED'
                  THEN ARRAY(SELECT t.dataset_id FROM calib.tag AS t
                             WHERE t.collection_id OPERATOR(pg_catalog.=) m.member_id
                               AND t.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
                             LIMIT 2)
             END AS ids
      FROM calib.search_path AS m
      WHERE m.collection_id OPERATOR(pg_catalog.=) p_collection_id
      ORDER BY m.rank
      OFFSET 0) AS x
WHERE x.ids[1] IS NOT NULL
ORDER BY x.rank
LIMIT 1
$function$;
CREATE OR REPLACE FUNCTION calib.prune_history(p_before bigint)
 RETURNS bigint
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Retention (README "Retention and request ids"): drops the history older than epoch
   p_before. Deleted: every closed version (of certification_version, collection_version,
   chain_version, tag_version, dataset_version) whose removing change has an epoch below
   p_before -- no as-of read at an epoch >= p_before can see it (calib._visible: it was gone
   by then) and history from p_before on never shows it --, then every change row below
   p_before that no version and no current certification refers to any more. Versions
   still visible at p_before (current ones, or closed at or after p_before) stay with the
   changes that created them, so as-of reads at every epoch >= p_before answer exactly as
   before (tests/test_pg_retention.py replays them all). The history horizon
   (calib.history_horizon) becomes p_before: as-of reads and history since an epoch below
   it are then refused (as_of_pruned) instead of answered wrongly. The horizon never moves
   back: a p_before at or below it drops nothing. A change's request id goes with its
   row: a retry of a pruned request is no longer recognised.
   Arguments: p_before: 0 <= p_before <= calib.current_epoch().
   Returns: the number of versions dropped.
   Errors: KC015 argument_null, KC015 prune_range (p_before out of range), KC015
   prune_snapshot (a snapshot reads an epoch below p_before), 55P03 (wait
   'history_horizon') when another prune holds the horizon beyond calib.lock_timeout.
   Locks: the calib.history_horizon row FOR UPDATE (prunes take turns; a wait bounded by
   calib.lock_timeout); ROW EXCLUSIVE on the version tables and calib.change, like any
   writer, and the deleted rows, which nobody writes any more (closed versions, changes
   nothing refers to). No table lock: lookups (current and as-of) and writers go on. The
   work is linear in the history dropped plus one pass over the current certifications;
   to keep each transaction short, prune in steps of increasing p_before. */
DECLARE
    v_horizon bigint;
    v_current bigint := calib.current_epoch();
    v_changes bigint[];
    v_n bigint;
    v_total bigint := 0;
    v_old text;
    v_snapshot bigint;
BEGIN
    IF p_before IS NULL THEN
        IF calib._raise('KC015', 'prune_history needs an epoch (before) and got NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'before')) IS NULL THEN END IF;
    END IF;
    IF p_before < 0 OR p_before > v_current THEN
        IF calib._raise('KC015',
            format('prune_history before epoch %s is out of range: epochs run from 0 to the current epoch %s',
                   p_before, v_current),
            jsonb_build_object('kind', 'prune_range', 'before', p_before,
                               'current', v_current)) IS NULL THEN END IF;
    END IF;
    /* A snapshot reads its source as of its epoch, for as long as it exists or can still be
       read as of an epoch >= p_before (removed at or after it): its versions must stay. */
    SELECT min(s.epoch) INTO v_snapshot FROM calib.snapshot AS s
    WHERE s.epoch < p_before
      AND EXISTS (SELECT FROM calib.collection_version AS v
                  LEFT JOIN calib.change AS r ON r.change_id = v.removed_change
                  WHERE v.collection_id = s.collection_id
                    AND (v.removed_change IS NULL OR r.epoch IS NULL OR r.epoch >= p_before));
    IF v_snapshot IS NOT NULL THEN
        IF calib._raise('KC015',
            format('prune_history before epoch %s would drop what a snapshot reads (epoch %s): '
                   'remove the snapshot first, or prune before epoch %s at most',
                   p_before, v_snapshot, v_snapshot),
            jsonb_build_object('kind', 'prune_snapshot', 'before', p_before,
                               'snapshot_epoch', v_snapshot)) IS NULL THEN END IF;
    END IF;
    v_old := calib._bound_waits();
    BEGIN
        SELECT h.earliest_epoch INTO v_horizon FROM calib.history_horizon AS h FOR UPDATE;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('history_horizon', 'the history horizon, held by another prune_history',
                               '{}') IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF p_before <= v_horizon THEN
        RETURN 0;
    END IF;
    v_changes := ARRAY(SELECT c.change_id FROM calib.change AS c WHERE c.epoch < p_before);
    /* Closed versions whose removal committed before p_before: through the removed_change
       indexes. A current version (removed_change NULL) and one closed by an uncommitted
       change (no epoch) are never among them. */
    DELETE FROM calib.certification_version AS v WHERE v.removed_change = ANY (v_changes);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_total := v_total + v_n;
    DELETE FROM calib.collection_version AS v WHERE v.removed_change = ANY (v_changes);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_total := v_total + v_n;
    DELETE FROM calib.chain_version AS v WHERE v.removed_change = ANY (v_changes);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_total := v_total + v_n;
    DELETE FROM calib.tag_version AS v WHERE v.removed_change = ANY (v_changes);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_total := v_total + v_n;
    DELETE FROM calib.dataset_version AS v WHERE v.removed_change = ANY (v_changes);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_total := v_total + v_n;
    /* The changes nothing refers to any more (one anti-join per reference: a hash
       anti-join each, so one pass over every table rather than a probe per change). A new reference to an old change only ever
       comes from an existing one (a current certification copied into its version table
       when closed), which this statement's snapshot sees, so no concurrent writer can
       need a row deleted here. */
    DELETE FROM calib.change AS c
    WHERE c.change_id = ANY (v_changes)
      AND NOT EXISTS (SELECT FROM calib.certification AS x WHERE x.created_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.certification_version AS x WHERE x.created_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.certification_version AS x WHERE x.removed_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.collection_version AS x WHERE x.created_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.collection_version AS x WHERE x.removed_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.chain_version AS x WHERE x.created_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.chain_version AS x WHERE x.removed_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.tag_version AS x WHERE x.created_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.tag_version AS x WHERE x.removed_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.dataset_version AS x WHERE x.created_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.dataset_version AS x WHERE x.removed_change = c.change_id);
    UPDATE calib.history_horizon SET earliest_epoch = p_before, pruned_at = clock_timestamp();
    RETURN v_total;
END
$function$;
-- Undo revision 0017 on PostgreSQL (source of versions/0017_speed2.postgresql.down.sql).
-- freeze.py puts back what 0017 changed as 0016 had it and drops what it created.
-- pg-findmany: the lookup's btree index goes (calib.probe's 0016 definition, put back
-- above, probes the exclusion constraint's GiST index).
DROP INDEX calib.certification_lookup_idx;
-- pg-findmany: end
-- pg-fk: the declared foreign keys of calib.certification_version again, without the
-- triggers (freeze.py drops their functions).
DROP TRIGGER certification_version_change_insert ON calib.certification_version;
DROP TRIGGER certification_version_change_update ON calib.certification_version;
DROP TRIGGER change_refs_before_delete ON calib.change;
DROP TRIGGER change_refs_delete ON calib.change;
DROP TRIGGER change_refs_rekey ON calib.change;
DROP TRIGGER change_refs_truncate ON calib.change;
-- A version naming a missing change (only a superuser bypassing the triggers can leave one)
-- would make the constraints fail with PostgreSQL's bare message: say what and how first.
DO $$
BEGIN
    IF EXISTS (SELECT FROM calib.certification_version AS v
               WHERE NOT EXISTS (SELECT FROM calib.change AS c
                                 WHERE c.change_id = v.created_change)
                  OR NOT EXISTS (SELECT FROM calib.change AS c
                                 WHERE c.change_id = v.removed_change)) THEN
        RAISE EXCEPTION 'cannot downgrade below revision 0017 while versions of certifications name changes that do not exist: calib.check_integrity() lists them (missing_reference, table certification_version); delete those versions first';
    END IF;
END
$$;
ALTER TABLE calib.certification_version
    ADD CONSTRAINT certification_version_created_fkey FOREIGN KEY (created_change)
        REFERENCES calib.change (change_id),
    ADD CONSTRAINT certification_version_removed_fkey FOREIGN KEY (removed_change)
        REFERENCES calib.change (change_id);
-- pg-fk: prune_history, put back by freeze.py, keeps the comment 0017 gave it: 0016's, again.
COMMENT ON FUNCTION calib.prune_history(bigint) IS
    'Retention (README "Retention and request ids"): drops the history older than epoch p_before. Deleted: every closed version (of certification_version, collection_version, chain_version, tag_version, dataset_version) whose removing change has an epoch below p_before -- no as-of read at an epoch >= p_before can see it (calib._visible: it was gone by then) and history from p_before on never shows it --, then every change row below p_before that no version and no current certification refers to any more. Versions still visible at p_before (current ones, or closed at or after p_before) stay with the changes that created them, so as-of reads at every epoch >= p_before answer exactly as before (tests/test_pg_retention.py replays them all). The history horizon (calib.history_horizon) becomes p_before: as-of reads and history since an epoch below it are then refused (as_of_pruned) instead of answered wrongly. The horizon never moves back: a p_before at or below it drops nothing. A change''s request id goes with its row: a retry of a pruned request is no longer recognised.
Arguments: p_before: 0 <= p_before <= calib.current_epoch().
Returns: the number of versions dropped.
Locks: the calib.history_horizon row FOR UPDATE (prunes take turns; a wait bounded by calib.lock_timeout); ROW EXCLUSIVE on the version tables and calib.change, like any writer, and the deleted rows, which nobody writes any more (closed versions, changes nothing refers to). No table lock: lookups (current and as-of) and writers go on. The work is linear in the history dropped plus one pass over the current certifications; to keep each transaction short, prune in steps of increasing p_before.
Errors: KC015 argument_null, KC015 prune_range (p_before out of range), KC015 prune_snapshot (a snapshot reads an epoch below p_before), 55P03 (wait ''history_horizon'') when another prune holds the horizon beyond calib.lock_timeout.';
-- pg-fk: end
-- The functions this revision creates (freeze.py).
DROP FUNCTION calib._change_refs_check();
DROP FUNCTION calib._version_change_check();
