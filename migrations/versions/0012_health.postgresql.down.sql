-- FROZEN downgrade of revision 0012, written by migrations/freeze.py from sources/0012_health.postgresql.down.sql.
-- Never edit by hand.
-- The functions this revision re-creates, as the previous revision had them (freeze.py).
-- Undo revision 0012 on PostgreSQL (source of versions/0012_health.postgresql.down.sql):
-- freeze.py drops the functions 0012 creates (check_integrity, collection_stats, _revision);
-- the comments 0012 gave the functions that 0011 already had are removed here.
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
-- The functions this revision creates (freeze.py).
DROP FUNCTION calib._revision();
DROP FUNCTION calib.check_integrity();
DROP FUNCTION calib.collection_stats();
