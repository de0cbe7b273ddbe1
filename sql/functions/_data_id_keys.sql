CREATE OR REPLACE FUNCTION calib._data_id_keys(p_type calib.dataset_type, p_data_ids jsonb[])
RETURNS integer[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* The interned keys of the given data IDs (validated, KC008); data IDs never stored have
   no key and are simply absent from the result. NULL in, NULL out ("no filter"). */
BEGIN
    /* PL/pgSQL, not SQL (revision 0016): a SQL function with a SET clause is never
       inlined and was parsed and planned again at every call (20-60 us); PL/pgSQL
       keeps its plan for the session (bench/README.md "PostgreSQL writes"). */
    IF p_data_ids IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN ARRAY(
        SELECT di.data_id_key
        FROM unnest(calib._canonical_data_ids(p_type, p_data_ids)) AS v
        JOIN calib.data_id AS di ON di.dataset_type_id = p_type.dataset_type_id AND di.value = v);
END
$$;
