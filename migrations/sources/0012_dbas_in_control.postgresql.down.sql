-- Undo revision 0012 on PostgreSQL (source of versions/0012_dbas_in_control.postgresql.down.sql).
-- freeze.py first puts back every function 0012 re-creates as 0011 had them
-- (list_collections dropped and created again: its old result type) and, after this file,
-- drops the functions 0012 created. Here: the comments 0012 gave the functions 0011 had are
-- removed; list_collections gets its owner back; the FROZEN triggers and the state/writers
-- columns go (states and writer lists are lost); this database's service roles lose every
-- privilege on calibcert's objects, calib.installation goes, and revision 0011's grants
-- come back (calib_reader, and calib_writer holding every mutating function directly;
-- created if missing). Roles are the cluster's: none is dropped.
COMMENT ON FUNCTION calib.certifications(text, text) IS NULL;
COMMENT ON FUNCTION calib.certify(text, uuid[], tstzrange, boolean) IS NULL;
COMMENT ON FUNCTION calib.certify(text, jsonb, tstzrange, boolean) IS NULL;
COMMENT ON FUNCTION calib.certify(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.certify_series(text, uuid[], timestamptz[], boolean) IS NULL;
COMMENT ON FUNCTION calib.certify_series(text, jsonb, jsonb, boolean) IS NULL;
COMMENT ON FUNCTION calib.certify_series(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.close_open_range(text, text, timestamptz, jsonb[]) IS NULL;
COMMENT ON FUNCTION calib.close_open_range(text, text, timestamptz, jsonb) IS NULL;
COMMENT ON FUNCTION calib.close_open_range(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.copy_collection(text, text, text) IS NULL;
COMMENT ON FUNCTION calib.decertify(text, text, tstzrange, jsonb[]) IS NULL;
COMMENT ON FUNCTION calib.decertify(text, text, tstzrange, jsonb) IS NULL;
COMMENT ON FUNCTION calib.decertify(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.find(text, text, jsonb, timestamptz) IS NULL;
COMMENT ON FUNCTION calib.find(text, text, jsonb, tstzrange) IS NULL;
COMMENT ON FUNCTION calib.find(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.find(text, text, jsonb, text) IS NULL;
COMMENT ON FUNCTION calib.find_many(text, text, jsonb[], timestamptz[]) IS NULL;
COMMENT ON FUNCTION calib.find_many(text, text, jsonb[], tstzrange[]) IS NULL;
COMMENT ON FUNCTION calib.find_many(text, text, jsonb, jsonb) IS NULL;
COMMENT ON FUNCTION calib.find_many(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.get_chain(text) IS NULL;
COMMENT ON FUNCTION calib.get_datasets(uuid[]) IS NULL;
COMMENT ON FUNCTION calib.get_datasets(jsonb) IS NULL;
COMMENT ON FUNCTION calib.get_datasets(text) IS NULL;
COMMENT ON FUNCTION calib.insert_datasets(text, text, jsonb[], uuid[]) IS NULL;
COMMENT ON FUNCTION calib.insert_datasets(text, text, jsonb, jsonb) IS NULL;
COMMENT ON FUNCTION calib.insert_datasets(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.list_collections(text) IS NULL;
COMMENT ON FUNCTION calib.list_dataset_types() IS NULL;
COMMENT ON FUNCTION calib.probe(integer, integer, tstzrange) IS NULL;
COMMENT ON FUNCTION calib.query_datasets(text, text, jsonb) IS NULL;
COMMENT ON FUNCTION calib.query_datasets(text, text, text) IS NULL;
COMMENT ON FUNCTION calib.register_collection(text, text, text) IS NULL;
COMMENT ON FUNCTION calib.register_dataset_type(text, text[], boolean) IS NULL;
COMMENT ON FUNCTION calib.register_dataset_type(text, jsonb, boolean) IS NULL;
COMMENT ON FUNCTION calib.register_dataset_type(text, text, text) IS NULL;
COMMENT ON FUNCTION calib.remove_collection(text) IS NULL;
COMMENT ON FUNCTION calib.set_chain(text, text[]) IS NULL;
COMMENT ON FUNCTION calib.set_chain(text, jsonb) IS NULL;
COMMENT ON FUNCTION calib.set_chain(text, text) IS NULL;
COMMENT ON FUNCTION calib.tag(text, uuid[]) IS NULL;
COMMENT ON FUNCTION calib.tag(text, jsonb) IS NULL;
COMMENT ON FUNCTION calib.tag(text, text) IS NULL;
COMMENT ON FUNCTION calib.untag(text, uuid[]) IS NULL;
COMMENT ON FUNCTION calib.untag(text, jsonb) IS NULL;
COMMENT ON FUNCTION calib.untag(text, text) IS NULL;
ALTER FUNCTION calib.list_collections(text) OWNER TO calib_owner;
REVOKE ALL ON FUNCTION calib.list_collections(text) FROM PUBLIC;
DROP TRIGGER collection_frozen_guard ON calib.collection;
DROP TRIGGER certification_frozen_insert ON calib.certification;
DROP TRIGGER certification_frozen_update ON calib.certification;
DROP TRIGGER certification_frozen_delete ON calib.certification;
DROP TRIGGER tag_frozen_insert ON calib.tag;
DROP TRIGGER tag_frozen_update ON calib.tag;
DROP TRIGGER tag_frozen_delete ON calib.tag;
DROP TRIGGER dataset_frozen_insert ON calib.dataset;
DROP TRIGGER dataset_frozen_update ON calib.dataset;
DROP TRIGGER dataset_frozen_delete ON calib.dataset;
DROP TRIGGER collection_chain_frozen_insert ON calib.collection_chain;
DROP TRIGGER collection_chain_frozen_update ON calib.collection_chain;
DROP TRIGGER collection_chain_frozen_delete ON calib.collection_chain;
DROP TRIGGER certification_frozen_truncate ON calib.certification;
DROP TRIGGER tag_frozen_truncate ON calib.tag;
DROP TRIGGER dataset_frozen_truncate ON calib.dataset;
DROP TRIGGER collection_chain_frozen_truncate ON calib.collection_chain;
DROP TRIGGER collection_frozen_truncate ON calib.collection;
ALTER TABLE calib.collection DROP COLUMN state, DROP COLUMN writers;
DO $$
DECLARE
    v_prefix text := (SELECT i.role_prefix FROM calib.installation AS i);
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY[v_prefix || '_reader', v_prefix || '_certifier',
                                  v_prefix || '_admin'] LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON SCHEMA calib FROM %I', v_role);
        EXECUTE pg_catalog.format('REVOKE ALL ON ALL TABLES IN SCHEMA calib FROM %I', v_role);
        EXECUTE pg_catalog.format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA calib FROM %I', v_role);
    END LOOP;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'calib_reader') THEN
        CREATE ROLE calib_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'calib_writer') THEN
        CREATE ROLE calib_writer NOLOGIN;
    END IF;
END
$$;
DROP TABLE calib.installation;
/* Privileges. Functions run as their owner (SECURITY DEFINER, search_path pinned), so
   callers need EXECUTE, not table rights: every change goes through the functions (and so
   through their checks, locks and, later, the history ledger). calib_reader may look up
   and read the tables; calib_writer may also call the mutating functions. Private helpers
   (names starting with _) are not granted to anyone. Each JSON-document and all-text form
   of a function (README "Calling from another service") gets the grant of its typed form.
   PUBLIC gets nothing: schema/security.sql revokes what PostgreSQL gives it by default and
   hands every object to calib_owner. */
GRANT USAGE ON SCHEMA calib TO calib_reader, calib_writer;
GRANT SELECT ON ALL TABLES IN SCHEMA calib TO calib_reader, calib_writer;
GRANT EXECUTE ON FUNCTION
    calib.find(text, text, jsonb, timestamptz),
    calib.find(text, text, jsonb, tstzrange),
    calib.find(text, text, text, text),
    calib.find(text, text, jsonb, text),
    calib.find_many(text, text, jsonb[], timestamptz[]),
    calib.find_many(text, text, jsonb[], tstzrange[]),
    calib.find_many(text, text, jsonb, jsonb),
    calib.find_many(text, text, text, text),
    calib.certifications(text, text),
    calib.query_datasets(text, text, jsonb),
    calib.query_datasets(text, text, text),
    calib.get_datasets(uuid[]),
    calib.get_datasets(jsonb),
    calib.get_datasets(text),
    calib.get_chain(text),
    calib.list_collections(text),
    calib.list_dataset_types(),
    calib.probe(integer, integer, tstzrange)
TO calib_reader, calib_writer;
GRANT EXECUTE ON FUNCTION
    calib.register_collection(text, text, text),
    calib.set_chain(text, text[]),
    calib.set_chain(text, jsonb),
    calib.set_chain(text, text),
    calib.remove_collection(text),
    calib.register_dataset_type(text, text[], boolean),
    calib.register_dataset_type(text, jsonb, boolean),
    calib.register_dataset_type(text, text, text),
    calib.insert_datasets(text, text, jsonb[], uuid[]),
    calib.insert_datasets(text, text, jsonb, jsonb),
    calib.insert_datasets(text, text, text, text),
    calib.tag(text, uuid[]),
    calib.tag(text, jsonb),
    calib.tag(text, text),
    calib.untag(text, uuid[]),
    calib.untag(text, jsonb),
    calib.untag(text, text),
    calib.certify(text, uuid[], tstzrange, boolean),
    calib.certify(text, jsonb, tstzrange, boolean),
    calib.certify(text, text, text, text),
    calib.certify_series(text, uuid[], timestamptz[], boolean),
    calib.certify_series(text, jsonb, jsonb, boolean),
    calib.certify_series(text, text, text, text),
    calib.decertify(text, text, tstzrange, jsonb[]),
    calib.decertify(text, text, tstzrange, jsonb),
    calib.decertify(text, text, text, text),
    calib.close_open_range(text, text, timestamptz, jsonb[]),
    calib.close_open_range(text, text, timestamptz, jsonb),
    calib.close_open_range(text, text, text, text),
    calib.copy_collection(text, text, text)
TO calib_writer;
