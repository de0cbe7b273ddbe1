-- FROZEN downgrade of revision 0004, written by migrations/freeze.py from sources/0004_one_lookup_rule.postgresql.down.sql.
-- Never edit by hand.
-- The functions this revision re-creates, as the previous revision had them (freeze.py).
CREATE OR REPLACE FUNCTION calib._lookup(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_spans tstzrange[])
 RETURNS TABLE(ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The lookup behind find and find_many. Query i is (p_data_ids[i], p_spans[i]); an
   instant t is passed as the range [t,t], a NULL span skips CALIBRATION collections.
   The collection's search path (calib._flatten) is walked in order and the first member
   with any match decides: RUN / TAGGED match by data ID for all time, CALIBRATION by
   certifications overlapping the span (containing the instant). One row per query, in
   input order, NULLs when nothing matched anywhere.
   Set-based and linear in the number of queries: one join per member of the search path
   probes every query still undecided (index probes, then grouped by query), and the
   per-query state lives in parallel arrays that are only ever unnested together (never
   subscripted per row: subscripting a jsonb[] or a uuid[] with NULLs walks it from the
   start). Data IDs equal to a stored one are valid and canonical already; the full
   validation runs only when some data ID is not stored.
   Errors: KC011 when the deciding member has more than one match; KC002 / KC005 / KC008 /
   KC015 for bad arguments. Read-only, no locks. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection);
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type);
    v_values jsonb[];
    v_keys integer[];
    v_first uuid[];
    v_second uuid[];
    v_member text[];
    v_hit_ord bigint[];
    v_hit_id uuid[];
    v_open bigint;
    v_n integer;
    v_pos integer;
    v_span tstzrange;
    v_m record;
BEGIN
    IF p_data_ids IS NULL THEN
        PERFORM calib._raise('KC015', 'data IDs must not be NULL');
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
            jsonb_build_object('collection', p_collection));
    END IF;
    IF v_n = 0 THEN
        RETURN;
    END IF;

    v_first := array_fill(NULL::uuid, ARRAY[v_n]);
    v_second := v_first;
    v_member := array_fill(NULL::text, ARRAY[v_n]);
    v_open := v_n - coalesce(array_length(array_positions(v_keys, NULL), 1), 0);
    FOR v_m IN SELECT f.collection_id, f.name, f.type FROM calib._flatten(v_coll.collection_id) AS f
             ORDER BY f.ord LOOP
        EXIT WHEN v_open = 0;
        /* Matches of this member for every undecided query: (query position, dataset). */
        IF v_m.type = 'CALIBRATION' THEN
            SELECT array_agg(u.ord), array_agg(c.dataset_id) INTO v_hit_ord, v_hit_id
            FROM unnest(v_keys, p_spans, v_first) WITH ORDINALITY AS u(k, span, f, ord)
            JOIN calib.certification AS c
              ON c.collection_id = v_m.collection_id AND c.data_id_key = u.k AND c.validity && u.span
            WHERE u.f IS NULL;
        ELSIF v_m.type = 'RUN' THEN
            SELECT array_agg(u.ord), array_agg(d.dataset_id) INTO v_hit_ord, v_hit_id
            FROM unnest(v_keys, v_first) WITH ORDINALITY AS u(k, f, ord)
            JOIN calib.dataset AS d ON d.run_id = v_m.collection_id AND d.data_id_key = u.k
            WHERE u.f IS NULL;
        ELSE
            SELECT array_agg(u.ord), array_agg(t.dataset_id) INTO v_hit_ord, v_hit_id
            FROM unnest(v_keys, v_first) WITH ORDINALITY AS u(k, f, ord)
            JOIN calib.tag AS t ON t.collection_id = v_m.collection_id AND t.data_id_key = u.k
            WHERE u.f IS NULL;
        END IF;
        CONTINUE WHEN v_hit_ord IS NULL;
        /* The queries with a match are decided by this member. */
        SELECT array_agg(coalesce(u.f, g.ids[1]) ORDER BY u.ord),
               array_agg(CASE WHEN u.f IS NOT NULL THEN u.s ELSE g.ids[2] END ORDER BY u.ord),
               array_agg(CASE WHEN u.f IS NOT NULL THEN u.mem WHEN g.ids IS NOT NULL THEN v_m.name END
                         ORDER BY u.ord),
               count(*) FILTER (WHERE u.f IS NULL AND g.ids IS NULL AND u.k IS NOT NULL)
        INTO v_first, v_second, v_member, v_open
        FROM unnest(v_keys, v_first, v_second, v_member) WITH ORDINALITY AS u(k, f, s, mem, ord)
        LEFT JOIN (SELECT h.ord, array_agg(h.id) AS ids
                   FROM unnest(v_hit_ord, v_hit_id) AS h(ord, id) GROUP BY h.ord) AS g
          ON g.ord = u.ord;
    END LOOP;

    SELECT min(u.ord) INTO v_pos FROM unnest(v_second) WITH ORDINALITY AS u(s, ord) WHERE u.s IS NOT NULL;
    IF v_pos IS NOT NULL THEN
        v_span := p_spans[v_pos];
        PERFORM calib._raise('KC011',
            format('lookup of %L data ID %s in %L is ambiguous: collection %L has more than one '
                   'certification valid %s', p_dataset_type, v_values[v_pos], p_collection,
                   v_member[v_pos],
                   CASE WHEN lower(v_span) = upper(v_span) THEN 'at ' || calib._ts_text(lower(v_span))
                        ELSE 'during ' || calib._span_text(calib._span_json(v_span)) END),
            jsonb_build_object(
                'collection', v_member[v_pos], 'searched', p_collection,
                'dataset_type', p_dataset_type, 'data_id', v_values[v_pos],
                'datasets', (SELECT jsonb_agg(c.dataset_id ORDER BY lower(c.validity) NULLS FIRST)
                             FROM calib.certification AS c
                             JOIN calib.collection AS mc ON mc.collection_id = c.collection_id
                             WHERE mc.name = v_member[v_pos] AND c.data_id_key = v_keys[v_pos]
                               AND c.validity && v_span))
            || CASE WHEN lower(v_span) = upper(v_span)
                    THEN jsonb_build_object('at', calib._ts_text(lower(v_span)))
                    ELSE jsonb_build_object('timespan', calib._span_json(v_span)) END);
    END IF;

    RETURN QUERY
    SELECT u.ord, u.id, v_type.name, CASE WHEN u.id IS NULL THEN NULL ELSE u.v END, r.name
    FROM unnest(v_first, v_values) WITH ORDINALITY AS u(id, v, ord)
    LEFT JOIN calib.dataset AS d ON d.dataset_id = u.id
    LEFT JOIN calib.collection AS r ON r.collection_id = d.run_id
    ORDER BY u.ord;
END
$function$;
CREATE OR REPLACE FUNCTION calib._lookup_one(p_collection text, p_dataset_type text, p_data_id jsonb, p_span tstzrange, OUT dataset_id uuid, OUT dataset_type text, OUT data_id jsonb, OUT run text)
 RETURNS record
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
/* calib._lookup for a single query (find): the same result and errors, all NULL when
   nothing matches. Fast on the common path: the collection and the dataset type exist, the
   data ID equals a stored one (hence it is valid, and equal to its canonical form), and the
   deciding member has at most one match. Everything else (an unknown name, a data ID never
   stored or invalid, a NULL span, an ambiguous match) is handed to calib._lookup, which
   raises the precise error or finds nothing.
   Small statements on purpose: one resolves the names and the data ID and, for a
   CALIBRATION collection, also probes it and reads the dataset's RUN (the usual case: one
   statement in all); otherwise one more reads the search path (calib._flatten) into
   arrays, and each member is then probed in order by a statement of its own type until one
   matches. A single statement covering every case was about 2x
   slower: its executor start-up alone (70 plan nodes) cost more than the probes.
   Returns one record rather than a set, so that callers evaluate it as a plain expression.
   force_generic_plan: every statement here is an index probe whatever the parameters, and
   PostgreSQL otherwise kept planning the first one afresh on each call (custom plans
   looked cheaper than the generic one), about 15 us of a 110 us find.
   Read-only, no locks. */
DECLARE
    v record;
    v_ids uuid[];
    v_members integer[];
    v_types text[];
    v_type text;
BEGIN
    IF p_span IS NOT NULL THEN
        SELECT co.collection_id, co.type, t.name AS type_name, di.data_id_key, di.value,
               h.ids, r.name AS run_name
        INTO v
        FROM calib.collection AS co
        JOIN calib.dataset_type AS t ON t.name = p_dataset_type
        JOIN calib.data_id AS di ON di.dataset_type_id = t.dataset_type_id AND di.value = p_data_id
        LEFT JOIN LATERAL (
            SELECT array_agg(x.dataset_id) AS ids FROM (
                SELECT c.dataset_id FROM calib.certification AS c
                WHERE co.type = 'CALIBRATION' AND c.collection_id = co.collection_id
                  AND c.data_id_key = di.data_id_key AND c.validity && p_span
                LIMIT 2) AS x
        ) AS h ON true
        LEFT JOIN calib.dataset AS d ON d.dataset_id = h.ids[1]
        LEFT JOIN calib.collection AS r ON r.collection_id = d.run_id
        WHERE co.name = p_collection;
        IF FOUND THEN
            v_ids := v.ids;
            IF v.type <> 'CALIBRATION' THEN
                /* The search path in order (a RUN or TAGGED collection is its own). */
                SELECT array_agg(f.collection_id ORDER BY f.ord), array_agg(f.type ORDER BY f.ord)
                INTO v_members, v_types
                FROM calib._flatten(v.collection_id) AS f;
                FOR i IN 1 .. coalesce(cardinality(v_members), 0) LOOP
                    v_type := v_types[i];
                    IF v_type = 'CALIBRATION' THEN
                        v_ids := ARRAY(SELECT c.dataset_id FROM calib.certification AS c
                                       WHERE c.collection_id = v_members[i]
                                         AND c.data_id_key = v.data_id_key AND c.validity && p_span
                                       LIMIT 2);
                    ELSIF v_type = 'RUN' THEN
                        v_ids := ARRAY(SELECT d.dataset_id FROM calib.dataset AS d
                                       WHERE d.run_id = v_members[i]
                                         AND d.data_id_key = v.data_id_key);
                    ELSE
                        v_ids := ARRAY(SELECT tg.dataset_id FROM calib.tag AS tg
                                       WHERE tg.collection_id = v_members[i]
                                         AND tg.data_id_key = v.data_id_key);
                    END IF;
                    EXIT WHEN cardinality(v_ids) > 0;
                END LOOP;
            END IF;
            IF coalesce(cardinality(v_ids), 0) < 2 THEN
                dataset_id := v_ids[1];
                IF dataset_id IS NOT NULL THEN
                    dataset_type := v.type_name;
                    data_id := v.value;
                    run := CASE WHEN v.type = 'CALIBRATION' THEN v.run_name
                                ELSE (SELECT r.name FROM calib.dataset AS d
                                      JOIN calib.collection AS r ON r.collection_id = d.run_id
                                      WHERE d.dataset_id = v_ids[1]) END;
                END IF;
                RETURN;
            END IF;
        END IF;
    END IF;
    SELECT l.dataset_id, l.dataset_type, l.data_id, l.run INTO dataset_id, dataset_type, data_id, run
    FROM calib._lookup(p_collection, p_dataset_type, ARRAY[p_data_id], ARRAY[p_span]) AS l;
END
$function$;
-- Undo revision 0004 on PostgreSQL (source of versions/0004_one_lookup_rule.postgresql.down.sql):
-- freeze.py puts calib._lookup and calib._lookup_one back as 0003 had them before this
-- point, and drops calib.probe after it; nothing else changed.
-- The functions this revision creates (freeze.py).
DROP FUNCTION calib.probe(integer,integer,tstzrange);
