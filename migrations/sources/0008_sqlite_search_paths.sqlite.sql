-- Revision 0008 (0007 -> 0008) on SQLite: the source that migrations/freeze.py expands into
-- versions/0008_sqlite_search_paths.sqlite.sql. Chains use stored search paths, as on
-- PostgreSQL since revision 0002 (sql/sqlite/schema/search_path.sql); the paths of the
-- collections already in the file are computed here by the same statements the backend runs
-- after a chain change. PostgreSQL: no change.
\ir ../../sql/sqlite/schema/search_path.sql
CREATE TEMP TABLE IF NOT EXISTS search_path_roots (collection_id INTEGER PRIMARY KEY);
DELETE FROM temp.search_path_roots;
INSERT INTO temp.search_path_roots (collection_id) SELECT collection_id FROM collection;
\ir ../../sql/sqlite/functions/refresh_search_paths.sql
DROP TABLE temp.search_path_roots;
DROP TABLE temp.search_path_scope;
DROP TABLE temp.search_path_walk;
