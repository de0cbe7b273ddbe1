-- Revision 0012 (0011 -> 0012) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0012_dbas_in_control.postgresql.sql (issue 15: DBAs in control).
-- * Roles (items 2, 6): <prefix>_reader ⊂ <prefix>_certifier ⊂ <prefix>_admin per
--   database, the prefix chosen at the first install (setting calib.role_prefix, default
--   calib) and kept in the new one-row table calib.installation; calib_writer becomes a
--   member of calib_certifier and holds nothing of its own (README "Roles", upgrade note).
-- * Collection states and writer lists (item 3): two columns of calib.collection (every
--   existing collection becomes OPEN with no writer list), calib._check_change called by
--   every mutating function after its lock, the FROZEN triggers (sql/schema/frozen.sql),
--   set_collection_state, set_collection_writers; list_collections shows both (a new
--   result type: dropped and created again).
-- * Bounded waits (item 5): calib._bound_waits sets the bound around every wait
--   (collection rows, the chain lock, a new collection / dataset-type name, a dimension's
--   first use, a new data ID or dataset id) and calib._lock_timeout raises 55P03 naming
--   what was waited for.
-- * Health (item 4): calib.check_integrity(), calib.collection_stats(), calib._revision();
--   every public function gets a COMMENT generated from its header (schema/comments.sql);
--   functions whose headers now follow the convention are re-created.
-- No row changes but the two new columns' defaults. SQLite: the state column and its
-- FROZEN triggers (0012_dbas_in_control.sqlite.sql).
\ir ../../sql/schema/roles.sql
\ir ../../sql/functions/_bound_waits.sql
\ir ../../sql/functions/_lock_timeout.sql
\ir ../../sql/functions/_lock_collections.sql
\ir ../../sql/functions/_lock_chains.sql
\ir ../../sql/functions/_fix_dimensions.sql
\ir ../../sql/functions/register_collection.sql
\ir ../../sql/functions/register_dataset_type.sql
\ir ../../sql/functions/copy_collection.sql
\ir ../../sql/functions/insert_datasets.sql
ALTER TABLE calib.collection
    ADD COLUMN state text NOT NULL DEFAULT 'OPEN',
    ADD COLUMN writers text[],
    ADD CONSTRAINT collection_state_check CHECK (state IN ('OPEN', 'APPEND_ONLY', 'FROZEN')),
    ADD CONSTRAINT collection_writers_check
        CHECK (writers IS NULL OR (cardinality(writers) > 0
                                   AND array_position(writers, NULL) IS NULL));
CREATE INDEX collection_frozen_idx ON calib.collection (collection_id) WHERE state = 'FROZEN';
DROP FUNCTION calib.list_collections(text);
\ir ../../sql/functions/_caller.sql
\ir ../../sql/functions/_check_change.sql
\ir ../../sql/functions/_frozen_guard.sql
\ir ../../sql/functions/_certify_rows.sql
\ir ../../sql/functions/list_collections.sql
\ir ../../sql/functions/set_chain.sql
\ir ../../sql/functions/remove_collection.sql
\ir ../../sql/functions/tag.sql
\ir ../../sql/functions/untag.sql
\ir ../../sql/functions/certify.sql
\ir ../../sql/functions/decertify.sql
\ir ../../sql/functions/close_open_range.sql
\ir ../../sql/functions/set_collection_state.sql
\ir ../../sql/functions/set_collection_writers.sql
\ir ../../sql/schema/frozen.sql
\ir ../../sql/functions/_revision.sql
\ir ../../sql/functions/check_integrity.sql
\ir ../../sql/functions/collection_stats.sql
\ir ../../sql/functions/certifications.sql
\ir ../../sql/functions/find.sql
\ir ../../sql/functions/find_many.sql
\ir ../../sql/functions/get_chain.sql
\ir ../../sql/functions/get_datasets.sql
\ir ../../sql/functions/list_dataset_types.sql
\ir ../../sql/functions/probe.sql
\ir ../../sql/functions/query_datasets.sql
\ir ../../sql/schema/comments.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
