-- Revision 0014 (0013 -> 0014) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0014_history.postgresql.sql (issue 16, items 1-3: epochs, as-of reads,
-- history; README "History and time travel").
-- * calib.change (one row per committed change, its epoch stamped at COMMIT by the deferred
--   constraint trigger change_epoch under the epoch lock, so epochs follow commit order),
--   calib.epoch_seq, and the version tables of collection, collection_chain, certification,
--   tag and dataset, kept by statement-level triggers (calib._record_versions) for every
--   writer. Current certifications carry their creating change (created_change,
--   created_operation); their version table keeps closed versions only.
-- * Existing content: when the database holds any collection, one change with epoch 1
--   (reason 'revision 0014: existing content', operation 'upgrade') creates a version of
--   every existing row (existing certifications: their new columns' constant default), so as-of reads at epoch 1 answer as the database did at the
--   upgrade; epoch 0 is the empty state before it. An empty database starts at epoch 0.
-- * Every mutating function names its operation (calib._operation), recorded with its
--   versions: those functions are re-created.
-- * As-of forms of find, find_many, certifications, get_chain (new overloads with a
--   trailing as_of; the existing forms are unchanged), current_epoch, epoch_at, history;
--   calib._lookup takes p_as_of (a new signature: the old one is dropped).
\ir ../../sql/schema/history.sql
-- What existed at the upgrade: epoch 1 (before the triggers exist, so that the deferred
-- epoch trigger does not number this change again).
INSERT INTO calib.change (epoch, committed_at, db_role, reason)
SELECT 1, clock_timestamp(), current_user, 'revision 0014: existing content'
WHERE EXISTS (SELECT FROM calib.collection);
DO $$
BEGIN
    IF EXISTS (SELECT FROM calib.change WHERE epoch = 1) THEN
        PERFORM setval('calib.epoch_seq', 1);
    END IF;
END
$$;
\ir ../../sql/schema/certification_history.sql
\ir ../../sql/functions/_operation.sql
\ir ../../sql/functions/_change.sql
\ir ../../sql/functions/_stamp_epoch.sql
\ir ../../sql/functions/_current_operation.sql
\ir ../../sql/functions/_record_versions.sql
\ir ../../sql/functions/_certification_statement.sql
\ir ../../sql/functions/_stamp_row.sql
\ir ../../sql/functions/_visible.sql
\ir ../../sql/functions/current_epoch.sql
\ir ../../sql/functions/epoch_at.sql
\ir ../../sql/functions/_as_of.sql
\ir ../../sql/functions/_epoch_text.sql
\ir ../../sql/functions/_collection_as_of.sql
\ir ../../sql/functions/_search_path_as_of.sql
\ir ../../sql/functions/_probe_as_of.sql
DROP FUNCTION calib._lookup(text, text, jsonb[], tstzrange[]);
\ir ../../sql/functions/_probe_all_as_of.sql
\ir ../../sql/functions/_lookup.sql
INSERT INTO calib.collection_version (collection_id, name, type, state, writers,
                                      created_change, created_operation)
SELECT c.collection_id, c.name, c.type, c.state, c.writers, ch.change_id, 'upgrade'
FROM calib.collection AS c CROSS JOIN calib.change AS ch WHERE ch.epoch = 1;
INSERT INTO calib.chain_version (parent_id, position, child_id, created_change, created_operation)
SELECT c.parent_id, c.position, c.child_id, ch.change_id, 'upgrade'
FROM calib.collection_chain AS c CROSS JOIN calib.change AS ch WHERE ch.epoch = 1;
INSERT INTO calib.tag_version (collection_id, dataset_type_id, data_id_key, dataset_id,
                               created_change, created_operation)
SELECT c.collection_id, c.dataset_type_id, c.data_id_key, c.dataset_id, ch.change_id, 'upgrade'
FROM calib.tag AS c CROSS JOIN calib.change AS ch WHERE ch.epoch = 1;
INSERT INTO calib.dataset_version (dataset_id, dataset_type_id, data_id_key, run_id,
                                   created_change, created_operation)
SELECT c.dataset_id, c.dataset_type_id, c.data_id_key, c.run_id, ch.change_id, 'upgrade'
FROM calib.dataset AS c CROSS JOIN calib.change AS ch WHERE ch.epoch = 1;
\ir ../../sql/functions/register_collection.sql
\ir ../../sql/functions/set_chain.sql
\ir ../../sql/functions/remove_collection.sql
\ir ../../sql/functions/register_dataset_type.sql
\ir ../../sql/functions/insert_datasets.sql
\ir ../../sql/functions/tag.sql
\ir ../../sql/functions/untag.sql
\ir ../../sql/functions/_certify_rows.sql
\ir ../../sql/functions/certify.sql
\ir ../../sql/functions/certify_series.sql
\ir ../../sql/functions/decertify.sql
\ir ../../sql/functions/close_open_range.sql
\ir ../../sql/functions/copy_collection.sql
\ir ../../sql/functions/set_collection_state.sql
\ir ../../sql/functions/set_collection_writers.sql
\ir ../../sql/functions/find.sql
\ir ../../sql/functions/find_many.sql
\ir ../../sql/functions/certifications.sql
\ir ../../sql/functions/get_chain.sql
\ir ../../sql/functions/history.sql
\ir ../../sql/functions/_revision.sql
\ir ../../sql/schema/history_triggers.sql
\ir ../../sql/schema/comments.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
