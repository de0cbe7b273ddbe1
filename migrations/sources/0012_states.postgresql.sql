-- Revision 0012 (0011 -> 0012) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0012_states.postgresql.sql (issue 15, item 3). Collection states (OPEN,
-- APPEND_ONLY, FROZEN) and writer lists: two columns of calib.collection (every existing
-- collection becomes OPEN with no writer list, i.e. as before), calib._check_change called by
-- every mutating function after its lock, the FROZEN triggers (sql/schema/frozen.sql),
-- set_collection_state and set_collection_writers, and list_collections showing both
-- (a new result type: dropped and created again, its grants with it).
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
\ir ../../sql/functions/insert_datasets.sql
\ir ../../sql/functions/tag.sql
\ir ../../sql/functions/untag.sql
\ir ../../sql/functions/certify.sql
\ir ../../sql/functions/decertify.sql
\ir ../../sql/functions/close_open_range.sql
\ir ../../sql/functions/set_collection_state.sql
\ir ../../sql/functions/set_collection_writers.sql
\ir ../../sql/schema/frozen.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
