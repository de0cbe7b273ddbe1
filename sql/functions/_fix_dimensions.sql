CREATE OR REPLACE FUNCTION calib._fix_dimensions(p_type calib.dataset_type, p_data_ids jsonb[])
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* Fix the value type of each dimension of p_type that has none yet (calib.dimension) from
   its first value in p_data_ids, in input order: a string fixes 'string', a number
   'integer'. Run by insert_datasets before calib._canonical_data_ids checks the data IDs
   against the types, so that a later value of the other type in the same call is refused
   like one in a later call. Nothing to do (one index probe per dimension) once every
   dimension is fixed. Items that are no object or hold values of another kind are skipped:
   _canonical_data_ids refuses them, and the whole call with them.
   Concurrency: two transactions fixing one new dimension meet on dimension_pkey (ON
   CONFLICT DO NOTHING); the second waits for the first, then its checks (a later statement,
   a new snapshot) read the type the first one committed, so they cannot both store a type.
   Returns whether any dimension was new.
   Locks: the new rows of calib.dimension, until the transaction ends; the wait for another
   transaction's new row of the same dimension is bounded (calib._bound_waits; 55P03, kind
   lock_timeout, wait dimension). */
DECLARE
    v_old text;
    v_new boolean;
BEGIN
    IF p_data_ids IS NULL OR NOT EXISTS (
            SELECT FROM unnest(p_type.dimensions) AS d(name)
            WHERE NOT EXISTS (SELECT FROM calib.dimension AS x WHERE x.name = d.name)) THEN
        RETURN false;
    END IF;
    v_old := calib._bound_waits();
    BEGIN
        INSERT INTO calib.dimension (name, value_type)
        SELECT DISTINCT ON (e.name) e.name, e.value_type
        FROM unnest(p_data_ids) WITH ORDINALITY AS u(d, ord)
        CROSS JOIN LATERAL (
            SELECT normalize(j.key, NFC) AS name,
                   CASE jsonb_typeof(j.value) WHEN 'string' THEN 'string' ELSE 'integer' END
                       AS value_type
            FROM jsonb_each(CASE WHEN jsonb_typeof(u.d) = 'object' THEN u.d END) AS j
            WHERE jsonb_typeof(j.value) IN ('string', 'number')) AS e
        WHERE e.name = ANY (p_type.dimensions)
        ORDER BY e.name, u.ord
        ON CONFLICT ON CONSTRAINT dimension_pkey DO NOTHING;
        v_new := FOUND;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('dimension',
            format('another transaction using a dimension of dataset type %L (%s) for the first time',
                   p_type.name, array_to_string(p_type.dimensions, ', ')),
            jsonb_build_object('dataset_type', p_type.name,
                               'dimensions', to_jsonb(p_type.dimensions))) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    RETURN v_new;
END
$$;
