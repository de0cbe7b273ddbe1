-- FROZEN downgrade of revision 0005, written by migrations/freeze.py from sources/0005_sqlite_guards.sqlite.down.sql.
-- Never edit by hand.
-- Undo revision 0005 on SQLite (source of versions/0005_sqlite_guards.sqlite.down.sql).
DROP TRIGGER certification_guard_insert;
DROP TRIGGER certification_guard_update;
DROP TRIGGER certification_guard_update_refs;
DROP TRIGGER tag_guard_insert;
DROP TRIGGER tag_guard_update;
DROP TRIGGER dataset_guard_insert;
DROP TRIGGER dataset_guard_update;
DROP TRIGGER dataset_guard_delete;
DROP TRIGGER data_id_guard_insert;
DROP TRIGGER data_id_guard_update;
DROP TRIGGER data_id_guard_delete;
DROP TRIGGER dataset_type_guard_update;
DROP TRIGGER dataset_type_guard_delete;
DROP TRIGGER collection_chain_guard_insert;
DROP TRIGGER collection_chain_guard_update;
DROP TRIGGER collection_guard_delete;
DROP TRIGGER collection_guard_update;
