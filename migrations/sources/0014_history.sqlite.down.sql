-- Undo revision 0014 on SQLite (source of versions/0014_history.sqlite.down.sql): the
-- history triggers, tables and certification columns go (the history is lost, the
-- content stays).
DROP TRIGGER collection_history_insert;
DROP TRIGGER collection_history_update;
DROP TRIGGER collection_history_delete;
DROP TRIGGER collection_chain_history_insert;
DROP TRIGGER collection_chain_history_update;
DROP TRIGGER collection_chain_history_delete;
DROP TRIGGER tag_history_insert;
DROP TRIGGER tag_history_update;
DROP TRIGGER tag_history_delete;
DROP TRIGGER dataset_history_insert;
DROP TRIGGER dataset_history_update;
DROP TRIGGER dataset_history_delete;
DROP TRIGGER certification_history_insert;
DROP TRIGGER certification_history_update;
DROP TRIGGER certification_history_delete;
DROP TABLE certification_version;
DROP TABLE dataset_version;
DROP TABLE tag_version;
DROP TABLE chain_version;
DROP TABLE collection_version;
DROP TABLE change_context;
DROP TABLE change;
ALTER TABLE certification DROP COLUMN created_operation;
ALTER TABLE certification DROP COLUMN created_change;
