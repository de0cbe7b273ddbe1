CREATE OR REPLACE FUNCTION calib._digest_data_id(p_value jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
/* A data ID as the digest writes it (README "Collection digests"): one JSON object, keys
   sorted by their UTF-8 bytes (COLLATE "C": code point order, as Python sorts str), no
   spaces, each value as jsonb prints a scalar (an integer as its digits, a string quoted
   and escaped as JSON: \" \\ and \b \f \n \r \t \u00XX for the other control characters,
   every other character as itself), so the integer 1 and the string "1" differ. */
SELECT '{' || coalesce(string_agg(to_json(e.key)::text || ':' || e.value::text, ','
                                  ORDER BY e.key COLLATE "C"), '') || '}'
FROM jsonb_each(p_value) AS e
$$;
