-- Undo revision 0012 on SQLite (source of versions/0012_dbas_in_control.sqlite.down.sql): the FROZEN
-- triggers and the state column go (states are lost).
DROP TRIGGER collection_frozen_update;
DROP TRIGGER collection_frozen_delete;
DROP TRIGGER certification_frozen_insert;
DROP TRIGGER certification_frozen_update;
DROP TRIGGER certification_frozen_delete;
DROP TRIGGER tag_frozen_insert;
DROP TRIGGER tag_frozen_update;
DROP TRIGGER tag_frozen_delete;
DROP TRIGGER dataset_frozen_insert;
DROP TRIGGER dataset_frozen_update;
DROP TRIGGER dataset_frozen_delete;
DROP TRIGGER collection_chain_frozen_insert;
DROP TRIGGER collection_chain_frozen_update;
DROP TRIGGER collection_chain_frozen_delete;
ALTER TABLE collection DROP COLUMN state;
