-- Undo revision 0014 on PostgreSQL (source of versions/0014_history.postgresql.down.sql).
-- freeze.py first puts back every function 0014 re-creates as 0013 had them (the mutating
-- functions without their operation label, calib._lookup with its four arguments) and,
-- after this file, drops the functions 0014 created. Here: the version triggers, the change
-- log, the version tables and the epoch sequence go (the history is lost; the current
-- content is untouched); the four-argument calib._lookup gets its owner back.
DROP TRIGGER certification_versions_statement ON calib.certification;
DROP TRIGGER certification_versions_row ON calib.certification;
DROP TRIGGER certification_versions_update ON calib.certification;
DROP TRIGGER certification_versions_delete ON calib.certification;
DROP TRIGGER certification_versions_truncate ON calib.certification;
DROP TRIGGER collection_versions_insert ON calib.collection;
DROP TRIGGER collection_versions_update ON calib.collection;
DROP TRIGGER collection_versions_delete ON calib.collection;
DROP TRIGGER collection_versions_truncate ON calib.collection;
DROP TRIGGER collection_chain_versions_insert ON calib.collection_chain;
DROP TRIGGER collection_chain_versions_update ON calib.collection_chain;
DROP TRIGGER collection_chain_versions_delete ON calib.collection_chain;
DROP TRIGGER collection_chain_versions_truncate ON calib.collection_chain;
DROP TRIGGER tag_versions_insert ON calib.tag;
DROP TRIGGER tag_versions_update ON calib.tag;
DROP TRIGGER tag_versions_delete ON calib.tag;
DROP TRIGGER tag_versions_truncate ON calib.tag;
DROP TRIGGER dataset_versions_insert ON calib.dataset;
DROP TRIGGER dataset_versions_update ON calib.dataset;
DROP TRIGGER dataset_versions_delete ON calib.dataset;
DROP TRIGGER dataset_versions_truncate ON calib.dataset;
DROP VIEW calib.certification_history;
ALTER TABLE calib.certification DROP COLUMN created_change, DROP COLUMN created_operation;
DROP TABLE calib.collection_version, calib.chain_version, calib.certification_version,
    calib.tag_version, calib.dataset_version, calib.change;
DROP SEQUENCE calib.epoch_seq;
-- calib._lookup was dropped and created again with p_as_of: the restored four-argument form
-- gets its owner back, and PUBLIC loses what CREATE FUNCTION gave it.
ALTER FUNCTION calib._lookup(text, text, jsonb[], tstzrange[]) OWNER TO calib_owner;
REVOKE ALL ON FUNCTION calib._lookup(text, text, jsonb[], tstzrange[]) FROM PUBLIC;
