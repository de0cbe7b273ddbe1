CREATE OR REPLACE FUNCTION calib._span_json(p_span tstzrange)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
/* A timespan as the JSON pair [begin, end], null for an unbounded side. */
SELECT jsonb_build_array(calib._ts_text(lower(p_span)), calib._ts_text(upper(p_span)))
$$;
