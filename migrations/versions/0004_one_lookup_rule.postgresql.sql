-- FROZEN upgrade of revision 0004, written by migrations/freeze.py from sources/0004_one_lookup_rule.postgresql.sql.
-- Never edit by hand.
-- Revision 0004 (0003 -> 0004) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0004_one_lookup_rule.postgresql.sql. The lookup rule (first member of the
-- search path with any match decides; more than one match there is ambiguous) is written
-- once, in the new inline-only calib.probe, which calib._lookup, calib._lookup_one and the
-- Python client's prepared find all use.
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
$$;

CREATE OR REPLACE FUNCTION calib._lookup(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_spans tstzrange[])
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
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
   Errors: KC011 when the deciding member of some query has more than one match (the first
   such query in input order); KC002 / KC005 / KC008 / KC015 for bad arguments. Read-only,
   no locks. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection);
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
BEGIN
    IF p_data_ids IS NULL THEN
        PERFORM calib._raise('KC015', 'data IDs must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'data IDs'));
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
        PERFORM calib._raise('KC015',
            format('lookup in %L needs one time (or NULL) per data ID', p_collection),
            jsonb_build_object('kind', 'lookup_times_count', 'collection', p_collection));
    END IF;
    IF v_n = 0 THEN
        RETURN;
    END IF;

    /* A data ID never stored (NULL key) matches nothing: no probe. */
    SELECT array_agg(p.dataset_id ORDER BY u.ord), array_agg(p.member_id ORDER BY u.ord),
           min(u.ord) FILTER (WHERE p.ambiguous)
    INTO v_ids, v_members, v_pos
    FROM unnest(v_keys, p_spans) WITH ORDINALITY AS u(k, span, ord)
    LEFT JOIN LATERAL calib.probe(v_coll.collection_id, u.k, u.span) AS p ON u.k IS NOT NULL;

    IF v_pos IS NOT NULL THEN
        v_span := p_spans[v_pos];
        SELECT mc.name INTO v_member FROM calib.collection AS mc
        WHERE mc.collection_id = v_members[v_pos];
        PERFORM calib._raise('KC011',
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
                'datasets', (SELECT jsonb_agg(c.dataset_id ORDER BY lower(c.validity) NULLS FIRST)
                             FROM calib.certification AS c
                             JOIN calib.collection AS mc ON mc.collection_id = c.collection_id
                             WHERE mc.name = v_member AND c.data_id_key = v_keys[v_pos]
                               AND c.validity && v_span))
            || CASE WHEN lower(v_span) = upper(v_span)
                    THEN jsonb_build_object('at', calib._ts_text(lower(v_span)))
                    ELSE jsonb_build_object('timespan', calib._span_json(v_span)) END);
    END IF;

    RETURN QUERY
    SELECT u.ord, u.id, v_type.name, CASE WHEN u.id IS NULL THEN NULL ELSE u.v END, r.name
    FROM unnest(v_ids, v_values) WITH ORDINALITY AS u(id, v, ord)
    LEFT JOIN calib.dataset AS d ON d.dataset_id = u.id
    LEFT JOIN calib.collection AS r ON r.collection_id = d.run_id
    ORDER BY u.ord;
END
$$;

CREATE OR REPLACE FUNCTION calib._lookup_one(
    p_collection text, p_dataset_type text, p_data_id jsonb, p_span tstzrange,
    OUT dataset_id uuid, OUT dataset_type text, OUT data_id jsonb, OUT run text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* calib._lookup for a single query (find): the same result and errors, all NULL when
   nothing matches. One statement on the common path: the collection and the dataset type
   exist, the data ID equals a stored one (hence it is valid, and equal to its canonical
   form), and calib.probe finds the deciding member unambiguous (or no member matching).
   Everything else (an unknown name, a data ID never stored or invalid, an ambiguous match)
   is handed to calib._lookup, which raises the precise error or finds nothing.
   Returns one record rather than a set, so that callers evaluate it as a plain expression.
   force_generic_plan: the statement is index probes whatever the parameters, and
   PostgreSQL otherwise kept planning it afresh on each call (custom plans looked cheaper
   than the generic one). Read-only, no locks. */
DECLARE
    v record;
BEGIN
    SELECT p.dataset_id, p.ambiguous, t.name AS type_name, di.value,
           (SELECT r.name FROM calib.dataset AS d
            JOIN calib.collection AS r ON r.collection_id = d.run_id
            WHERE d.dataset_id = p.dataset_id) AS run_name
    INTO v
    FROM calib.collection AS co
    JOIN calib.dataset_type AS t ON t.name = p_dataset_type
    JOIN calib.data_id AS di ON di.dataset_type_id = t.dataset_type_id AND di.value = p_data_id
    LEFT JOIN LATERAL calib.probe(co.collection_id, di.data_id_key, p_span) AS p ON true
    WHERE co.name = p_collection;
    IF FOUND AND v.ambiguous IS NOT TRUE THEN
        dataset_id := v.dataset_id;
        IF dataset_id IS NOT NULL THEN
            dataset_type := v.type_name;
            data_id := v.value;
            run := v.run_name;
        END IF;
        RETURN;
    END IF;
    SELECT l.dataset_id, l.dataset_type, l.data_id, l.run INTO dataset_id, dataset_type, data_id, run
    FROM calib._lookup(p_collection, p_dataset_type, ARRAY[p_data_id], ARRAY[p_span]) AS l;
END
$$;

/* Privileges. Functions run as their owner (SECURITY DEFINER, search_path pinned), so
   callers need EXECUTE, not table rights: every change goes through the functions (and so
   through their checks, locks and, later, the history ledger). calib_reader may look up
   and read the tables; calib_writer may also call the mutating functions. Private helpers
   (names starting with _) are not granted to anyone. PUBLIC gets nothing: schema/security.sql
   revokes what PostgreSQL gives it by default and hands every object to calib_owner. */
GRANT USAGE ON SCHEMA calib TO calib_reader, calib_writer;
GRANT SELECT ON ALL TABLES IN SCHEMA calib TO calib_reader, calib_writer;
GRANT EXECUTE ON FUNCTION
    calib.find(text, text, jsonb, timestamptz),
    calib.find(text, text, jsonb, tstzrange),
    calib.find_many(text, text, jsonb[], timestamptz[]),
    calib.find_many(text, text, jsonb[], tstzrange[]),
    calib.certifications(text, text),
    calib.query_datasets(text, text, jsonb),
    calib.get_datasets(uuid[]),
    calib.get_chain(text),
    calib.list_collections(text),
    calib.list_dataset_types(),
    calib.probe(integer, integer, tstzrange)
TO calib_reader, calib_writer;
GRANT EXECUTE ON FUNCTION
    calib.register_collection(text, text, text),
    calib.set_chain(text, text[]),
    calib.remove_collection(text),
    calib.register_dataset_type(text, text[], boolean),
    calib.insert_datasets(text, text, jsonb[], uuid[]),
    calib.tag(text, uuid[]),
    calib.untag(text, uuid[]),
    calib.certify(text, uuid[], tstzrange, boolean),
    calib.certify_series(text, uuid[], timestamptz[], boolean),
    calib.decertify(text, text, tstzrange, jsonb[]),
    calib.close_open_range(text, text, timestamptz, jsonb[]),
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

