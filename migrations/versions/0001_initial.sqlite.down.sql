-- Undo revision 0001 on SQLite: every calibcert table except alembic's version table
-- (alembic still needs it to record the downgrade). Children before parents, so the drops
-- also work on a connection with foreign_keys on. The file stays in WAL mode.
DROP TABLE certification;
DROP TABLE tag;
DROP TABLE dataset;
DROP TABLE data_id;
DROP TABLE dataset_type;
DROP TABLE collection_chain;
DROP TABLE collection;
DROP TABLE catalog_version;
