-- Revision 0009 (0008 -> 0009) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0009_json_documents.postgresql.sql. Other services as callers: every public
-- function that takes a list also takes it as one jsonb array document, and has an all-text
-- form that untyped literals and drivers binding text reach (find, find_many and the list
-- functions; query_datasets with a text where clause), each a thin wrapper converting its
-- arguments (private calib._… helpers; KC016 for a document that is not an array of the right
-- things, KC009 for a time without a UTC offset) and calling the typed form. The typed forms
-- are unchanged. README "Calling from another service".
\ir ../../sql/functions/_document_array.sql
\ir ../../sql/functions/_json_text.sql
\ir ../../sql/functions/_document.sql
\ir ../../sql/functions/_uuids.sql
\ir ../../sql/functions/_data_ids.sql
\ir ../../sql/functions/_names.sql
\ir ../../sql/functions/_parse_instant.sql
\ir ../../sql/functions/_parse_timespan.sql
\ir ../../sql/functions/_parse_boolean.sql
\ir ../../sql/functions/_instants.sql
\ir ../../sql/functions/_timespans.sql
\ir ../../sql/functions/set_chain.sql
\ir ../../sql/functions/register_dataset_type.sql
\ir ../../sql/functions/insert_datasets.sql
\ir ../../sql/functions/tag.sql
\ir ../../sql/functions/untag.sql
\ir ../../sql/functions/certify.sql
\ir ../../sql/functions/certify_series.sql
\ir ../../sql/functions/decertify.sql
\ir ../../sql/functions/close_open_range.sql
\ir ../../sql/functions/find.sql
\ir ../../sql/functions/find_many.sql
\ir ../../sql/functions/query_datasets.sql
\ir ../../sql/functions/get_datasets.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
