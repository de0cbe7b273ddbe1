-- FROZEN downgrade of revision 0015, written by migrations/freeze.py from sources/0015_twins_and_speed.postgresql.down.sql.
-- Never edit by hand.
-- The functions this revision re-creates, as the previous revision had them (freeze.py).
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
    SELECT array_agg(di.data_id_key ORDER BY u.ord), array_agg(di.value ORDER BY u.ord),
           count(*) FILTER (WHERE di.data_id_key IS NULL)
    INTO v_keys, v_values, v_open
    FROM unnest(p_data_ids) WITH ORDINALITY AS u(v, ord)
    LEFT JOIN calib.data_id AS di ON di.dataset_type_id = v_type.dataset_type_id AND di.value = u.v;
    IF v_open > 0 THEN
        /* Some data ID is not stored: validate them all (KC008 names the first bad one in
           input order) and look the canonical forms up. */
        v_values := calib._canonical_data_ids(v_type, p_data_ids);
        SELECT array_agg(di.data_id_key ORDER BY u.ord) INTO v_keys
        FROM unnest(v_values) WITH ORDINALITY AS u(v, ord)
        LEFT JOIN calib.data_id AS di ON di.dataset_type_id = v_type.dataset_type_id AND di.value = u.v;
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

    RETURN QUERY
    SELECT u.ord, u.id, v_type.name, CASE WHEN u.id IS NULL THEN NULL ELSE u.v END, r.name
    FROM unnest(v_ids, v_values) WITH ORDINALITY AS u(id, v, ord)
    LEFT JOIN calib.dataset AS d ON d.dataset_id = u.id
    LEFT JOIN calib.collection AS r ON r.collection_id = d.run_id
    ORDER BY u.ord;
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
SELECT '0014'::text
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
-- Undo revision 0015 on PostgreSQL (source of versions/0015_twins_and_speed.postgresql.down.sql).
-- freeze.py puts back what 0015 changed as 0014 had it and drops what it created.
