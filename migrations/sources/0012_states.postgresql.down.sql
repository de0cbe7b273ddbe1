-- Undo revision 0012 on PostgreSQL (source of versions/0012_states.postgresql.down.sql):
-- freeze.py first puts back the functions 0012 re-creates as 0011 had them
-- (list_collections dropped and created again: its old result type); here its owner and
-- grants come back, the FROZEN triggers and the state/writers columns go (states and
-- writer lists are lost); freeze.py drops the functions 0012 created after this point.
ALTER FUNCTION calib.list_collections(text) OWNER TO calib_owner;
REVOKE ALL ON FUNCTION calib.list_collections(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION calib.list_collections(text) TO calib_reader, calib_writer;
DROP TRIGGER collection_frozen_guard ON calib.collection;
DROP TRIGGER certification_frozen_insert ON calib.certification;
DROP TRIGGER certification_frozen_update ON calib.certification;
DROP TRIGGER certification_frozen_delete ON calib.certification;
DROP TRIGGER tag_frozen_insert ON calib.tag;
DROP TRIGGER tag_frozen_update ON calib.tag;
DROP TRIGGER tag_frozen_delete ON calib.tag;
DROP TRIGGER dataset_frozen_insert ON calib.dataset;
DROP TRIGGER dataset_frozen_update ON calib.dataset;
DROP TRIGGER dataset_frozen_delete ON calib.dataset;
DROP TRIGGER collection_chain_frozen_insert ON calib.collection_chain;
DROP TRIGGER collection_chain_frozen_update ON calib.collection_chain;
DROP TRIGGER collection_chain_frozen_delete ON calib.collection_chain;
DROP TRIGGER certification_frozen_truncate ON calib.certification;
DROP TRIGGER tag_frozen_truncate ON calib.tag;
DROP TRIGGER dataset_frozen_truncate ON calib.dataset;
DROP TRIGGER collection_chain_frozen_truncate ON calib.collection_chain;
DROP TRIGGER collection_frozen_truncate ON calib.collection;
ALTER TABLE calib.collection DROP COLUMN state, DROP COLUMN writers;
