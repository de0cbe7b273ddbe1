-- Revision 0011 (0010 -> 0011) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0011_psql_errors.postgresql.sql (issue 14, item 3). Errors read well in
-- psql: calib._raise starts the message with the SQLSTATE ("KC002: collection 'x' does not
-- exist"), and every PL/pgSQL function calls it, and the helpers it runs for their effect,
-- as plain expressions (`IF calib._raise(...) IS NULL THEN END IF;`) instead of PERFORM, so
-- that the error's CONTEXT names functions and lines without the text of the calls. Same
-- SQLSTATEs, same DETAIL; no table, no grant and no row changes. Also: query_datasets
-- refuses a where key that is not a dimension, and the rules of one data-ID value live
-- in one function, calib._data_id_value (calib._canonical_data_ids and
-- calib._canonical_where both run it; security.sql hands it to calib_owner). SQLite: no
-- change.
\ir ../../sql/functions/_raise.sql
\ir ../../sql/functions/_check_name.sql
\ir ../../sql/functions/_collection.sql
\ir ../../sql/functions/_dataset_type.sql
\ir ../../sql/functions/_data_id_value.sql
\ir ../../sql/functions/_canonical_data_ids.sql
\ir ../../sql/functions/_canonical_where.sql
\ir ../../sql/functions/_timespan.sql
\ir ../../sql/functions/_document_array.sql
\ir ../../sql/functions/_json_text.sql
\ir ../../sql/functions/_document.sql
\ir ../../sql/functions/_uuids.sql
\ir ../../sql/functions/_names.sql
\ir ../../sql/functions/_parse_instant.sql
\ir ../../sql/functions/_parse_timespan.sql
\ir ../../sql/functions/_parse_boolean.sql
\ir ../../sql/functions/_instants.sql
\ir ../../sql/functions/_timespans.sql
\ir ../../sql/functions/_lock_collections.sql
\ir ../../sql/functions/_refresh_search_paths.sql
\ir ../../sql/functions/_search_path_trigger.sql
\ir ../../sql/functions/_resolve_datasets.sql
\ir ../../sql/functions/_certify_rows.sql
\ir ../../sql/functions/_lookup.sql
\ir ../../sql/functions/_data_id_types_trigger.sql
\ir ../../sql/functions/register_collection.sql
\ir ../../sql/functions/set_chain.sql
\ir ../../sql/functions/remove_collection.sql
\ir ../../sql/functions/register_dataset_type.sql
\ir ../../sql/functions/insert_datasets.sql
\ir ../../sql/functions/tag.sql
\ir ../../sql/functions/untag.sql
\ir ../../sql/functions/certify_series.sql
\ir ../../sql/functions/decertify.sql
\ir ../../sql/functions/close_open_range.sql
\ir ../../sql/functions/copy_collection.sql
\ir ../../sql/functions/get_datasets.sql
\ir ../../sql/schema/security.sql
