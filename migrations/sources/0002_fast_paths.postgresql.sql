-- Revision 0002 (0001 -> 0002) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0002_fast_paths.postgresql.sql.
-- * calib.search_path: the flattened search path of every collection (a chain's members;
--   any other collection is its own), kept by triggers on collection and collection_chain,
--   so that lookups through chains need no recursive walk;
-- * certify: a two-statement fast way for the common case; _lock_collections: a free
--   single row is locked with SKIP LOCKED first.
\ir ../../sql/schema/search_path.sql
-- freeze: every function of sql/install.sql
\ir ../../sql/schema/triggers.sql
\ir ../../sql/schema/grants.sql
-- The paths of the collections that exist already (every one: a lookup in a collection
-- without its row would find nothing).
SELECT calib._refresh_search_paths(ARRAY(SELECT collection_id FROM calib.collection));
