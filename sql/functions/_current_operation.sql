CREATE OR REPLACE FUNCTION calib._current_operation()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* The operation the versions written by the current client statement are recorded with:
   the public function that named itself with calib._operation in this same statement
   (its label carries the statement's start), else 'sql' (raw SQL, or a later statement of
   the transaction). The one place this is decided (calib._record_versions,
   calib._certification_statement). Errors: none. Locks: none. */
SELECT CASE WHEN split_part(v.label, ' ', 2) = extract(epoch FROM statement_timestamp())::text
            THEN split_part(v.label, ' ', 1) ELSE 'sql' END
FROM (SELECT current_setting('calib._operation', true) AS label) AS v
$$;
