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
