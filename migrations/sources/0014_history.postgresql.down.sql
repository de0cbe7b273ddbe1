-- Undo revision 0014 on PostgreSQL (source of versions/0014_history.postgresql.down.sql).
-- freeze.py first puts back every function 0014 re-creates as 0013 had them (the mutating
-- functions without their operation label, calib._lookup with its four arguments) and,
-- after this file, drops the functions 0014 created. Here: the version triggers, the change
-- log, the version tables and the epoch sequence go (the history is lost; the current
-- content is untouched); the four-argument calib._lookup gets its owner back.
-- snapshots: refused while a snapshot exists (0013 has no way to read one: it would turn
-- into an empty FROZEN collection and lookups through it would silently change); remove
-- them first (calib.remove_collection). Then the table and the search-path columns go, and
-- list_collections (dropped and restored by freeze.py: its result lost two columns) gets
-- its owner and its grant back.
DO $$
BEGIN
    IF EXISTS (SELECT FROM calib.snapshot AS s JOIN calib.collection AS c USING (collection_id)) THEN
        RAISE EXCEPTION 'cannot downgrade below revision 0014 while snapshot collections exist: remove them first (calib.remove_collection)';
    END IF;
END
$$;
DROP TABLE calib.snapshot;
-- The functions put back by freeze.py keep the comments 0014 gave them: 0013's, again.
COMMENT ON FUNCTION calib.copy_collection(text, text, text) IS 'Create p_destination with the type of p_source and all its associations: certifications with their timespans (CALIBRATION), tags (TAGGED) or chain children (CHAINED). Set-based: one INSERT ... SELECT. p_doc defaults to the source''s doc.
Arguments: p_source text, p_destination text, p_doc text DEFAULT NULL
Locks: for a chain, calib._lock_chains(); the source row FOR SHARE (waits for writers in flight, then copies their complete result); the new row is invisible until commit. A destination name that another open transaction is creating: wait for it to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait collection_name).
Errors: KC002 unknown source, KC003 source is a RUN, KC010 destination exists, KC014 bad destination name.';
COMMENT ON FUNCTION calib.get_chain(text) IS 'The direct children of CHAINED collection p_parent, in order.
Arguments: p_parent text
Locks: none. Read-only.
Errors: KC002 unknown collection, KC003 not CHAINED.';
COMMENT ON FUNCTION calib.list_collections(text) IS 'Every collection (optionally of one type: RUN, TAGGED, CALIBRATION or CHAINED, any case), by name, with its state (OPEN, APPEND_ONLY, FROZEN) and writer list (NULL: every certifier).
Arguments: p_type text DEFAULT NULL
Locks: none; read-only.
Errors: none of its own.';
COMMENT ON FUNCTION calib.query_datasets(text, text, jsonb) IS 'The datasets of p_dataset_type visible in a RUN, TAGGED or CHAINED collection without a time: for each data ID the first RUN / TAGGED member holding it decides (as find with no time); CALIBRATION members are skipped. p_where narrows by data-ID values (jsonb containment, e.g. ''{"detector": 3}''). Ordered by data ID (interning order). This is how "certify all biases in this run" picks its datasets.
Arguments: p_collection text, p_dataset_type text, p_where jsonb DEFAULT NULL
Locks: none; read-only.
Errors: KC002, KC003 (a CALIBRATION collection itself), KC005, KC008 (p_where: a bad value, or one of the other type than its dimension''s; calib._canonical_where).';
COMMENT ON FUNCTION calib.set_collection_state(text, text) IS 'Set the state of collection p_name: OPEN (every change allowed, the default), APPEND_ONLY (certify only at or after the latest begin of each calibration key, tag, insert_datasets, close_open and close_open_range; no decertify, untag, set_chain or removal) or FROZEN (no change at all, from any role, raw SQL included). Case-insensitive. Returns the previous state. Unfreezing (FROZEN to OPEN or APPEND_ONLY) is allowed to whoever may call this function (calib_admin): it is not itself refused by the state, nor by the writer list, which restricts changes of the collection''s content, not its administration.
Arguments: p_name text, p_state text
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections): waits for the writers in flight, and a writer that comes after sees the new state.
Errors: KC002 unknown collection, KC015 NULL or unknown state.';
ALTER TABLE calib.search_path
    DROP CONSTRAINT search_path_snapshot_check,
    DROP CONSTRAINT search_path_member_type_check,
    DROP COLUMN snapshot_of,
    DROP COLUMN snapshot_epoch,
    ADD CONSTRAINT search_path_member_type_check
        CHECK (member_type IN ('RUN', 'TAGGED', 'CALIBRATION'));
COMMENT ON FUNCTION calib.collection_digest(text) IS 'The digest of a collection''s current content: ''sha256:'' and the lowercase hex SHA-256 of its canonical form, which README "Collection digests" specifies exactly (so that another implementation can recompute it). Equal for equal content on PostgreSQL and SQLite and after export/import; the collection''s own name, doc, state and writers are not content, so a copy under another name has the same digest. A chain''s digest covers the names of its children in order, not their content (each child has a digest of its own).
Arguments: p_collection, the collection''s name.
Returns: ''sha256:'' followed by 64 lowercase hex digits.
Locks: none; read-only, one snapshot, runs on a hot standby.
Errors: KC002 unknown collection, KC015 NULL name.';
-- calib._digest_rows lost its epoch argument: the two-argument form is created again.
ALTER FUNCTION calib._digest_rows(integer, text) OWNER TO calib_owner;
REVOKE ALL ON FUNCTION calib._digest_rows(integer, text) FROM PUBLIC;
ALTER FUNCTION calib.list_collections(text) OWNER TO calib_owner;
REVOKE ALL ON FUNCTION calib.list_collections(text) FROM PUBLIC;
DO $$
BEGIN
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION calib.list_collections(text) TO %I',
                              (SELECT i.role_prefix FROM calib.installation AS i) || '_reader');
END
$$;
DROP TRIGGER certification_versions_statement ON calib.certification;
DROP TRIGGER certification_versions_row ON calib.certification;
DROP TRIGGER certification_versions_update ON calib.certification;
DROP TRIGGER certification_versions_delete ON calib.certification;
DROP TRIGGER certification_versions_truncate ON calib.certification;
DROP TRIGGER collection_versions_insert ON calib.collection;
DROP TRIGGER collection_versions_update ON calib.collection;
DROP TRIGGER collection_versions_delete ON calib.collection;
DROP TRIGGER collection_versions_truncate ON calib.collection;
DROP TRIGGER collection_chain_versions_insert ON calib.collection_chain;
DROP TRIGGER collection_chain_versions_update ON calib.collection_chain;
DROP TRIGGER collection_chain_versions_delete ON calib.collection_chain;
DROP TRIGGER collection_chain_versions_truncate ON calib.collection_chain;
DROP TRIGGER tag_versions_insert ON calib.tag;
DROP TRIGGER tag_versions_update ON calib.tag;
DROP TRIGGER tag_versions_delete ON calib.tag;
DROP TRIGGER tag_versions_truncate ON calib.tag;
DROP TRIGGER dataset_versions_insert ON calib.dataset;
DROP TRIGGER dataset_versions_update ON calib.dataset;
DROP TRIGGER dataset_versions_delete ON calib.dataset;
DROP TRIGGER dataset_versions_truncate ON calib.dataset;
DROP VIEW calib.certification_history;
ALTER TABLE calib.certification DROP COLUMN created_change, DROP COLUMN created_operation;
DROP TABLE calib.history_horizon;  -- retention
DROP TABLE calib.collection_version, calib.chain_version, calib.certification_version,
    calib.tag_version, calib.dataset_version, calib.change;
DROP SEQUENCE calib.epoch_seq;
-- calib._lookup was dropped and created again with p_as_of: the restored four-argument form
-- gets its owner back, and PUBLIC loses what CREATE FUNCTION gave it.
ALTER FUNCTION calib._lookup(text, text, jsonb[], tstzrange[]) OWNER TO calib_owner;
REVOKE ALL ON FUNCTION calib._lookup(text, text, jsonb[], tstzrange[]) FROM PUBLIC;
