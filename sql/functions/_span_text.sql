CREATE OR REPLACE FUNCTION calib._span_text(p_span jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
/* A timespan's JSON pair as people read it in messages: [begin, end), -inf / +inf for an
   unbounded side (the same text as the Python Timespan's str()). */
SELECT format('[%s, %s)', coalesce(p_span->>0, '-inf'), coalesce(p_span->>1, '+inf'))
$$;
