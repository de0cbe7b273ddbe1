-- FROZEN downgrade of revision 0012, written by migrations/freeze.py from sources/0012_health.postgresql.down.sql.
-- Never edit by hand.
-- The functions this revision re-creates, as the previous revision had them (freeze.py).
CREATE OR REPLACE FUNCTION calib.certifications(p_collection text, p_dataset_type text DEFAULT NULL::text)
 RETURNS TABLE(collection text, dataset_id uuid, dataset_type text, data_id jsonb, run text, validity tstzrange)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Every certification in p_collection (through a chain: in every CALIBRATION member, in
   search order, each row naming the member it is stored in), optionally of one dataset
   type. Ordered by member, dataset type, data ID (interning order), begin.
   Errors: KC002 unknown collection, KC005 unknown dataset type. Read-only, no locks. */
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
$function$;
CREATE OR REPLACE FUNCTION calib.decertify(p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb[] DEFAULT NULL::jsonb[])
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Remove validity inside p_timespan from every certification of p_dataset_type in
   CALIBRATION collection p_collection (only those data IDs when p_data_ids is given):
   a certification fully covered is removed, one straddling an end is shortened, one
   containing the span is split in two. Set-based: one DELETE, one INSERT of the remaining
   pieces (range difference as multiranges). Returns the number of certifications touched;
   nothing matching is a no-op (0).
   Errors: KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009
   bad timespan, KC008 bad data ID. Locks: the collection row, FOR NO KEY UPDATE. */
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
$function$;
CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamp with time zone)
 RETURNS TABLE(dataset_id uuid, dataset_type text, data_id jsonb, run text)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The dataset of p_dataset_type with data ID p_data_id found by searching p_collection
   (chains flattened, in order) at instant p_at: the first member with any match decides;
   CALIBRATION members match certifications whose timespan contains p_at. NULL p_at skips
   CALIBRATION members. No row when nothing matches.
   Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002,
   KC005, KC008. Read-only, STABLE, no locks: runs on a hot standby.
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
$function$;
CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_at timestamp with time zone[])
 RETURNS TABLE(ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* find for many (data ID, instant) pairs in one call: one row per pair, in input order
   (ord = 1-based position), NULL dataset where nothing matched. A NULL instant skips
   CALIBRATION members for that pair.
   Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different
   lengths. Read-only, STABLE, no locks. */
SELECT l.ord, l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, p_data_ids,
                   ARRAY(SELECT CASE WHEN t IS NULL THEN NULL ELSE tstzrange(t, t, '[]') END
                         FROM unnest(p_at) WITH ORDINALITY AS u(t, o) ORDER BY o)) AS l
$function$;
CREATE OR REPLACE FUNCTION calib.get_chain(p_parent text)
 RETURNS text[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The direct children of CHAINED collection p_parent, in order.
   Errors: KC002 unknown collection, KC003 not CHAINED. Read-only. */
SELECT coalesce(array_agg(c.name ORDER BY ch.position), ARRAY[]::text[])
FROM calib.collection_chain AS ch
JOIN calib.collection AS c ON c.collection_id = ch.child_id
WHERE ch.parent_id = (calib._collection(p_parent, ARRAY['CHAINED'])).collection_id
$function$;
CREATE OR REPLACE FUNCTION calib.get_datasets(p_ids uuid[])
 RETURNS TABLE(dataset_id uuid, dataset_type text, data_id jsonb, run text)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The datasets with the given ids, in input order. Errors: KC007 unknown id, KC015 NULL.
   Read-only, no locks. */
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
$function$;
CREATE OR REPLACE FUNCTION calib.list_collections(p_type text DEFAULT NULL::text)
 RETURNS TABLE(name text, type text, doc text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Every collection (optionally of one type), by name. Read-only. */
SELECT c.name, c.type, c.doc
FROM calib.collection AS c
WHERE p_type IS NULL OR c.type = upper(p_type)
ORDER BY c.name
$function$;
CREATE OR REPLACE FUNCTION calib.list_dataset_types()
 RETURNS TABLE(name text, dimensions text[], is_calibration boolean)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Every dataset type, by name. Read-only. */
SELECT t.name, t.dimensions, t.is_calibration FROM calib.dataset_type AS t ORDER BY t.name
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
   Used by calib._lookup, calib._lookup_one and the Python client's prepared find, all of
   which resolve names to ids first and raise the errors. Inline-only: LANGUAGE sql without
   SET search_path, so that PostgreSQL inlines it into the calling statement and plans it
   with that statement's cached plan (a SET clause forbids inlining; the body would then be
   planned again on every call). Its body is therefore parsed under the caller's
   search_path: every name in it is schema-qualified, operators included. SECURITY INVOKER:
   it reads with the caller's own table rights, so granting it to calib_reader and
   calib_writer gives them nothing they cannot SELECT already.
   Per member one probe of each kind, gated by the stored member_type; ARRAY(... LIMIT 2)
   is computed once per member (OFFSET 0 keeps the planner from copying it into each use).
   Read-only, no locks. */
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
$function$;
CREATE OR REPLACE FUNCTION calib.query_datasets(p_collection text, p_dataset_type text, p_where jsonb DEFAULT NULL::jsonb)
 RETURNS TABLE(dataset_id uuid, dataset_type text, data_id jsonb, run text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The datasets of p_dataset_type visible in a RUN, TAGGED or CHAINED collection without a
   time: for each data ID the first RUN / TAGGED member holding it decides (as find with no
   time); CALIBRATION members are skipped. p_where narrows by data-ID values (jsonb
   containment, e.g. '{"detector": 3}'). Ordered by data ID (interning order). This is how
   "certify all biases in this run" picks its datasets.
   Errors: KC002, KC003 (a CALIBRATION collection itself), KC005, KC008 (p_where: a bad
   value, or one of the other type than its dimension's; calib._canonical_where). Read-only, no locks. */
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
$function$;
CREATE OR REPLACE FUNCTION calib.register_dataset_type(p_name text, p_dimensions text[], p_is_calibration boolean DEFAULT true)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Register a dataset type: its data IDs have exactly the keys p_dimensions (ordered,
   distinct names). Returns true if created, false if the same definition existed.
   Names are stored in Unicode NFC; at most 32 dimensions (with the 2000-byte limit of a
   data ID, no data ID can outgrow a btree entry).
   Errors: KC014 bad name, KC015 NULL / repeated dimension / more than 32, KC010 exists with another
   definition. Locks: none beyond the unique index. */
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
$function$;
-- Undo revision 0012 on PostgreSQL (source of versions/0012_health.postgresql.down.sql):
-- freeze.py drops the functions 0012 creates (check_integrity, collection_stats, _revision);
-- the comments 0012 gave the functions that 0011 already had are removed here.
COMMENT ON FUNCTION calib.certifications(text, text) IS NULL;
COMMENT ON FUNCTION calib.certify(text, uuid[], tstzrange, boolean) IS NULL;
COMMENT ON FUNCTION calib.certify(text, jsonb, tstzrange, boolean) IS NULL;
COMMENT ON FUNCTION calib.certify(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.certify_series(text, uuid[], timestamptz[], boolean) IS NULL;
COMMENT ON FUNCTION calib.certify_series(text, jsonb, jsonb, boolean) IS NULL;
COMMENT ON FUNCTION calib.certify_series(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.close_open_range(text, text, timestamptz, jsonb[]) IS NULL;
COMMENT ON FUNCTION calib.close_open_range(text, text, timestamptz, jsonb) IS NULL;
COMMENT ON FUNCTION calib.close_open_range(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.copy_collection(text, text, text) IS NULL;
COMMENT ON FUNCTION calib.decertify(text, text, tstzrange, jsonb[]) IS NULL;
COMMENT ON FUNCTION calib.decertify(text, text, tstzrange, jsonb) IS NULL;
COMMENT ON FUNCTION calib.decertify(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.find(text, text, jsonb, timestamptz) IS NULL;
COMMENT ON FUNCTION calib.find(text, text, jsonb, tstzrange) IS NULL;
COMMENT ON FUNCTION calib.find(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.find(text, text, jsonb, text) IS NULL;
COMMENT ON FUNCTION calib.find_many(text, text, jsonb[], timestamptz[]) IS NULL;
COMMENT ON FUNCTION calib.find_many(text, text, jsonb[], tstzrange[]) IS NULL;
COMMENT ON FUNCTION calib.find_many(text, text, jsonb, jsonb) IS NULL;
COMMENT ON FUNCTION calib.find_many(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.get_chain(text) IS NULL;
COMMENT ON FUNCTION calib.get_datasets(uuid[]) IS NULL;
COMMENT ON FUNCTION calib.get_datasets(jsonb) IS NULL;
COMMENT ON FUNCTION calib.get_datasets(text) IS NULL;
COMMENT ON FUNCTION calib.insert_datasets(text, text, jsonb[], uuid[]) IS NULL;
COMMENT ON FUNCTION calib.insert_datasets(text, text, jsonb, jsonb) IS NULL;
COMMENT ON FUNCTION calib.insert_datasets(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.list_collections(text) IS NULL;
COMMENT ON FUNCTION calib.list_dataset_types() IS NULL;
COMMENT ON FUNCTION calib.probe(integer, integer, tstzrange) IS NULL;
COMMENT ON FUNCTION calib.query_datasets(text, text, jsonb) IS NULL;
COMMENT ON FUNCTION calib.query_datasets(text, text, text) IS NULL;
COMMENT ON FUNCTION calib.register_collection(text, text, text) IS NULL;
COMMENT ON FUNCTION calib.register_dataset_type(text, text[], boolean) IS NULL;
COMMENT ON FUNCTION calib.register_dataset_type(text, jsonb, boolean) IS NULL;
COMMENT ON FUNCTION calib.register_dataset_type(text, text, text) IS NULL;
COMMENT ON FUNCTION calib.remove_collection(text) IS NULL;
COMMENT ON FUNCTION calib.set_chain(text, text[]) IS NULL;
COMMENT ON FUNCTION calib.set_chain(text, jsonb) IS NULL;
COMMENT ON FUNCTION calib.set_chain(text, text) IS NULL;
COMMENT ON FUNCTION calib.tag(text, uuid[]) IS NULL;
COMMENT ON FUNCTION calib.tag(text, jsonb) IS NULL;
COMMENT ON FUNCTION calib.tag(text, text) IS NULL;
COMMENT ON FUNCTION calib.untag(text, uuid[]) IS NULL;
COMMENT ON FUNCTION calib.untag(text, jsonb) IS NULL;
COMMENT ON FUNCTION calib.untag(text, text) IS NULL;
-- The functions this revision creates (freeze.py).
DROP FUNCTION calib._revision();
DROP FUNCTION calib.check_integrity();
DROP FUNCTION calib.collection_stats();
