-- Revision 0012 (0011 -> 0012) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0012_health.postgresql.sql (issue 15, item 4). Health: calib.check_integrity()
-- re-verifies every invariant from the tables, calib.collection_stats() counts per
-- collection, calib._revision() names the revision check_integrity expects; every public
-- function gets a COMMENT generated from its header (schema/comments.sql, written by
-- migrations/comments.py; the headers changed only in their comments, so no function is
-- re-created for it). Both new functions are granted to calib_reader and calib_writer. No
-- table or row changes. SQLite: only the version moves (its check and statistics are
-- statements the backend runs, sql/sqlite/functions/).
\ir ../../sql/functions/_revision.sql
\ir ../../sql/functions/check_integrity.sql
\ir ../../sql/functions/collection_stats.sql
\ir ../../sql/schema/comments.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
