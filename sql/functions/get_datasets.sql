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
