-- Shapes of calib.probe tried for issue 12 item 9 (bench/probe_shape.py --variants): loaded
-- into the benchmark's throw-away database only, never installed. probe_v1 keeps the
-- CALIBRATION probe inline and sends the other kinds (RUN, TAGGED, snapshot) to one PL/pgSQL
-- call: fewer relations in every plan, but a call per RUN or TAGGED member probed.
CREATE OR REPLACE FUNCTION calib.probe_v1_other(p_member_id integer, p_member_type text, p_data_id_key integer,
                                              p_span tstzrange, p_snapshot_of integer, p_snapshot_epoch bigint)
RETURNS uuid[] LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_snapshot_epoch IS NOT NULL THEN
        RETURN calib._snapshot_ids(p_snapshot_of, p_data_id_key, p_span, p_snapshot_epoch);
    ELSIF p_member_type = 'RUN' THEN
        RETURN ARRAY(SELECT d.dataset_id FROM calib.dataset AS d
                     WHERE d.run_id = p_member_id AND d.data_id_key = p_data_id_key LIMIT 2);
    ELSIF p_member_type = 'TAGGED' THEN
        RETURN ARRAY(SELECT t.dataset_id FROM calib.tag AS t
                     WHERE t.collection_id = p_member_id AND t.data_id_key = p_data_id_key LIMIT 2);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION calib.probe_v1(p_collection_id integer, p_data_id_key integer, p_span tstzrange)
RETURNS TABLE (member_id integer, dataset_id uuid, ambiguous boolean)
LANGUAGE sql STABLE AS $$
SELECT x.member_id, x.ids[1], x.ids[2] IS NOT NULL
FROM (SELECT m.member_id, m.rank,
             CASE WHEN m.member_type OPERATOR(pg_catalog.=) 'CALIBRATION' AND m.snapshot_epoch IS NULL
                  THEN ARRAY(SELECT c.dataset_id FROM calib.certification AS c
                             WHERE p_span IS NOT NULL
                               AND c.collection_id OPERATOR(pg_catalog.=) m.member_id
                               AND c.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
                               AND c.validity OPERATOR(pg_catalog.&&) p_span
                             LIMIT 2)
                  ELSE calib.probe_v1_other(m.member_id, m.member_type, p_data_id_key, p_span,
                                          m.snapshot_of, m.snapshot_epoch) END AS ids
      FROM calib.search_path AS m
      WHERE m.collection_id OPERATOR(pg_catalog.=) p_collection_id
      ORDER BY m.rank OFFSET 0) AS x
WHERE x.ids[1] IS NOT NULL
ORDER BY x.rank
LIMIT 1
$$;

