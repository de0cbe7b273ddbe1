-- Revision 0012 (0011 -> 0012) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0012_waits.postgresql.sql (issue 15, item 5). Every wait inside a calib
-- function is bounded: calib._bound_waits sets the bound (calib.lock_timeout, or the
-- session's shorter lock_timeout; '0' = do not wait) around each wait - collection rows,
-- the chain lock, a new collection / dataset-type name, a dimension's first use, a new
-- data ID or dataset id - and calib._lock_timeout raises 55P03 naming what was waited for
-- (README "Locks, waits and retries"). No table, grant or row changes. SQLite: no change
-- (busy_timeout handling is unchanged).
\ir ../../sql/functions/_bound_waits.sql
\ir ../../sql/functions/_lock_timeout.sql
\ir ../../sql/functions/_lock_collections.sql
\ir ../../sql/functions/_lock_chains.sql
\ir ../../sql/functions/_fix_dimensions.sql
\ir ../../sql/functions/register_collection.sql
\ir ../../sql/functions/register_dataset_type.sql
\ir ../../sql/functions/copy_collection.sql
\ir ../../sql/functions/insert_datasets.sql
\ir ../../sql/schema/security.sql
