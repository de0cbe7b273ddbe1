-- Revision 0012 (0011 -> 0012) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0012_health.postgresql.sql (issue 15, item 4). Health: calib.check_integrity()
-- re-verifies every invariant from the tables, calib.collection_stats() counts per
-- collection, calib._revision() names the revision check_integrity expects; every public
-- function gets a COMMENT generated from its header (schema/comments.sql, written by
-- migrations/comments.py). A function's header is part of its definition: the functions
-- whose headers now follow the convention (Arguments: / Returns: / Locks: / Errors: lines,
-- notes after a blank line) are re-created with no other change. Both new functions are
-- granted to calib_reader and calib_writer. No table or row changes. SQLite: only the version moves (its check and statistics are
-- statements the backend runs, sql/sqlite/functions/).
\ir ../../sql/functions/_revision.sql
\ir ../../sql/functions/check_integrity.sql
\ir ../../sql/functions/collection_stats.sql
\ir ../../sql/functions/certifications.sql
\ir ../../sql/functions/decertify.sql
\ir ../../sql/functions/find.sql
\ir ../../sql/functions/find_many.sql
\ir ../../sql/functions/get_chain.sql
\ir ../../sql/functions/get_datasets.sql
\ir ../../sql/functions/list_collections.sql
\ir ../../sql/functions/list_dataset_types.sql
\ir ../../sql/functions/probe.sql
\ir ../../sql/functions/query_datasets.sql
\ir ../../sql/functions/register_dataset_type.sql
\ir ../../sql/schema/comments.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
