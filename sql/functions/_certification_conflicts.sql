CREATE OR REPLACE FUNCTION calib._certification_conflicts(
    p_collection_id integer, p_datasets uuid[], p_keys integer[],
    p_begins timestamptz[], p_ends timestamptz[])
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* Every overlap (at most 100) between the new items and the stored certifications, and
   between two new items, as a JSON array for the KC001 detail. Runs only on the error path
   (after the failed INSERT was rolled back to its savepoint). */
WITH n AS (
    SELECT u.ord, u.id, u.k, tstzrange(u.b, u.e, '[)') AS span
    FROM unnest(p_datasets, p_keys, p_begins, p_ends) WITH ORDINALITY AS u(id, k, b, e, ord)
), pairs AS (
    SELECT n.ord, n.id, n.k, n.span, c.dataset_id AS other, c.validity AS other_span, 0::bigint AS other_ord
    FROM n JOIN calib.certification AS c
      ON c.collection_id = p_collection_id AND c.data_id_key = n.k AND c.validity && n.span
    UNION ALL
    SELECT a.ord, a.id, a.k, a.span, b.id, b.span, b.ord
    FROM n AS a JOIN n AS b ON a.k = b.k AND a.ord < b.ord AND a.span && b.span
), firsts AS (
    SELECT * FROM pairs ORDER BY ord, other_ord, lower(other_span) NULLS FIRST LIMIT 100
)
SELECT jsonb_agg(jsonb_build_object(
           'dataset_type', t.name, 'data_id', di.value,
           'dataset', f.id, 'timespan', calib._span_json(f.span),
           'conflicting_dataset', f.other, 'conflicting_timespan', calib._span_json(f.other_span))
       ORDER BY f.ord, f.other_ord, lower(f.other_span) NULLS FIRST)
FROM firsts AS f
JOIN calib.data_id AS di ON di.data_id_key = f.k
JOIN calib.dataset_type AS t ON t.dataset_type_id = di.dataset_type_id
$$;
