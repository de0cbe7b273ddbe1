CREATE OR REPLACE FUNCTION calib._lookup(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_spans tstzrange[])
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $$
/* The lookup behind find and find_many. Query i is (p_data_ids[i], p_spans[i]); an
   instant t is passed as the range [t,t], a NULL span skips CALIBRATION collections.
   The collection's search path (calib._flatten) is walked in order and the first member
   with any match decides: RUN / TAGGED match by data ID for all time, CALIBRATION by
   certifications overlapping the span (containing the instant). One row per query, in
   input order, NULLs when nothing matched anywhere.
   Each (query, member) pair is one index probe (LATERAL + LIMIT), never a scan.
   Errors: KC011 when the deciding member has more than one match; KC002 / KC005 / KC008 /
   KC015 for bad arguments. Read-only, no locks. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection);
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type);
    v_values jsonb[] := calib._canonical_data_ids(v_type, p_data_ids);
    v_keys integer[];
    v_first uuid[];
    v_second uuid[];
    v_member text[];
    v_pos integer;
    v_span tstzrange;
BEGIN
    IF p_spans IS NULL OR cardinality(p_spans) <> cardinality(p_data_ids) THEN
        PERFORM calib._raise('KC015',
            format('lookup in %L needs one time (or NULL) per data ID', p_collection),
            jsonb_build_object('collection', p_collection));
    END IF;
    v_keys := ARRAY(
        SELECT di.data_id_key
        FROM unnest(v_values) WITH ORDINALITY AS u(v, ord)
        LEFT JOIN calib.data_id AS di ON di.dataset_type_id = v_type.dataset_type_id AND di.value = u.v
        ORDER BY u.ord);

    WITH chain AS MATERIALIZED (
        SELECT f.ord AS cord, f.collection_id, f.name, f.type FROM calib._flatten(v_coll.collection_id) AS f
    ), q AS (
        SELECT u.ord, u.k, u.span FROM unnest(v_keys, p_spans) WITH ORDINALITY AS u(k, span, ord)
    )
    SELECT array_agg(h.ids[1] ORDER BY q.ord), array_agg(h.ids[2] ORDER BY q.ord),
           array_agg(h.name ORDER BY q.ord)
    INTO v_first, v_second, v_member
    FROM q
    LEFT JOIN LATERAL (
        SELECT ch.cord, ch.name, m.ids
        FROM chain AS ch
        CROSS JOIN LATERAL (
            SELECT array_agg(x.dataset_id) AS ids FROM (
                SELECT d.dataset_id FROM calib.dataset AS d
                WHERE ch.type = 'RUN' AND d.run_id = ch.collection_id AND d.data_id_key = q.k
                UNION ALL
                SELECT t.dataset_id FROM calib.tag AS t
                WHERE ch.type = 'TAGGED' AND t.collection_id = ch.collection_id AND t.data_id_key = q.k
                UNION ALL
                (SELECT c.dataset_id FROM calib.certification AS c
                 WHERE ch.type = 'CALIBRATION' AND c.collection_id = ch.collection_id
                   AND c.data_id_key = q.k AND c.validity && q.span
                 LIMIT 2)
            ) AS x
        ) AS m
        WHERE q.k IS NOT NULL AND m.ids IS NOT NULL
        ORDER BY ch.cord
        LIMIT 1
    ) AS h ON true;

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
                             FROM calib.certification AS c JOIN calib.collection AS m ON m.collection_id = c.collection_id
                             WHERE m.name = v_member[v_pos] AND c.data_id_key = v_keys[v_pos]
                               AND c.validity && v_span))
            || CASE WHEN lower(v_span) = upper(v_span)
                    THEN jsonb_build_object('at', calib._ts_text(lower(v_span)))
                    ELSE jsonb_build_object('timespan', calib._span_json(v_span)) END);
    END IF;

    RETURN QUERY
    SELECT u.ord, u.id, v_type.name, CASE WHEN u.id IS NULL THEN NULL ELSE v_values[u.ord] END, r.name
    FROM unnest(v_first) WITH ORDINALITY AS u(id, ord)
    LEFT JOIN calib.dataset AS d ON d.dataset_id = u.id
    LEFT JOIN calib.collection AS r ON r.collection_id = d.run_id
    ORDER BY u.ord;
END
$$;
