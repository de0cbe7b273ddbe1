-- Revision 0010 (0009 -> 0010) on SQLite: the source that migrations/freeze.py expands into
-- versions/0010_dimension_types.sqlite.sql (issue 14, item 2). One value type per dimension
-- name, fixed at first use: table dimension, filled here from the stored data IDs, and
-- triggers that hold every writer of data_id to it (sql/sqlite/schema/dimension.sql). The
-- limits and Unicode rules of names and values are the backend's (calibcert.types), as on
-- PostgreSQL. A file whose data IDs already mix the value types of a dimension is refused,
-- unchanged (the revision module names each such dimension with an example of each type
-- before this script runs; the CHECK below is the script's own guard).
CREATE TEMP TABLE calibcert_0010_check (
    mixed INTEGER NOT NULL,
    CONSTRAINT "stored data IDs mix the value types of a dimension (integer and string): make each dimension one type, then upgrade"
        CHECK (mixed = 0)
);
INSERT INTO calibcert_0010_check
SELECT count(*) FROM (
    SELECT j.key FROM data_id AS d, json_each(d.value) AS j
    WHERE j.type IN ('integer', 'text')
    GROUP BY j.key HAVING count(DISTINCT j.type) > 1);
DROP TABLE calibcert_0010_check;
\ir ../../sql/sqlite/schema/dimension.sql
INSERT INTO dimension (name, value_type)
SELECT j.key, min(CASE j.type WHEN 'text' THEN 'string' ELSE 'integer' END)
FROM data_id AS d, json_each(d.value) AS j
WHERE j.type IN ('integer', 'text')
GROUP BY j.key;
