CREATE OR REPLACE FUNCTION calib._digest_rows(p_collection_id integer, p_type text)
RETURNS TABLE (sort_key text, line text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* The content lines of a collection's digest (README "Collection digests"), unsorted, each
   with the key calib.collection_digest sorts it by: the line itself (compared as UTF-8
   bytes, COLLATE "C"), or for a chain child its position, zero-padded. This is the only
   query of the tables behind a digest: an as-of digest (issue 16) feeds the same line
   encoding from the rows as they were at an epoch and changes nothing else.
   Every line is one JSON text with sorted keys and no spaces:
     CALIBRATION {"begin":B,"data_id":D,"dataset_id":"<uuid>","dataset_type":"<name>","end":E}
     TAGGED, RUN {"data_id":D,"dataset_id":"<uuid>","dataset_type":"<name>"}
     CHAINED     {"child":"<name>","position":N}   (N = 1, 2, ... in search order)
   B and E: calib._ts_text in quotes, or null for an unbounded side; D: calib._digest_data_id.
   jsonb's own text (spaces, keys shorter first) is not this form, so it is built here. */
WITH d AS (
    /* Each data ID's text once per key, not once per certification. */
    SELECT x.data_id_key, calib._digest_data_id(di.value) AS data_id, t.name AS dataset_type
    FROM (SELECT c.data_id_key FROM calib.certification AS c
          WHERE p_type = 'CALIBRATION' AND c.collection_id = p_collection_id
          UNION
          SELECT g.data_id_key FROM calib.tag AS g
          WHERE p_type = 'TAGGED' AND g.collection_id = p_collection_id
          UNION
          SELECT s.data_id_key FROM calib.dataset AS s
          WHERE p_type = 'RUN' AND s.run_id = p_collection_id) AS x
    JOIN calib.data_id AS di ON di.data_id_key = x.data_id_key
    JOIN calib.dataset_type AS t ON t.dataset_type_id = di.dataset_type_id
), lines AS (
    SELECT '{"begin":' || CASE WHEN lower_inf(c.validity) THEN 'null'
                               ELSE '"' || calib._ts_text(lower(c.validity)) || '"' END
           || ',"data_id":' || d.data_id
           || ',"dataset_id":"' || c.dataset_id::text
           || '","dataset_type":' || to_json(d.dataset_type)::text
           || ',"end":' || CASE WHEN upper_inf(c.validity) THEN 'null'
                                ELSE '"' || calib._ts_text(upper(c.validity)) || '"' END
           || '}' AS line
    FROM calib.certification AS c
    JOIN d ON d.data_id_key = c.data_id_key
    WHERE p_type = 'CALIBRATION' AND c.collection_id = p_collection_id
    UNION ALL
    SELECT '{"data_id":' || d.data_id || ',"dataset_id":"' || g.dataset_id::text
           || '","dataset_type":' || to_json(d.dataset_type)::text || '}'
    FROM calib.tag AS g
    JOIN d ON d.data_id_key = g.data_id_key
    WHERE p_type = 'TAGGED' AND g.collection_id = p_collection_id
    UNION ALL
    SELECT '{"data_id":' || d.data_id || ',"dataset_id":"' || s.dataset_id::text
           || '","dataset_type":' || to_json(d.dataset_type)::text || '}'
    FROM calib.dataset AS s
    JOIN d ON d.data_id_key = s.data_id_key
    WHERE p_type = 'RUN' AND s.run_id = p_collection_id
)
SELECT l.line, l.line FROM lines AS l
UNION ALL
SELECT lpad(ch.n::text, 10, '0'),
       '{"child":' || to_json(ch.name)::text || ',"position":' || ch.n::text || '}'
FROM (SELECT k.name, row_number() OVER (ORDER BY x.position) AS n
      FROM calib.collection_chain AS x
      JOIN calib.collection AS k ON k.collection_id = x.child_id
      WHERE p_type = 'CHAINED' AND x.parent_id = p_collection_id) AS ch
$$;
