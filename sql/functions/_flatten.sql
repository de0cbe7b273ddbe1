CREATE OR REPLACE FUNCTION calib._flatten(p_collection_id integer)
RETURNS TABLE (ord bigint, collection_id integer, name text, type text)
LANGUAGE sql STABLE
AS $$
/* The search path of a collection: itself if it is not a chain, else its children
   depth-first in chain order, chains expanded, each collection once (first occurrence),
   ord 1..n. Stored in calib.search_path (kept by triggers, computed by
   calib._refresh_search_paths), so this reads it with one index scan instead of walking
   the chains. Rows come in no particular order: every caller orders by ord.
   Deliberately without SET search_path (unlike every other function): a SQL function with
   a SET clause is never inlined, and PostgreSQL then plans this body again on every call
   (about 200 us, most of a lookup). Inlined, it is planned once with the caller's cached
   plan. Every name below is schema-qualified and the callers all pin search_path; the
   function is private (granted to no one). */
SELECT sp.rank::bigint, c.collection_id, c.name, c.type
FROM calib.search_path AS sp
JOIN calib.collection AS c ON c.collection_id = sp.member_id
WHERE sp.collection_id = p_collection_id
$$;
