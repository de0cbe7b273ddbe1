CREATE OR REPLACE FUNCTION calib._data_id_types_trigger()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* Statement trigger on calib.data_id (INSERT and UPDATE, with the new rows as new_rows):
   the rule of calib.dimension for every writer, raw SQL included. Dimensions of the new
   rows without a type get the type of their first value (in data_id_key order); then a row
   with a value of the other type than its dimension's is refused: KC008, kind
   data_id_value_type, naming the first such row. calib.insert_datasets has checked its rows
   already (calib._canonical_data_ids); this is one pass over the new rows per statement. */
DECLARE
    v_bad record;
BEGIN
    INSERT INTO calib.dimension (name, value_type)
    SELECT DISTINCT ON (e.key) e.key,
           CASE jsonb_typeof(e.value) WHEN 'string' THEN 'string' ELSE 'integer' END
    FROM new_rows AS n CROSS JOIN LATERAL jsonb_each(n.value) AS e
    WHERE jsonb_typeof(e.value) IN ('string', 'number')
      AND NOT EXISTS (SELECT FROM calib.dimension AS x WHERE x.name = e.key)
    ORDER BY e.key, n.data_id_key
    ON CONFLICT ON CONSTRAINT dimension_pkey DO NOTHING;
    SELECT t.name AS dataset_type, n.value AS data_id, e.key, e.value, x.value_type INTO v_bad
    FROM new_rows AS n
    CROSS JOIN LATERAL jsonb_each(n.value) AS e
    JOIN calib.dimension AS x ON x.name = e.key
    JOIN calib.dataset_type AS t ON t.dataset_type_id = n.dataset_type_id
    WHERE x.value_type <> CASE jsonb_typeof(e.value) WHEN 'string' THEN 'string'
                                                     WHEN 'number' THEN 'integer' END
    ORDER BY n.data_id_key, e.key COLLATE "C"
    LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC008',
            format('data ID %s for dataset type %L: dimension %L holds %s values, not %s',
                   v_bad.data_id, v_bad.dataset_type, v_bad.key, v_bad.value_type, v_bad.value),
            jsonb_build_object('kind', 'data_id_value_type', 'dataset_type', v_bad.dataset_type,
                               'data_id', v_bad.data_id, 'dimension', v_bad.key,
                               'value_type', v_bad.value_type, 'value', v_bad.value)) IS NULL THEN END IF;
    END IF;
    RETURN NULL;
END
$$;
