-- Undo revision 0010 on SQLite (source of versions/0010_dimension_types.sqlite.down.sql).
DROP TRIGGER data_id_types_guard_insert;
DROP TRIGGER data_id_types_guard_update;
DROP TRIGGER data_id_types_fix_insert;
DROP TRIGGER data_id_types_fix_update;
DROP TRIGGER dimension_insert_bump;
DROP TRIGGER dimension_update_bump;
DROP TRIGGER dimension_delete_bump;
DROP TABLE dimension;
