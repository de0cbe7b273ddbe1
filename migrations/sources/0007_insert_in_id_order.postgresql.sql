-- Revision 0007 (0006 -> 0007) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0007_insert_in_id_order.postgresql.sql. calib.insert_datasets inserts the
-- datasets in id order, so that two calls given the same new ids in opposite orders
-- cannot deadlock (one waits for the other and fails with KC010 instead).
\ir ../../sql/functions/insert_datasets.sql
