CREATE OR REPLACE FUNCTION calib._digest_rows(p_collection_id integer, p_type text, p_epoch bigint)
RETURNS TABLE (sort_key text, line text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
/* The content lines of a collection's digest (README "Collection digests"), unsorted, each
   with the key calib.collection_digest sorts it by: the line itself (compared as UTF-8
   bytes, COLLATE "C"), or for a chain child its position, zero-padded. Every line is one
   JSON text with sorted keys and no spaces:
     CALIBRATION {"begin":B,"data_id":D,"dataset_id":"<uuid>","dataset_type":"<name>","end":E}
     TAGGED, RUN {"data_id":D,"dataset_id":"<uuid>","dataset_type":"<name>"}
     CHAINED     {"child":"<name>","position":N}   (N = 1, 2, ... in search order)
   B and E: calib._ts_text's text in quotes, or null for an unbounded side. D: the data ID
   as one JSON object, keys sorted by their UTF-8 bytes (COLLATE "C": code point order, as
   Python sorts str), each value as jsonb prints a scalar (an integer as its digits, a
   string quoted and escaped as JSON: \" \\ \b \f \n \r \t, \u00XX for the other control
   characters, every other character as itself), so the integer 1 and the string "1"
   differ. jsonb's own text (spaces, keys shorter first) is not this form.

   The stored rows are read in one place, CTEs stored and children: p_epoch (NULL: the
   current rows; no default, so that revision 0013's two-argument form, put back by a
   downgrade next to this one until it is dropped, is called unambiguously) reads the versions visible at that epoch there instead (revision 0014:
   a snapshot's digest is its source's as of the snapshot's epoch; an as_of argument of
   collection_digest can use the same) and changes nothing else.
   Set-based: each data ID is written once per key, not once per row; the instants are
   written with calib._ts_text's format spelled out, because a function with a SET clause
   is never inlined and two calls per certification were most of the time (bench/digest.py). */
WITH stored AS (
    SELECT c.data_id_key, c.dataset_id, c.validity FROM calib.certification AS c
    WHERE p_type = 'CALIBRATION' AND p_epoch IS NULL AND c.collection_id = p_collection_id
    UNION ALL
    SELECT g.data_id_key, g.dataset_id, NULL FROM calib.tag AS g
    WHERE p_type = 'TAGGED' AND p_epoch IS NULL AND g.collection_id = p_collection_id
    UNION ALL
    SELECT s.data_id_key, s.dataset_id, NULL FROM calib.dataset AS s
    WHERE p_type = 'RUN' AND p_epoch IS NULL AND s.run_id = p_collection_id
    /* As of epoch p_epoch (a snapshot's digest, revision 0014): the versions visible then. */
    UNION ALL
    SELECT c.data_id_key, c.dataset_id, c.validity FROM calib.certification_history AS c
    WHERE p_type = 'CALIBRATION' AND p_epoch IS NOT NULL AND c.collection_id = p_collection_id
      AND calib._visible(c.created_change, c.removed_change, p_epoch)
    UNION ALL
    SELECT g.data_id_key, g.dataset_id, NULL FROM calib.tag_version AS g
    WHERE p_type = 'TAGGED' AND p_epoch IS NOT NULL AND g.collection_id = p_collection_id
      AND calib._visible(g.created_change, g.removed_change, p_epoch)
    UNION ALL
    SELECT s.data_id_key, s.dataset_id, NULL FROM calib.dataset_version AS s
    WHERE p_type = 'RUN' AND p_epoch IS NOT NULL AND s.run_id = p_collection_id
      AND calib._visible(s.created_change, s.removed_change, p_epoch)
), children AS (
    SELECT k.name, row_number() OVER (ORDER BY x.position) AS n
    FROM calib.collection_chain AS x
    JOIN calib.collection AS k ON k.collection_id = x.child_id
    WHERE p_type = 'CHAINED' AND p_epoch IS NULL AND x.parent_id = p_collection_id
    UNION ALL
    SELECT k.name, row_number() OVER (ORDER BY x.position)
    FROM calib.chain_version AS x
    JOIN calib.collection_version AS k ON k.collection_id = x.child_id
         AND calib._visible(k.created_change, k.removed_change, p_epoch)
    WHERE p_type = 'CHAINED' AND p_epoch IS NOT NULL AND x.parent_id = p_collection_id
      AND calib._visible(x.created_change, x.removed_change, p_epoch)
), keys AS (
    SELECT di.data_id_key, to_json(t.name)::text AS dataset_type,
           '{' || coalesce(string_agg(to_json(e.key)::text || ':' || e.value::text, ','
                                      ORDER BY e.key COLLATE "C")
                           FILTER (WHERE e.key IS NOT NULL), '') || '}' AS data_id
    FROM (SELECT DISTINCT s.data_id_key FROM stored AS s) AS u
    JOIN calib.data_id AS di ON di.data_id_key = u.data_id_key
    JOIN calib.dataset_type AS t ON t.dataset_type_id = di.dataset_type_id
    LEFT JOIN LATERAL jsonb_each(di.value) AS e ON true
    GROUP BY di.data_id_key, t.name
)
SELECT l.line, l.line
FROM (SELECT CASE WHEN p_type = 'CALIBRATION' THEN
                  '{"begin":' || CASE WHEN lower_inf(s.validity) THEN 'null' ELSE
                      '"' || to_char(lower(s.validity) AT TIME ZONE 'UTC',
                                     'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') || '"' END
                  || ',"data_id":' || k.data_id || ',"dataset_id":"' || s.dataset_id::text
                  || '","dataset_type":' || k.dataset_type
                  || ',"end":' || CASE WHEN upper_inf(s.validity) THEN 'null' ELSE
                      '"' || to_char(upper(s.validity) AT TIME ZONE 'UTC',
                                     'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') || '"' END || '}'
             ELSE '{"data_id":' || k.data_id || ',"dataset_id":"' || s.dataset_id::text
                  || '","dataset_type":' || k.dataset_type || '}'
             END AS line
      FROM stored AS s JOIN keys AS k ON k.data_id_key = s.data_id_key) AS l
UNION ALL
SELECT lpad(ch.n::text, 10, '0'),
       '{"child":' || to_json(ch.name)::text || ',"position":' || ch.n::text || '}'
FROM children AS ch
$$;
