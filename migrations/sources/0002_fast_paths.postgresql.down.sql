-- Undo revision 0002 on PostgreSQL (source of versions/0002_fast_paths.postgresql.down.sql):
-- drop what 0002 added; migrations/freeze.py then appends every function as revision 0001
-- defined it, which restores the bodies that 0002 replaced.
DROP TRIGGER collection_chain_search_path_insert ON calib.collection_chain;
DROP TRIGGER collection_chain_search_path_update ON calib.collection_chain;
DROP TRIGGER collection_chain_search_path_delete ON calib.collection_chain;
DROP TRIGGER collection_chain_search_path_truncate ON calib.collection_chain;
DROP TRIGGER collection_search_path_insert ON calib.collection;
DROP TRIGGER collection_type_search_path_before ON calib.collection;
DROP TRIGGER collection_type_search_path ON calib.collection;
DROP FUNCTION calib._search_path_trigger();
DROP FUNCTION calib._refresh_search_paths(integer[]);
DROP TABLE calib.search_path, calib.search_path_generation;
