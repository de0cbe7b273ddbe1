-- FROZEN downgrade of revision 0009, written by migrations/freeze.py from sources/0009_json_documents.postgresql.down.sql.
-- Never edit by hand.
-- The functions this revision re-creates, as the previous revision had them (freeze.py).
-- Undo revision 0009 on PostgreSQL (source of versions/0009_json_documents.postgresql.down.sql):
-- freeze.py drops every function 0009 created (the JSON-document and all-text forms and
-- their private helpers) after this point; the typed forms it re-created are unchanged, and
-- dropped functions take their grants with them.
-- The functions this revision creates (freeze.py).
DROP FUNCTION calib._data_ids(jsonb,text);
DROP FUNCTION calib._document(text,text,boolean);
DROP FUNCTION calib._document_array(jsonb,text);
DROP FUNCTION calib._instants(jsonb,text);
DROP FUNCTION calib._json_text(text,text,integer);
DROP FUNCTION calib._names(jsonb,text);
DROP FUNCTION calib._parse_boolean(text,text);
DROP FUNCTION calib._parse_instant(text,text,integer);
DROP FUNCTION calib._parse_timespan(text,text,integer);
DROP FUNCTION calib._timespans(jsonb,text);
DROP FUNCTION calib._uuids(jsonb,text);
DROP FUNCTION calib.certify(text,jsonb,tstzrange,boolean);
DROP FUNCTION calib.certify(text,text,text,text);
DROP FUNCTION calib.certify_series(text,jsonb,jsonb,boolean);
DROP FUNCTION calib.certify_series(text,text,text,text);
DROP FUNCTION calib.close_open_range(text,text,text,text);
DROP FUNCTION calib.close_open_range(text,text,timestamp with time zone,jsonb);
DROP FUNCTION calib.decertify(text,text,text,text);
DROP FUNCTION calib.decertify(text,text,tstzrange,jsonb);
DROP FUNCTION calib.find(text,text,jsonb,text);
DROP FUNCTION calib.find(text,text,text,text);
DROP FUNCTION calib.find_many(text,text,jsonb,jsonb);
DROP FUNCTION calib.find_many(text,text,text,text);
DROP FUNCTION calib.get_datasets(jsonb);
DROP FUNCTION calib.get_datasets(text);
DROP FUNCTION calib.insert_datasets(text,text,jsonb,jsonb);
DROP FUNCTION calib.insert_datasets(text,text,text,text);
DROP FUNCTION calib.query_datasets(text,text,text);
DROP FUNCTION calib.register_dataset_type(text,jsonb,boolean);
DROP FUNCTION calib.register_dataset_type(text,text,text);
DROP FUNCTION calib.set_chain(text,jsonb);
DROP FUNCTION calib.set_chain(text,text);
DROP FUNCTION calib.tag(text,jsonb);
DROP FUNCTION calib.tag(text,text);
DROP FUNCTION calib.untag(text,jsonb);
DROP FUNCTION calib.untag(text,text);
