-- calibcert schema, head revision. The one place the install order is written:
-- psql -v ON_ERROR_STOP=1 -1 -f sql/install.sql   (psql resolves \ir relative to this file)
-- The Python package expands the same \ir lines (calibcert.schema), and the alembic
-- revisions freeze the expansion of everything but schema/version.sql.
\ir schema/extensions.sql
\ir schema/roles.sql
\ir schema/tables.sql
\ir schema/search_path.sql
\ir functions/_raise.sql
\ir functions/_span_json.sql
\ir functions/_check_name.sql
\ir functions/_collection.sql
\ir functions/_dataset_type.sql
\ir functions/_canonical_data_ids.sql
\ir functions/_timespan.sql
\ir functions/_lock_collections.sql
\ir functions/_refresh_search_paths.sql
\ir functions/_flatten.sql
\ir functions/_resolve_datasets.sql
\ir functions/_data_id_keys.sql
\ir functions/_certification_conflicts.sql
\ir functions/_certify_rows.sql
\ir functions/_lookup.sql
\ir functions/_normalize_validity.sql
\ir functions/register_collection.sql
\ir functions/set_chain.sql
\ir functions/get_chain.sql
\ir functions/list_collections.sql
\ir functions/remove_collection.sql
\ir functions/register_dataset_type.sql
\ir functions/list_dataset_types.sql
\ir functions/insert_datasets.sql
\ir functions/tag.sql
\ir functions/untag.sql
\ir functions/certify.sql
\ir functions/certify_series.sql
\ir functions/decertify.sql
\ir functions/close_open_range.sql
\ir functions/copy_collection.sql
\ir functions/find.sql
\ir functions/find_many.sql
\ir functions/certifications.sql
\ir functions/query_datasets.sql
\ir functions/get_datasets.sql
\ir schema/triggers.sql
\ir schema/grants.sql
\ir schema/security.sql
\ir schema/version.sql
