-- Revision 0010 (0009 -> 0010) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0010_dimension_types.postgresql.sql (issue 14, item 2). One value type per
-- dimension name, fixed at first use (calib.dimension, filled here from the stored data
-- IDs; calib._fix_dimensions, calib._canonical_data_ids, calib._canonical_where and the
-- statement triggers on calib.data_id enforce it); one set of limits and Unicode rules for
-- names and data-ID values (NFC, no control / format characters: calib._forbidden_character,
-- also in the name CHECKs; values 1-255 characters, a data ID at most 2000 bytes; at most 32
-- dimensions). A database whose stored data IDs already mix the types of a dimension, or
-- whose names break the new rules, is refused, unchanged, naming them (the revision module
-- says the same before this script runs): nothing is merged silently.
\ir ../../sql/functions/_forbidden_character.sql
DO $$
DECLARE
    v_problems text;
BEGIN
    SELECT string_agg(format('dimension %L has integer values (e.g. %s) and string values '
                             '(e.g. %s)', t.key, t.int_example, t.str_example), '; '
                      ORDER BY t.key)
    INTO v_problems
    FROM (SELECT e.key,
                 min(e.value::text) FILTER (WHERE jsonb_typeof(e.value) = 'number') AS int_example,
                 min(e.value::text) FILTER (WHERE jsonb_typeof(e.value) = 'string') AS str_example
          FROM calib.data_id AS d CROSS JOIN LATERAL jsonb_each(d.value) AS e
          GROUP BY e.key
          HAVING count(DISTINCT jsonb_typeof(e.value)) > 1) AS t;
    IF v_problems IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'KC008',
            MESSAGE = 'cannot upgrade to revision 0010: stored data IDs mix the value types of '
                      'a dimension: ' || v_problems,
            HINT = 'Make the values of each dimension one type (integer or string), then '
                   'upgrade again. Nothing was changed.';
    END IF;
    SELECT string_agg(format('%s %L', n.what, n.name), '; ' ORDER BY n.what, n.name)
    INTO v_problems
    FROM (SELECT 'collection name' AS what, name FROM calib.collection
          UNION ALL SELECT 'dataset type name', name FROM calib.dataset_type
          UNION ALL SELECT DISTINCT 'dimension name', unnest(dimensions) FROM calib.dataset_type
          UNION ALL SELECT DISTINCT 'data-ID value', e.value #>> '{}'
          FROM calib.data_id AS d CROSS JOIN LATERAL jsonb_each(d.value) AS e
          WHERE jsonb_typeof(e.value) = 'string' AND NOT (e.value #>> '{}') IS NFC NORMALIZED) AS n
    WHERE NOT n.name IS NFC NORMALIZED
       OR (n.what <> 'data-ID value' AND calib._forbidden_character(n.name) IS NOT NULL);
    IF v_problems IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'KC014',
            MESSAGE = 'cannot upgrade to revision 0010: stored names or values break its '
                      'rules (Unicode NFC, no control or format characters): ' || v_problems,
            HINT = 'Rename them (or rewrite the values in NFC), then upgrade again. Nothing '
                   'was changed.';
    END IF;
END
$$;
\ir ../../sql/schema/dimension.sql
INSERT INTO calib.dimension (name, value_type)
SELECT e.key, min(CASE jsonb_typeof(e.value) WHEN 'string' THEN 'string' ELSE 'integer' END)
FROM calib.data_id AS d CROSS JOIN LATERAL jsonb_each(d.value) AS e
WHERE jsonb_typeof(e.value) IN ('string', 'number')
GROUP BY e.key;
ALTER TABLE calib.collection DROP CONSTRAINT collection_name_check,
    ADD CONSTRAINT collection_name_check
        CHECK (char_length(name) BETWEEN 1 AND 255 AND name IS NFC NORMALIZED
               AND calib._forbidden_character(name) IS NULL);
ALTER TABLE calib.dataset_type DROP CONSTRAINT dataset_type_name_check,
    ADD CONSTRAINT dataset_type_name_check
        CHECK (char_length(name) BETWEEN 1 AND 255 AND name IS NFC NORMALIZED
               AND calib._forbidden_character(name) IS NULL);
\ir ../../sql/functions/_check_name.sql
\ir ../../sql/functions/_collection.sql
\ir ../../sql/functions/_dataset_type.sql
\ir ../../sql/functions/_canonical_data_ids.sql
\ir ../../sql/functions/_fix_dimensions.sql
\ir ../../sql/functions/_canonical_where.sql
\ir ../../sql/functions/_data_id_types_trigger.sql
\ir ../../sql/functions/register_collection.sql
\ir ../../sql/functions/set_chain.sql
\ir ../../sql/functions/register_dataset_type.sql
\ir ../../sql/functions/insert_datasets.sql
\ir ../../sql/functions/copy_collection.sql
\ir ../../sql/functions/query_datasets.sql
\ir ../../sql/schema/triggers.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
