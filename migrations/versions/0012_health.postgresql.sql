-- FROZEN upgrade of revision 0012, written by migrations/freeze.py from sources/0012_health.postgresql.sql.
-- Never edit by hand.
-- Revision 0012 (0011 -> 0012) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0012_health.postgresql.sql (issue 15, item 4). Health: calib.check_integrity()
-- re-verifies every invariant from the tables, calib.collection_stats() counts per
-- collection, calib._revision() names the revision check_integrity expects; every public
-- function gets a COMMENT generated from its header (schema/comments.sql, written by
-- migrations/comments.py). A function's header is part of its definition: the functions
-- whose headers now follow the convention (Arguments: / Returns: / Locks: / Errors: lines,
-- notes after a blank line) are re-created with no other change. Both new functions are
-- granted to calib_reader and calib_writer. No table or row changes. SQLite: only the version moves (its check and statistics are
-- statements the backend runs, sql/sqlite/functions/).
CREATE OR REPLACE FUNCTION calib._revision()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
/* The schema revision these functions belong to: calib.check_integrity compares it with
   calib.alembic_version. Every later revision re-creates this function with its own number
   (tests/test_health.py fails when an installed database answers another revision than
   calibcert.schema.HEAD_REVISION). */
SELECT '0012'::text
$$;

CREATE OR REPLACE FUNCTION calib.check_integrity()
RETURNS TABLE ("check" text, detail jsonb)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
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
                    WHERE c1.type <> 'CHAINED')
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
$$;

CREATE OR REPLACE FUNCTION calib.collection_stats()
RETURNS TABLE (name text, type text, datasets bigint, tagged bigint, certifications bigint,
               calibration_keys bigint, open_ended bigint, earliest_begin timestamptz,
               latest_end timestamptz, children bigint)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
/* Statistics of every collection, by name: datasets (RUN: the datasets it holds), tagged
   (TAGGED: tag rows), certifications, calibration_keys (distinct data IDs certified) and
   open_ended (certifications without an end) of a CALIBRATION collection, its
   earliest_begin and latest_end (NULL when some certification is unbounded on that side,
   or when there is none), children (CHAINED: direct children). A count that does not
   apply to the collection's type is 0. Each table is read once, grouped by collection.
   Arguments: none.
   Returns: one row per collection, ordered by name.
   Locks: none; read-only, one snapshot, runs on a hot standby.
   Errors: none of its own.

   jit = off: JIT compilation costs more than the grouped scans it would speed up
   (as for calib.check_integrity; bench/health.py). */
/* A collection-state column (issue 15, item 3) goes after type, here and in the SQLite
   twin (sql/sqlite/functions/collection_stats.sql). */
SELECT c.name, c.type,
       coalesce(d.n, 0), coalesce(g.n, 0), coalesce(ce.n, 0), coalesce(ce.keys, 0),
       coalesce(ce.open_ended, 0),
       CASE WHEN ce.unbounded_begin = 0 THEN ce.earliest_begin END,
       CASE WHEN ce.open_ended = 0 THEN ce.latest_end END,
       coalesce(ch.n, 0)
FROM calib.collection AS c
LEFT JOIN (SELECT x.run_id, count(*) AS n FROM calib.dataset AS x GROUP BY x.run_id) AS d
       ON d.run_id = c.collection_id
LEFT JOIN (SELECT x.collection_id, count(*) AS n FROM calib.tag AS x
           GROUP BY x.collection_id) AS g
       ON g.collection_id = c.collection_id
LEFT JOIN (SELECT x.collection_id, count(*) AS n, count(DISTINCT x.data_id_key) AS keys,
                  count(*) FILTER (WHERE upper_inf(x.validity)) AS open_ended,
                  count(*) FILTER (WHERE lower_inf(x.validity)) AS unbounded_begin,
                  min(lower(x.validity)) AS earliest_begin,
                  max(upper(x.validity)) AS latest_end
           FROM calib.certification AS x GROUP BY x.collection_id) AS ce
       ON ce.collection_id = c.collection_id
LEFT JOIN (SELECT x.parent_id, count(*) AS n FROM calib.collection_chain AS x
           GROUP BY x.parent_id) AS ch
       ON ch.parent_id = c.collection_id
ORDER BY c.name
$$;

CREATE OR REPLACE FUNCTION calib.certifications(p_collection text, p_dataset_type text DEFAULT NULL)
RETURNS TABLE (collection text, dataset_id uuid, dataset_type text, data_id jsonb, run text, validity tstzrange)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Every certification in p_collection (through a chain: in every CALIBRATION member, in
   search order, each row naming the member it is stored in), optionally of one dataset
   type. Ordered by member, dataset type, data ID (interning order), begin.
   Errors: KC002 unknown collection, KC005 unknown dataset type.
   Locks: none; read-only. */
/* Check both names up front: in the query below the dataset-type check runs only for rows
   found, so an unknown type would pass silently on a collection without certifications. */
SELECT calib._collection(p_collection),
       CASE WHEN p_dataset_type IS NOT NULL THEN calib._dataset_type(p_dataset_type) END;
SELECT f.name, c.dataset_id, t.name, di.value, r.name, c.validity
FROM calib._flatten((calib._collection(p_collection)).collection_id) AS f
JOIN calib.certification AS c ON c.collection_id = f.collection_id
JOIN calib.dataset_type AS t ON t.dataset_type_id = c.dataset_type_id
JOIN calib.data_id AS di ON di.data_id_key = c.data_id_key
JOIN calib.dataset AS d ON d.dataset_id = c.dataset_id
JOIN calib.collection AS r ON r.collection_id = d.run_id
WHERE f.type = 'CALIBRATION'
  AND (p_dataset_type IS NULL
       OR c.dataset_type_id = (calib._dataset_type(p_dataset_type)).dataset_type_id)
ORDER BY f.ord, t.name, c.data_id_key, lower(c.validity) NULLS FIRST
$$;

CREATE OR REPLACE FUNCTION calib.decertify(
    p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Remove validity inside p_timespan from every certification of p_dataset_type in
   CALIBRATION collection p_collection (only those data IDs when p_data_ids is given):
   a certification fully covered is removed, one straddling an end is shortened, one
   containing the span is split in two. Set-based: one DELETE, one INSERT of the remaining
   pieces (range difference as multiranges). Returns the number of certifications touched;
   nothing matching is a no-op (0).
   Errors: KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009
   bad timespan, KC008 bad data ID.
   Locks: the collection row, FOR NO KEY UPDATE. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type, true);
    v_span tstzrange := calib._timespan(p_timespan);
    v_keys integer[] := calib._data_id_keys(v_type, p_data_ids);
    v_n integer;
BEGIN
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    WITH hit AS (
        DELETE FROM calib.certification AS c
        WHERE c.collection_id = v_coll.collection_id
          AND c.dataset_type_id = v_type.dataset_type_id
          AND c.validity && v_span
          AND (v_keys IS NULL OR c.data_id_key = ANY (v_keys))
        RETURNING c.collection_id, c.dataset_type_id, c.data_id_key, c.dataset_id, c.validity
    ), pieces AS (
        INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
        SELECT hit.collection_id, hit.dataset_type_id, hit.data_id_key, hit.dataset_id, piece
        FROM hit, unnest(tstzmultirange(hit.validity) - tstzmultirange(v_span)) AS piece
    )
    SELECT count(*) INTO v_n FROM hit;
    RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION calib.decertify(
    p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* decertify with the data IDs as one JSON array document (NULL or JSON null: all); same
   results and errors, KC016 for a document that is not an array. No default for
   p_data_ids: a three-argument call must keep reaching the typed form. */
SELECT calib.decertify(p_collection, p_dataset_type, p_timespan,
                       calib._data_ids(p_data_ids, 'data_ids'))
$$;

CREATE OR REPLACE FUNCTION calib.decertify(
    p_collection text, p_dataset_type text, p_timespan text, p_data_ids text DEFAULT NULL)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* decertify with every argument as text: the timespan a range of ISO 8601 instants with a
   UTC offset (calib._parse_timespan), the data IDs a JSON array or a PostgreSQL array
   literal (calib._document). */
SELECT calib.decertify(
    p_collection, p_dataset_type, calib._parse_timespan(p_timespan, 'timespan'),
    calib._data_ids(calib._document(p_data_ids, 'data_ids', true), 'data_ids'))
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamptz)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The dataset of p_dataset_type with data ID p_data_id found by searching p_collection
   (chains flattened, in order) at instant p_at: the first member with any match decides;
   CALIBRATION members match certifications whose timespan contains p_at. NULL p_at skips
   CALIBRATION members. No row when nothing matches.
   Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002,
   KC005, KC008.
   Locks: none; read-only (STABLE), runs on a hot standby.

   PL/pgSQL rather than SQL only so that the statement's plan is cached per session (a
   SECURITY DEFINER SQL function is planned again on every call). */
DECLARE
    v record;
BEGIN
    v := calib._lookup_one(p_collection, p_dataset_type, p_data_id,
                           CASE WHEN p_at IS NULL THEN NULL ELSE tstzrange(p_at, p_at, '[]') END);
    IF v.dataset_id IS NOT NULL THEN
        dataset_id := v.dataset_id;
        dataset_type := v.dataset_type;
        data_id := v.data_id;
        run := v.run;
        RETURN NEXT;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_timespan tstzrange)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* As find(..., timestamptz), matching certifications that overlap p_timespan ([) bounds,
   validated; NULL skips CALIBRATION members). */
DECLARE
    v record;
BEGIN
    v := calib._lookup_one(p_collection, p_dataset_type, p_data_id,
                           CASE WHEN p_timespan IS NULL THEN NULL ELSE calib._timespan(p_timespan) END);
    IF v.dataset_id IS NOT NULL THEN
        dataset_id := v.dataset_id;
        dataset_type := v.dataset_type;
        data_id := v.data_id;
        run := v.run;
        RETURN NEXT;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id text, p_at text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find with every argument as text, the form untyped literals and drivers binding text
   reach (with two typed forms for p_at, an untyped call would be "not unique"): the data ID
   as JSON text (calib._json_text), p_at an instant, or a timespan when it starts with '['
   or '(' (or is 'empty'), read strictly by calibcert (calib._parse_instant /
   calib._parse_timespan: a time without a UTC offset is KC009). Then exactly the typed
   find. */
BEGIN
    RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type,
                                          calib._json_text(p_data_id, 'data_id'), p_at);
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find with a typed data ID and p_at as text (an untyped time next to a jsonb data ID):
   an instant, or a timespan when it starts with '[' or '(' (or is 'empty'), read strictly
   (calib._parse_instant / calib._parse_timespan). Then exactly the typed find. */
BEGIN
    IF left(ltrim(p_at, E' \t\r\n'), 1) IN ('[', '(') OR lower(btrim(p_at)) = 'empty' THEN
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id,
                                              calib._parse_timespan(p_at, 'timespan'));
    ELSE
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id,
                                              calib._parse_instant(p_at, 'at'));
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_at timestamptz[])
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find for many (data ID, instant) pairs in one call: one row per pair, in input order
   (ord = 1-based position), NULL dataset where nothing matched. A NULL instant skips
   CALIBRATION members for that pair.
   Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different
   lengths.
   Locks: none; read-only (STABLE), runs on a hot standby. */
SELECT l.ord, l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, p_data_ids,
                   ARRAY(SELECT CASE WHEN t IS NULL THEN NULL ELSE tstzrange(t, t, '[]') END
                         FROM unnest(p_at) WITH ORDINALITY AS u(t, o) ORDER BY o)) AS l
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_timespans tstzrange[])
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* As find_many(..., timestamptz[]) with a timespan per pair. A timespan that is a single
   instant written [t,t] is accepted as that instant (the Python client sends mixed
   instants and timespans this way); every other span must have [) bounds. */
SELECT l.ord, l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, p_data_ids,
                   ARRAY(SELECT CASE WHEN s IS NULL THEN NULL
                                     WHEN lower_inc(s) AND upper_inc(s) AND lower(s) = upper(s) THEN s
                                     ELSE calib._timespan(s) END
                         FROM unnest(p_timespans) WITH ORDINALITY AS u(s, o) ORDER BY o)) AS l
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb, p_at jsonb)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find_many with the data IDs and the times as JSON array documents: the times are ISO 8601
   instants with a UTC offset, or (when one of them starts with '[' or '(') all timespans
   as range strings; null for no time. Same results and errors as the typed forms; KC016 for
   a document that is not such an array, KC009 for a time without an offset. */
DECLARE
    v_spans boolean;
BEGIN
    v_spans := EXISTS (
        SELECT FROM jsonb_array_elements(calib._document_array(p_at, 'at')) AS u(e)
        WHERE jsonb_typeof(u.e) = 'string' AND left(ltrim(u.e #>> '{}'), 1) IN ('[', '('));
    IF v_spans THEN
        RETURN QUERY SELECT * FROM calib.find_many(p_collection, p_dataset_type,
            calib._data_ids(p_data_ids, 'data_ids'), calib._timespans(p_at, 'at'));
    ELSE
        RETURN QUERY SELECT * FROM calib.find_many(p_collection, p_dataset_type,
            calib._data_ids(p_data_ids, 'data_ids'), calib._instants(p_at, 'at'));
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids text, p_at text)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find_many with every argument as text: data IDs and times as JSON arrays or PostgreSQL
   array literals (calib._document), then as find_many(text, text, jsonb, jsonb). */
SELECT * FROM calib.find_many(p_collection, p_dataset_type,
                              calib._document(p_data_ids, 'data_ids', true),
                              calib._document(p_at, 'at', false))
$$;

CREATE OR REPLACE FUNCTION calib.get_chain(p_parent text)
RETURNS text[]
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The direct children of CHAINED collection p_parent, in order.
   Errors: KC002 unknown collection, KC003 not CHAINED.
   Locks: none. Read-only. */
SELECT coalesce(array_agg(c.name ORDER BY ch.position), ARRAY[]::text[])
FROM calib.collection_chain AS ch
JOIN calib.collection AS c ON c.collection_id = ch.child_id
WHERE ch.parent_id = (calib._collection(p_parent, ARRAY['CHAINED'])).collection_id
$$;

CREATE OR REPLACE FUNCTION calib.get_datasets(p_ids uuid[])
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The datasets with the given ids, in input order.
   Errors: KC007 unknown id, KC015 NULL.
   Locks: none; read-only. */
BEGIN
    IF calib._resolve_datasets(p_ids) IS NULL THEN END IF;
    RETURN QUERY
    SELECT d.dataset_id, t.name, di.value, r.name
    FROM unnest(p_ids) WITH ORDINALITY AS u(id, ord)
    JOIN calib.dataset AS d ON d.dataset_id = u.id
    JOIN calib.dataset_type AS t ON t.dataset_type_id = d.dataset_type_id
    JOIN calib.data_id AS di ON di.data_id_key = d.data_id_key
    JOIN calib.collection AS r ON r.collection_id = d.run_id
    ORDER BY u.ord;
END
$$;

CREATE OR REPLACE FUNCTION calib.get_datasets(p_ids jsonb)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* get_datasets with the ids as one JSON array document of UUID strings (calib._uuids). */
SELECT * FROM calib.get_datasets(calib._uuids(p_ids, 'ids'))
$$;

CREATE OR REPLACE FUNCTION calib.get_datasets(p_ids text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* get_datasets with the ids as text: a JSON array or a PostgreSQL array literal. */
SELECT * FROM calib.get_datasets(calib._uuids(calib._document(p_ids, 'ids', false), 'ids'))
$$;

CREATE OR REPLACE FUNCTION calib.list_collections(p_type text DEFAULT NULL)
RETURNS TABLE (name text, type text, doc text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Every collection (optionally of one type: RUN, TAGGED, CALIBRATION or CHAINED, any
   case), by name.
   Locks: none; read-only.
   Errors: none of its own. */
SELECT c.name, c.type, c.doc
FROM calib.collection AS c
WHERE p_type IS NULL OR c.type = upper(p_type)
ORDER BY c.name
$$;

CREATE OR REPLACE FUNCTION calib.list_dataset_types()
RETURNS TABLE (name text, dimensions text[], is_calibration boolean)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Every dataset type, by name.
   Locks: none; read-only.
   Errors: none of its own. */
SELECT t.name, t.dimensions, t.is_calibration FROM calib.dataset_type AS t ORDER BY t.name
$$;

CREATE OR REPLACE FUNCTION calib.probe(p_collection_id integer, p_data_id_key integer, p_span tstzrange)
RETURNS TABLE (member_id integer, dataset_id uuid, ambiguous boolean)
LANGUAGE sql STABLE
AS $$
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
   Per member one probe of each kind, gated by the stored member_type; ARRAY(... LIMIT 2)
   is computed once per member (OFFSET 0 keeps the planner from copying it into each use). */
SELECT m.member_id, x.ids[1], x.ids[2] IS NOT NULL
FROM calib.search_path AS m
CROSS JOIN LATERAL (
    SELECT ARRAY(
        SELECT c.dataset_id FROM calib.certification AS c
        WHERE m.member_type OPERATOR(pg_catalog.=) 'CALIBRATION' AND p_span IS NOT NULL
          AND c.collection_id OPERATOR(pg_catalog.=) m.member_id
          AND c.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
          AND c.validity OPERATOR(pg_catalog.&&) p_span
        UNION ALL
        SELECT d.dataset_id FROM calib.dataset AS d
        WHERE m.member_type OPERATOR(pg_catalog.=) 'RUN'
          AND d.run_id OPERATOR(pg_catalog.=) m.member_id
          AND d.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
        UNION ALL
        SELECT t.dataset_id FROM calib.tag AS t
        WHERE m.member_type OPERATOR(pg_catalog.=) 'TAGGED'
          AND t.collection_id OPERATOR(pg_catalog.=) m.member_id
          AND t.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
        LIMIT 2) AS ids
    OFFSET 0) AS x
WHERE m.collection_id OPERATOR(pg_catalog.=) p_collection_id AND x.ids[1] IS NOT NULL
ORDER BY m.rank
LIMIT 1
$$;

CREATE OR REPLACE FUNCTION calib.query_datasets(p_collection text, p_dataset_type text, p_where jsonb DEFAULT NULL)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The datasets of p_dataset_type visible in a RUN, TAGGED or CHAINED collection without a
   time: for each data ID the first RUN / TAGGED member holding it decides (as find with no
   time); CALIBRATION members are skipped. p_where narrows by data-ID values (jsonb
   containment, e.g. '{"detector": 3}'). Ordered by data ID (interning order). This is how
   "certify all biases in this run" picks its datasets.
   Errors: KC002, KC003 (a CALIBRATION collection itself), KC005, KC008 (p_where: a bad
   value, or one of the other type than its dimension's; calib._canonical_where).
   Locks: none; read-only. */
/* Check both names up front: below, the planner may never evaluate the CTE that calls
   _collection (nothing to join with), and an unknown collection would pass silently. */
SELECT calib._collection(p_collection, ARRAY['RUN', 'TAGGED', 'CHAINED']),
       calib._canonical_where(calib._dataset_type(p_dataset_type), p_where);
WITH chain AS (
    SELECT f.* FROM calib._flatten(
        (calib._collection(p_collection, ARRAY['RUN', 'TAGGED', 'CHAINED'])).collection_id) AS f
), ty AS (
    SELECT * FROM calib._dataset_type(p_dataset_type)
), w AS (
    SELECT calib._canonical_where(calib._dataset_type(p_dataset_type), p_where) AS v
), m AS (
    SELECT ch.ord, d.dataset_id, d.data_id_key
    FROM chain AS ch JOIN calib.dataset AS d ON d.run_id = ch.collection_id
    WHERE ch.type = 'RUN' AND d.dataset_type_id = (SELECT dataset_type_id FROM ty)
    UNION ALL
    SELECT ch.ord, t.dataset_id, t.data_id_key
    FROM chain AS ch JOIN calib.tag AS t ON t.collection_id = ch.collection_id
    WHERE ch.type = 'TAGGED' AND t.dataset_type_id = (SELECT dataset_type_id FROM ty)
), firsts AS (
    SELECT DISTINCT ON (m.data_id_key) m.dataset_id, m.data_id_key FROM m ORDER BY m.data_id_key, m.ord
)
SELECT f.dataset_id, (SELECT name FROM ty), di.value, r.name
FROM firsts AS f
JOIN calib.data_id AS di ON di.data_id_key = f.data_id_key
JOIN calib.dataset AS d ON d.dataset_id = f.dataset_id
JOIN calib.collection AS r ON r.collection_id = d.run_id
WHERE p_where IS NULL OR di.value @> (SELECT v FROM w)
ORDER BY f.data_id_key
$$;

CREATE OR REPLACE FUNCTION calib.query_datasets(p_collection text, p_dataset_type text, p_where text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* query_datasets with the where clause as JSON text (a driver binding text): parsed by
   calib._json_text (KC016 if it is not JSON). No default: a two-argument call keeps
   reaching the typed form. */
SELECT * FROM calib.query_datasets(p_collection, p_dataset_type, calib._json_text(p_where, 'where'))
$$;

CREATE OR REPLACE FUNCTION calib.register_dataset_type(
    p_name text, p_dimensions text[], p_is_calibration boolean DEFAULT true)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Register a dataset type: its data IDs have exactly the keys p_dimensions (ordered,
   distinct names). Returns true if created, false if the same definition existed.
   Names are stored in Unicode NFC; at most 32 dimensions (with the 2000-byte limit of a
   data ID, no data ID can outgrow a btree entry).
   Errors: KC014 bad name, KC015 NULL / repeated dimension / more than 32, KC010 exists with another
   definition.
   Locks: none beyond the unique index. */
DECLARE
    v_existing calib.dataset_type;
    v_dim text;
BEGIN
    /* Names are stored in NFC (calib._check_name), the dimension names too. */
    p_name := normalize(p_name, NFC);
    p_dimensions := CASE WHEN p_dimensions IS NOT NULL THEN ARRAY(SELECT normalize(u.d, NFC)
                          FROM unnest(p_dimensions) WITH ORDINALITY AS u(d, ord) ORDER BY u.ord) END;
    IF calib._check_name(p_name, 'dataset type name') IS NULL THEN END IF;
    IF p_dimensions IS NULL OR p_is_calibration IS NULL THEN
        IF calib._raise('KC015', 'dimensions and is_calibration must not be NULL',
                             jsonb_build_object('kind', 'dataset_type_definition_null',
                                                'dataset_type', p_name)) IS NULL THEN END IF;
    END IF;
    FOREACH v_dim IN ARRAY p_dimensions LOOP
        IF calib._check_name(v_dim, 'dimension name') IS NULL THEN END IF;
    END LOOP;
    IF cardinality(p_dimensions) <> (SELECT count(DISTINCT d) FROM unnest(p_dimensions) AS d) THEN
        IF calib._raise('KC015',
            format('dimensions of dataset type %L repeat a name: %s', p_name, p_dimensions),
            jsonb_build_object('kind', 'dimensions_repeated', 'dataset_type', p_name,
                               'dimensions', to_jsonb(p_dimensions))) IS NULL THEN END IF;
    END IF;
    IF cardinality(p_dimensions) > 32 THEN
        IF calib._raise('KC015',
            format('dataset type %L has %s dimensions; at most 32 are allowed', p_name,
                   cardinality(p_dimensions)),
            jsonb_build_object('kind', 'dimensions_count', 'dataset_type', p_name,
                               'count', cardinality(p_dimensions))) IS NULL THEN END IF;
    END IF;
    INSERT INTO calib.dataset_type (name, dimensions, is_calibration)
    VALUES (p_name, p_dimensions, p_is_calibration)
    ON CONFLICT ON CONSTRAINT dataset_type_name_key DO NOTHING;
    IF FOUND THEN
        RETURN true;
    END IF;
    SELECT * INTO v_existing FROM calib.dataset_type WHERE name = p_name;
    IF v_existing.dimensions <> p_dimensions OR v_existing.is_calibration <> p_is_calibration THEN
        IF calib._raise('KC010',
            format('dataset type %L already exists with dimensions %s, is_calibration=%s',
                   p_name, v_existing.dimensions, v_existing.is_calibration),
            jsonb_build_object('kind', 'dataset_type_exists_as', 'dataset_type', p_name,
                               'dimensions', to_jsonb(v_existing.dimensions),
                               'is_calibration', v_existing.is_calibration)) IS NULL THEN END IF;
    END IF;
    RETURN false;
END
$$;

CREATE OR REPLACE FUNCTION calib.register_dataset_type(
    p_name text, p_dimensions jsonb, p_is_calibration boolean DEFAULT true)
RETURNS boolean
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* register_dataset_type with the dimensions as one JSON array document of names
   ('["instrument", "detector"]', calib._names). */
SELECT calib.register_dataset_type(p_name, calib._names(p_dimensions, 'dimensions'),
                                   p_is_calibration)
$$;

CREATE OR REPLACE FUNCTION calib.register_dataset_type(
    p_name text, p_dimensions text, p_is_calibration text DEFAULT 'true')
RETURNS boolean
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* register_dataset_type with every argument as text: the dimensions a JSON array or a
   PostgreSQL array literal, is_calibration a boolean's text. */
SELECT calib.register_dataset_type(
    p_name, calib._names(calib._document(p_dimensions, 'dimensions', false), 'dimensions'),
    calib._parse_boolean(p_is_calibration, 'is_calibration'))
$$;

-- Generated by migrations/comments.py from the headers in sql/functions/ (do not
-- edit: edit the header, then run python migrations/comments.py). One COMMENT
-- per public function overload: purpose, arguments, returns, locks, errors.
-- CREATE OR REPLACE keeps a function's comment; a revision that changes a
-- header runs this file again.
COMMENT ON FUNCTION calib.certifications(text, text) IS
    'Every certification in p_collection (through a chain: in every CALIBRATION member, in search order, each row naming the member it is stored in), optionally of one dataset type. Ordered by member, dataset type, data ID (interning order), begin.
Arguments: p_collection text, p_dataset_type text DEFAULT NULL
Locks: none; read-only.
Errors: KC002 unknown collection, KC005 unknown dataset type.';
COMMENT ON FUNCTION calib.certify(text, uuid[], tstzrange, boolean) IS
    'Certify each dataset of p_datasets into CALIBRATION collection p_collection over p_timespan ([) bounds; +-infinity or a missing bound = unbounded). All or nothing: any overlap with a stored certification of the same calibration key (collection, dataset type, data ID), or between two datasets of this call, stores nothing. p_close_open: a stored certification of the same key with an unbounded end that begins before the new begin is first closed at the new begin; every other overlap still fails. Returns the number of certifications stored.
Arguments: p_collection text, p_datasets uuid[], p_timespan tstzrange, p_close_open boolean DEFAULT false
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC002/KC003 collection unknown or not CALIBRATION, KC009 bad timespan, KC007 unknown dataset, KC006 non-calibration type, KC001 conflict (detail lists every conflict), 55P03 lock timeout.';
COMMENT ON FUNCTION calib.certify(text, jsonb, tstzrange, boolean) IS
    'certify with the datasets as one JSON array document of UUID strings (''["<uuid>", ...]''); the same results and errors, plus KC016 for a document that is not such an array (calib._uuids).
Arguments: p_collection text, p_datasets jsonb, p_timespan tstzrange, p_close_open boolean DEFAULT false
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC002/KC003 collection unknown or not CALIBRATION, KC009 bad timespan, KC007 unknown dataset, KC006 non-calibration type, KC001 conflict (detail lists every conflict), 55P03 lock timeout.';
COMMENT ON FUNCTION calib.certify(text, text, text, text) IS
    'certify with every argument as text, the form that untyped literals and drivers binding text reach: datasets a JSON array or a PostgreSQL array literal (calib._document), the timespan a range of ISO 8601 instants with a UTC offset (calib._parse_timespan: a time without one is KC009), close_open a boolean''s text.
Arguments: p_collection text, p_datasets text, p_timespan text, p_close_open text DEFAULT ''false''
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC002/KC003 collection unknown or not CALIBRATION, KC009 bad timespan, KC007 unknown dataset, KC006 non-calibration type, KC001 conflict (detail lists every conflict), 55P03 lock timeout.';
COMMENT ON FUNCTION calib.certify_series(text, uuid[], timestamptz[], boolean) IS
    'Certify a series given by begins only: item i is (p_datasets[i], p_begins[i]); each item''s end is the next begin of the same calibration key, the last one is unbounded. A NULL or -infinity begin means unbounded below. Then exactly as calib.certify. Returns the number of certifications stored.
Arguments: p_collection text, p_datasets uuid[], p_begins timestamptz[], p_close_open boolean DEFAULT false
Locks: the collection row, FOR NO KEY UPDATE.
Errors: as certify; KC001 also for two items of one key with the same begin; KC015 arrays of different lengths; KC009 a begin of +infinity.';
COMMENT ON FUNCTION calib.certify_series(text, jsonb, jsonb, boolean) IS
    'certify_series with datasets and begins as JSON array documents: UUID strings, and ISO 8601 instants with a UTC offset (calib._uuids, calib._instants). Same results and errors; KC016 for a document that is not such an array, KC009 for a time without an offset.
Arguments: p_collection text, p_datasets jsonb, p_begins jsonb, p_close_open boolean DEFAULT false
Locks: the collection row, FOR NO KEY UPDATE.
Errors: as certify; KC001 also for two items of one key with the same begin; KC015 arrays of different lengths; KC009 a begin of +infinity.';
COMMENT ON FUNCTION calib.certify_series(text, text, text, text) IS
    'certify_series with every argument as text: datasets and begins as JSON arrays or PostgreSQL array literals (calib._document), close_open a boolean''s text.
Arguments: p_collection text, p_datasets text, p_begins text, p_close_open text DEFAULT ''false''
Locks: the collection row, FOR NO KEY UPDATE.
Errors: as certify; KC001 also for two items of one key with the same begin; KC015 arrays of different lengths; KC009 a begin of +infinity.';
COMMENT ON FUNCTION calib.check_integrity() IS
    'Re-verifies every invariant of calibcert from the tables themselves, trusting no constraint or trigger (a superuser can drop or bypass those): one row per violation, no row when the database is healthy. Check names and detail keys: README "Integrity check and statistics"; the SQLite twin (sql/sqlite/functions/check_integrity.sql) reports the same checks under the same names. Set-based (one pass per check, no per-row loop), so it stays fast on a large database.
Arguments: none.
Returns: rows (check, detail), ordered by check, then detail.
Locks: none; read-only, one snapshot (STABLE), runs on a hot standby.
Errors: none of its own.';
COMMENT ON FUNCTION calib.close_open_range(text, text, timestamptz, jsonb[]) IS
    'Give every certification of p_dataset_type in p_collection whose end is unbounded (only those data IDs when p_data_ids is given) the end p_end. Returns how many were closed.
Arguments: p_collection text, p_dataset_type text, p_end timestamptz, p_data_ids jsonb[] DEFAULT NULL
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC009 if one of them begins at or after p_end (nothing is changed) or p_end is NULL / infinite; KC002/KC003/KC005/KC006/KC008 as decertify.';
COMMENT ON FUNCTION calib.close_open_range(text, text, timestamptz, jsonb) IS
    'close_open_range with the data IDs as one JSON array document (NULL or JSON null: all); same results and errors, KC016 for a document that is not an array. No default for p_data_ids: a three-argument call must keep reaching the typed form.
Arguments: p_collection text, p_dataset_type text, p_end timestamptz, p_data_ids jsonb
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC009 if one of them begins at or after p_end (nothing is changed) or p_end is NULL / infinite; KC002/KC003/KC005/KC006/KC008 as decertify.';
COMMENT ON FUNCTION calib.close_open_range(text, text, text, text) IS
    'close_open_range with every argument as text: the end an ISO 8601 instant with a UTC offset (calib._parse_instant), the data IDs a JSON array or a PostgreSQL array literal.
Arguments: p_collection text, p_dataset_type text, p_end text, p_data_ids text DEFAULT NULL
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC009 if one of them begins at or after p_end (nothing is changed) or p_end is NULL / infinite; KC002/KC003/KC005/KC006/KC008 as decertify.';
COMMENT ON FUNCTION calib.collection_stats() IS
    'Statistics of every collection, by name: datasets (RUN: the datasets it holds), tagged (TAGGED: tag rows), certifications, calibration_keys (distinct data IDs certified) and open_ended (certifications without an end) of a CALIBRATION collection, its earliest_begin and latest_end (NULL when some certification is unbounded on that side, or when there is none), children (CHAINED: direct children). A count that does not apply to the collection''s type is 0. Each table is read once, grouped by collection.
Arguments: none.
Returns: one row per collection, ordered by name.
Locks: none; read-only, one snapshot, runs on a hot standby.
Errors: none of its own.';
COMMENT ON FUNCTION calib.copy_collection(text, text, text) IS
    'Create p_destination with the type of p_source and all its associations: certifications with their timespans (CALIBRATION), tags (TAGGED) or chain children (CHAINED). Set-based: one INSERT ... SELECT. p_doc defaults to the source''s doc.
Arguments: p_source text, p_destination text, p_doc text DEFAULT NULL
Locks: for a chain, calib._lock_chains(); the source row FOR SHARE (waits for writers in flight, then copies their complete result); the new row is invisible until commit.
Errors: KC002 unknown source, KC003 source is a RUN, KC010 destination exists, KC014 bad destination name.';
COMMENT ON FUNCTION calib.decertify(text, text, tstzrange, jsonb[]) IS
    'Remove validity inside p_timespan from every certification of p_dataset_type in CALIBRATION collection p_collection (only those data IDs when p_data_ids is given): a certification fully covered is removed, one straddling an end is shortened, one containing the span is split in two. Set-based: one DELETE, one INSERT of the remaining pieces (range difference as multiranges). Returns the number of certifications touched; nothing matching is a no-op (0).
Arguments: p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb[] DEFAULT NULL
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009 bad timespan, KC008 bad data ID.';
COMMENT ON FUNCTION calib.decertify(text, text, tstzrange, jsonb) IS
    'decertify with the data IDs as one JSON array document (NULL or JSON null: all); same results and errors, KC016 for a document that is not an array. No default for p_data_ids: a three-argument call must keep reaching the typed form.
Arguments: p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009 bad timespan, KC008 bad data ID.';
COMMENT ON FUNCTION calib.decertify(text, text, text, text) IS
    'decertify with every argument as text: the timespan a range of ISO 8601 instants with a UTC offset (calib._parse_timespan), the data IDs a JSON array or a PostgreSQL array literal (calib._document).
Arguments: p_collection text, p_dataset_type text, p_timespan text, p_data_ids text DEFAULT NULL
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009 bad timespan, KC008 bad data ID.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, timestamptz) IS
    'The dataset of p_dataset_type with data ID p_data_id found by searching p_collection (chains flattened, in order) at instant p_at: the first member with any match decides; CALIBRATION members match certifications whose timespan contains p_at. NULL p_at skips CALIBRATION members. No row when nothing matches.
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamptz
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, tstzrange) IS
    'As find(..., timestamptz), matching certifications that overlap p_timespan ([) bounds, validated; NULL skips CALIBRATION members).
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_timespan tstzrange
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, text, text) IS
    'find with every argument as text, the form untyped literals and drivers binding text reach (with two typed forms for p_at, an untyped call would be "not unique"): the data ID as JSON text (calib._json_text), p_at an instant, or a timespan when it starts with ''['' or ''('' (or is ''empty''), read strictly by calibcert (calib._parse_instant / calib._parse_timespan: a time without a UTC offset is KC009). Then exactly the typed find.
Arguments: p_collection text, p_dataset_type text, p_data_id text, p_at text
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, text) IS
    'find with a typed data ID and p_at as text (an untyped time next to a jsonb data ID): an instant, or a timespan when it starts with ''['' or ''('' (or is ''empty''), read strictly (calib._parse_instant / calib._parse_timespan). Then exactly the typed find.
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_at text
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find_many(text, text, jsonb[], timestamptz[]) IS
    'find for many (data ID, instant) pairs in one call: one row per pair, in input order (ord = 1-based position), NULL dataset where nothing matched. A NULL instant skips CALIBRATION members for that pair.
Arguments: p_collection text, p_dataset_type text, p_data_ids jsonb[], p_at timestamptz[]
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different lengths.';
COMMENT ON FUNCTION calib.find_many(text, text, jsonb[], tstzrange[]) IS
    'As find_many(..., timestamptz[]) with a timespan per pair. A timespan that is a single instant written [t,t] is accepted as that instant (the Python client sends mixed instants and timespans this way); every other span must have [) bounds.
Arguments: p_collection text, p_dataset_type text, p_data_ids jsonb[], p_timespans tstzrange[]
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different lengths.';
COMMENT ON FUNCTION calib.find_many(text, text, jsonb, jsonb) IS
    'find_many with the data IDs and the times as JSON array documents: the times are ISO 8601 instants with a UTC offset, or (when one of them starts with ''['' or ''('') all timespans as range strings; null for no time. Same results and errors as the typed forms; KC016 for a document that is not such an array, KC009 for a time without an offset.
Arguments: p_collection text, p_dataset_type text, p_data_ids jsonb, p_at jsonb
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different lengths.';
COMMENT ON FUNCTION calib.find_many(text, text, text, text) IS
    'find_many with every argument as text: data IDs and times as JSON arrays or PostgreSQL array literals (calib._document), then as find_many(text, text, jsonb, jsonb).
Arguments: p_collection text, p_dataset_type text, p_data_ids text, p_at text
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different lengths.';
COMMENT ON FUNCTION calib.get_chain(text) IS
    'The direct children of CHAINED collection p_parent, in order.
Arguments: p_parent text
Locks: none. Read-only.
Errors: KC002 unknown collection, KC003 not CHAINED.';
COMMENT ON FUNCTION calib.get_datasets(uuid[]) IS
    'The datasets with the given ids, in input order.
Arguments: p_ids uuid[]
Locks: none; read-only.
Errors: KC007 unknown id, KC015 NULL.';
COMMENT ON FUNCTION calib.get_datasets(jsonb) IS
    'get_datasets with the ids as one JSON array document of UUID strings (calib._uuids).
Arguments: p_ids jsonb
Locks: none; read-only.
Errors: KC007 unknown id, KC015 NULL.';
COMMENT ON FUNCTION calib.get_datasets(text) IS
    'get_datasets with the ids as text: a JSON array or a PostgreSQL array literal.
Arguments: p_ids text
Locks: none; read-only.
Errors: KC007 unknown id, KC015 NULL.';
COMMENT ON FUNCTION calib.insert_datasets(text, text, jsonb[], uuid[]) IS
    'Create one dataset per data ID in RUN collection p_run; returns (id, canonical data ID) in input order. p_ids brings the caller''s own UUIDs (same length); otherwise random UUIDs are generated. Set-based: data IDs are interned and datasets inserted with one statement each. A dimension used for the first time gets the value type of its first value here.
Arguments: p_dataset_type text, p_run text, p_data_ids jsonb[], p_ids uuid[] DEFAULT NULL
Locks: the run''s collection row (calib._lock_collections).
Errors: KC002/KC003 run unknown or not a RUN, KC005 unknown type, KC008 bad data ID (calib._canonical_data_ids: also a value of the other type than its dimension''s), KC010 a data ID repeated in the call or already in the run, or an id already used, KC015 NULLs / p_ids of another length.';
COMMENT ON FUNCTION calib.insert_datasets(text, text, jsonb, jsonb) IS
    'insert_datasets with the data IDs and the ids as JSON array documents (''[{"instrument": "Cam", "detector": 1}]'', ''["<uuid>"]''); same results and errors, KC016 for a document that is not such an array.
Arguments: p_dataset_type text, p_run text, p_data_ids jsonb, p_ids jsonb DEFAULT NULL
Locks: the run''s collection row (calib._lock_collections).
Errors: KC002/KC003 run unknown or not a RUN, KC005 unknown type, KC008 bad data ID (calib._canonical_data_ids: also a value of the other type than its dimension''s), KC010 a data ID repeated in the call or already in the run, or an id already used, KC015 NULLs / p_ids of another length.';
COMMENT ON FUNCTION calib.insert_datasets(text, text, text, text) IS
    'insert_datasets with every argument as text: data IDs and ids as JSON arrays or PostgreSQL array literals (calib._document).
Arguments: p_dataset_type text, p_run text, p_data_ids text, p_ids text DEFAULT NULL
Locks: the run''s collection row (calib._lock_collections).
Errors: KC002/KC003 run unknown or not a RUN, KC005 unknown type, KC008 bad data ID (calib._canonical_data_ids: also a value of the other type than its dimension''s), KC010 a data ID repeated in the call or already in the run, or an id already used, KC015 NULLs / p_ids of another length.';
COMMENT ON FUNCTION calib.list_collections(text) IS
    'Every collection (optionally of one type: RUN, TAGGED, CALIBRATION or CHAINED, any case), by name.
Arguments: p_type text DEFAULT NULL
Locks: none; read-only.
Errors: none of its own.';
COMMENT ON FUNCTION calib.list_dataset_types() IS
    'Every dataset type, by name.
Arguments: none.
Locks: none; read-only.
Errors: none of its own.';
COMMENT ON FUNCTION calib.probe(integer, integer, tstzrange) IS
    'The lookup rule, the one place it is written on PostgreSQL. The collection''s stored search path (calib.search_path: itself, or a chain''s members flattened) is searched in rank order and the first member with any match for the data ID key decides: RUN and TAGGED members match by data ID for all time, CALIBRATION members by certifications overlapping p_span (an instant t is the range [t,t]; a NULL span skips them). One row for the deciding member: its dataset, and ambiguous = it has more than one match (the caller raises KC011); no row when no member matches.
Arguments: p_collection_id and p_data_id_key internal ids (calib.collection, calib.data_id), p_span the time (NULL skips CALIBRATION members).
Locks: none; read-only.
Errors: none of its own (callers resolve names to ids first and raise).';
COMMENT ON FUNCTION calib.query_datasets(text, text, jsonb) IS
    'The datasets of p_dataset_type visible in a RUN, TAGGED or CHAINED collection without a time: for each data ID the first RUN / TAGGED member holding it decides (as find with no time); CALIBRATION members are skipped. p_where narrows by data-ID values (jsonb containment, e.g. ''{"detector": 3}''). Ordered by data ID (interning order). This is how "certify all biases in this run" picks its datasets.
Arguments: p_collection text, p_dataset_type text, p_where jsonb DEFAULT NULL
Locks: none; read-only.
Errors: KC002, KC003 (a CALIBRATION collection itself), KC005, KC008 (p_where: a bad value, or one of the other type than its dimension''s; calib._canonical_where).';
COMMENT ON FUNCTION calib.query_datasets(text, text, text) IS
    'query_datasets with the where clause as JSON text (a driver binding text): parsed by calib._json_text (KC016 if it is not JSON). No default: a two-argument call keeps reaching the typed form.
Arguments: p_collection text, p_dataset_type text, p_where text
Locks: none; read-only.
Errors: KC002, KC003 (a CALIBRATION collection itself), KC005, KC008 (p_where: a bad value, or one of the other type than its dimension''s; calib._canonical_where).';
COMMENT ON FUNCTION calib.register_collection(text, text, text) IS
    'Register a collection. p_type is RUN, TAGGED, CALIBRATION or CHAINED (any case). Returns true if it was created, false if it existed with the same type (a no-op; the stored doc is kept). Concurrent registrations of one name are safe (ON CONFLICT). The name is stored in Unicode NFC.
Arguments: p_name text, p_type text, p_doc text DEFAULT NULL
Locks: none beyond the unique index.
Errors: KC014 bad name, KC015 unknown type / NULL, KC010 exists with another type.';
COMMENT ON FUNCTION calib.register_dataset_type(text, text[], boolean) IS
    'Register a dataset type: its data IDs have exactly the keys p_dimensions (ordered, distinct names). Returns true if created, false if the same definition existed. Names are stored in Unicode NFC; at most 32 dimensions (with the 2000-byte limit of a data ID, no data ID can outgrow a btree entry).
Arguments: p_name text, p_dimensions text[], p_is_calibration boolean DEFAULT true
Locks: none beyond the unique index.
Errors: KC014 bad name, KC015 NULL / repeated dimension / more than 32, KC010 exists with another definition.';
COMMENT ON FUNCTION calib.register_dataset_type(text, jsonb, boolean) IS
    'register_dataset_type with the dimensions as one JSON array document of names (''["instrument", "detector"]'', calib._names).
Arguments: p_name text, p_dimensions jsonb, p_is_calibration boolean DEFAULT true
Locks: none beyond the unique index.
Errors: KC014 bad name, KC015 NULL / repeated dimension / more than 32, KC010 exists with another definition.';
COMMENT ON FUNCTION calib.register_dataset_type(text, text, text) IS
    'register_dataset_type with every argument as text: the dimensions a JSON array or a PostgreSQL array literal, is_calibration a boolean''s text.
Arguments: p_name text, p_dimensions text, p_is_calibration text DEFAULT ''true''
Locks: none beyond the unique index.
Errors: KC014 bad name, KC015 NULL / repeated dimension / more than 32, KC010 exists with another definition.';
COMMENT ON FUNCTION calib.remove_collection(text) IS
    'Remove a TAGGED, CALIBRATION or CHAINED collection with its associations (tags, certifications, chain children); its datasets stay in their RUNs. A RUN may be removed only while it holds no dataset.
Arguments: p_name text
Locks: calib._lock_chains(), then the collection row.
Errors: KC002 unknown, KC013 still a child of a chain / RUN with datasets.';
COMMENT ON FUNCTION calib.set_chain(text, text[]) IS
    'Replace the children of CHAINED collection p_parent, atomically, by p_children in order (a repeated child is kept at its first position only; an empty array empties the chain).
Arguments: p_parent text, p_children text[]
Locks: calib._lock_chains(), then the parent row (calib._lock_collections).
Errors: KC002 unknown parent or child, KC003 parent not CHAINED, KC004 a cycle (the parent itself, or a chain that already contains the parent), KC015 NULL.';
COMMENT ON FUNCTION calib.set_chain(text, jsonb) IS
    'set_chain with the children as one JSON array document of names (calib._names). PL/pgSQL, as the typed form, so that both return the same void value.
Arguments: p_parent text, p_children jsonb
Locks: calib._lock_chains(), then the parent row (calib._lock_collections).
Errors: KC002 unknown parent or child, KC003 parent not CHAINED, KC004 a cycle (the parent itself, or a chain that already contains the parent), KC015 NULL.';
COMMENT ON FUNCTION calib.set_chain(text, text) IS
    'set_chain with the children as text: a JSON array or a PostgreSQL array literal.
Arguments: p_parent text, p_children text
Locks: calib._lock_chains(), then the parent row (calib._lock_collections).
Errors: KC002 unknown parent or child, KC003 parent not CHAINED, KC004 a cycle (the parent itself, or a chain that already contains the parent), KC015 NULL.';
COMMENT ON FUNCTION calib.tag(text, uuid[]) IS
    'Add datasets to TAGGED collection p_collection. A TAGGED collection holds at most one dataset per (dataset type, data ID); tagging a dataset already there is a no-op. Returns the number of datasets newly tagged.
Arguments: p_collection text, p_datasets uuid[]
Locks: the collection row.
Errors: KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset, KC010 another dataset of the same type and data ID is tagged already (or in the same call).';
COMMENT ON FUNCTION calib.tag(text, jsonb) IS
    'tag with the datasets as one JSON array document of UUID strings (calib._uuids).
Arguments: p_collection text, p_datasets jsonb
Locks: the collection row.
Errors: KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset, KC010 another dataset of the same type and data ID is tagged already (or in the same call).';
COMMENT ON FUNCTION calib.tag(text, text) IS
    'tag with the datasets as text: a JSON array or a PostgreSQL array literal.
Arguments: p_collection text, p_datasets text
Locks: the collection row.
Errors: KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset, KC010 another dataset of the same type and data ID is tagged already (or in the same call).';
COMMENT ON FUNCTION calib.untag(text, uuid[]) IS
    'Remove datasets from TAGGED collection p_collection; datasets not tagged there are ignored. Returns the number removed.
Arguments: p_collection text, p_datasets uuid[]
Locks: the collection row.
Errors: KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset.';
COMMENT ON FUNCTION calib.untag(text, jsonb) IS
    'untag with the datasets as one JSON array document of UUID strings (calib._uuids).
Arguments: p_collection text, p_datasets jsonb
Locks: the collection row.
Errors: KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset.';
COMMENT ON FUNCTION calib.untag(text, text) IS
    'untag with the datasets as text: a JSON array or a PostgreSQL array literal.
Arguments: p_collection text, p_datasets text
Locks: the collection row.
Errors: KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset.';

/* Privileges. Functions run as their owner (SECURITY DEFINER, search_path pinned), so
   callers need EXECUTE, not table rights: every change goes through the functions (and so
   through their checks, locks and, later, the history ledger). calib_reader may look up
   and read the tables; calib_writer may also call the mutating functions. Private helpers
   (names starting with _) are not granted to anyone. Each JSON-document and all-text form
   of a function (README "Calling from another service") gets the grant of its typed form.
   PUBLIC gets nothing: schema/security.sql revokes what PostgreSQL gives it by default and
   hands every object to calib_owner. */
GRANT USAGE ON SCHEMA calib TO calib_reader, calib_writer;
GRANT SELECT ON ALL TABLES IN SCHEMA calib TO calib_reader, calib_writer;
GRANT EXECUTE ON FUNCTION
    calib.find(text, text, jsonb, timestamptz),
    calib.find(text, text, jsonb, tstzrange),
    calib.find(text, text, text, text),
    calib.find(text, text, jsonb, text),
    calib.find_many(text, text, jsonb[], timestamptz[]),
    calib.find_many(text, text, jsonb[], tstzrange[]),
    calib.find_many(text, text, jsonb, jsonb),
    calib.find_many(text, text, text, text),
    calib.certifications(text, text),
    calib.query_datasets(text, text, jsonb),
    calib.query_datasets(text, text, text),
    calib.get_datasets(uuid[]),
    calib.get_datasets(jsonb),
    calib.get_datasets(text),
    calib.get_chain(text),
    calib.list_collections(text),
    calib.list_dataset_types(),
    calib.probe(integer, integer, tstzrange)
TO calib_reader, calib_writer;
-- lead: reader (the health functions; the roles are being reshaped in parallel)
GRANT EXECUTE ON FUNCTION
    calib.check_integrity(),
    calib.collection_stats()
TO calib_reader, calib_writer;
GRANT EXECUTE ON FUNCTION
    calib.register_collection(text, text, text),
    calib.set_chain(text, text[]),
    calib.set_chain(text, jsonb),
    calib.set_chain(text, text),
    calib.remove_collection(text),
    calib.register_dataset_type(text, text[], boolean),
    calib.register_dataset_type(text, jsonb, boolean),
    calib.register_dataset_type(text, text, text),
    calib.insert_datasets(text, text, jsonb[], uuid[]),
    calib.insert_datasets(text, text, jsonb, jsonb),
    calib.insert_datasets(text, text, text, text),
    calib.tag(text, uuid[]),
    calib.tag(text, jsonb),
    calib.tag(text, text),
    calib.untag(text, uuid[]),
    calib.untag(text, jsonb),
    calib.untag(text, text),
    calib.certify(text, uuid[], tstzrange, boolean),
    calib.certify(text, jsonb, tstzrange, boolean),
    calib.certify(text, text, text, text),
    calib.certify_series(text, uuid[], timestamptz[], boolean),
    calib.certify_series(text, jsonb, jsonb, boolean),
    calib.certify_series(text, text, text, text),
    calib.decertify(text, text, tstzrange, jsonb[]),
    calib.decertify(text, text, tstzrange, jsonb),
    calib.decertify(text, text, text, text),
    calib.close_open_range(text, text, timestamptz, jsonb[]),
    calib.close_open_range(text, text, timestamptz, jsonb),
    calib.close_open_range(text, text, text, text),
    calib.copy_collection(text, text, text)
TO calib_writer;

/* Ownership and PUBLIC. Runs after every object and grant exists (install.sql), and again at
   the end of every revision that adds objects: each object in schema calib, the schema
   itself included, is handed to calib_owner (roles.sql), and PUBLIC keeps no right on any
   of them. Owner changes keep the grants already made (their grantor becomes calib_owner).
   The rules it follows are the PostgreSQL manual's "Writing SECURITY DEFINER Functions
   Safely"; every function also pins search_path = pg_catalog, pg_temp in its own file.
   The installing role must be able to hand objects over: a superuser, or a member of
   calib_owner. Checked first, so that a refused install says why. */
DO $$
DECLARE
    r record;
BEGIN
    IF NOT pg_catalog.pg_has_role(current_user, 'calib_owner', 'MEMBER') THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = pg_catalog.format('role %I cannot hand calibcert''s objects to calib_owner',
                                        current_user),
            HINT = pg_catalog.format('Install as a superuser, or first run (as a role with '
                'CREATEROLE): CREATE ROLE calib_owner NOLOGIN; GRANT calib_owner TO %I;',
                current_user);
    END IF;
    EXECUTE 'ALTER SCHEMA calib OWNER TO calib_owner';
    /* Tables, views, sequences not owned by a column (an identity sequence follows its
       table) and composite types of their own; then every function. */
    FOR r IN SELECT c.relname, c.relkind FROM pg_catalog.pg_class AS c
             WHERE c.relnamespace = 'calib'::regnamespace
               AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
               AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend AS d
                               WHERE d.classid = 'pg_catalog.pg_class'::regclass
                                 AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
             ORDER BY c.relname LOOP
        EXECUTE pg_catalog.format(
            CASE r.relkind WHEN 'S' THEN 'ALTER SEQUENCE calib.%I OWNER TO calib_owner'
                           WHEN 'v' THEN 'ALTER VIEW calib.%I OWNER TO calib_owner'
                           WHEN 'm' THEN 'ALTER MATERIALIZED VIEW calib.%I OWNER TO calib_owner'
                           WHEN 'f' THEN 'ALTER FOREIGN TABLE calib.%I OWNER TO calib_owner'
                           ELSE 'ALTER TABLE calib.%I OWNER TO calib_owner' END,
            r.relname);
    END LOOP;
    FOR r IN SELECT t.typname FROM pg_catalog.pg_type AS t
             WHERE t.typnamespace = 'calib'::regnamespace AND t.typrelid = 0
               AND t.typelem = 0 AND t.typtype IN ('c', 'd', 'e', 'r')
             ORDER BY t.typname LOOP
        EXECUTE pg_catalog.format('ALTER TYPE calib.%I OWNER TO calib_owner', r.typname);
    END LOOP;
    FOR r IN SELECT p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid) AS args
             FROM pg_catalog.pg_proc AS p
             WHERE p.pronamespace = 'calib'::regnamespace
             ORDER BY p.proname, args LOOP
        /* The identity arguments are PostgreSQL's own rendering of the signature (quoted
           where needed); the name goes through %I. */
        EXECUTE pg_catalog.format('ALTER ROUTINE calib.%I(%s) OWNER TO calib_owner',
                                  r.proname, r.args);
    END LOOP;
END
$$;
/* PUBLIC may not use the schema, nor execute any function: neither those that exist now nor
   those that calib_owner creates later (default privileges are per creating role; a
   function that a later revision creates as another role is covered by the REVOKE below,
   which that revision runs again). Functions are granted to the service roles one by one in
   schema/grants.sql. */
REVOKE ALL ON SCHEMA calib FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA calib FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE calib_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

