-- Undo revision 0008 on SQLite (source of versions/0008_sqlite_search_paths.sqlite.down.sql).
DROP TRIGGER collection_search_path_insert;
DROP TRIGGER collection_search_path_delete;
DROP TRIGGER collection_search_path_update;
DROP TRIGGER collection_chain_search_path_insert;
DROP TRIGGER collection_chain_search_path_update;
DROP TRIGGER collection_chain_search_path_delete;
DROP TABLE search_path_state;
DROP TABLE search_path;
