-- Undo revision 0009 on SQLite (source of versions/0009_dimension_types.sqlite.down.sql).
DROP TRIGGER data_id_types_guard_insert;
DROP TRIGGER data_id_types_guard_update;
DROP TRIGGER data_id_types_fix_insert;
DROP TRIGGER data_id_types_fix_update;
DROP TRIGGER dimension_insert_bump;
DROP TRIGGER dimension_update_bump;
DROP TRIGGER dimension_delete_bump;
DROP TABLE dimension;
