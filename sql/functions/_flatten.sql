CREATE OR REPLACE FUNCTION calib._flatten(p_collection_id integer)
RETURNS TABLE (ord bigint, collection_id integer, name text, type text)
LANGUAGE sql STABLE
AS $$
/* The search path of a collection: itself if it is not a chain, else its children
   depth-first in chain order, chains expanded, each collection once (first occurrence).
   Position paths sort lexicographically in exactly depth-first order. The depth bound is a
   guard only: set_chain refuses cycles.
   Deliberately without SET search_path (unlike every other function): a SQL function with
   a SET clause is never inlined, and PostgreSQL then plans this body again on every call
   (about 200 us, most of a lookup). Inlined, it is planned once with the caller's cached
   plan. Every name below is schema-qualified and the callers all pin search_path; the
   function is private (granted to no one). */
WITH RECURSIVE walk (collection_id, path) AS (
    SELECT p_collection_id, ARRAY[]::integer[]
    UNION ALL
    SELECT ch.child_id, w.path || ch.position
    FROM walk AS w
    JOIN calib.collection_chain AS ch ON ch.parent_id = w.collection_id
    WHERE cardinality(w.path) < 100
), firsts AS (
    SELECT DISTINCT ON (w.collection_id) w.collection_id, w.path
    FROM walk AS w
    ORDER BY w.collection_id, w.path
)
SELECT row_number() OVER (ORDER BY f.path), c.collection_id, c.name, c.type
FROM firsts AS f
JOIN calib.collection AS c ON c.collection_id = f.collection_id
WHERE c.type <> 'CHAINED'
ORDER BY f.path
$$;
