-- Revision 0005 (0004 -> 0005) on SQLite: the source that migrations/freeze.py expands into
-- versions/0005_sqlite_guards.sqlite.sql. The file guards its own invariants against every
-- writer: no overlapping certifications of one calibration key, and the foreign keys on
-- connections that have them off (sql/sqlite/schema/guards.sql). PostgreSQL: no change.
-- Rows written before the guards must already keep the rule they enforce (lookups rely on
-- it: an instant then meets at most one certification of a key): a file holding overlapping
-- certifications of one key is refused, unchanged, until they are decertified. Sorted by
-- begin, some pair overlaps exactly when some row overlaps the next one (the LAG below).
CREATE TEMP TABLE calibcert_0005_check (
    overlapping INTEGER NOT NULL,
    CONSTRAINT "certifications of one key overlap (stored before revision 0005): decertify them, then upgrade"
        CHECK (overlapping = 0)
);
INSERT INTO calibcert_0005_check
SELECT count(*) FROM (
    SELECT c.begin_us, lag(c.end_us) OVER (PARTITION BY c.collection_id, c.data_id_key
                                           ORDER BY c.begin_us) AS previous_end
    FROM certification AS c)
WHERE previous_end > begin_us;
DROP TABLE calibcert_0005_check;
\ir ../../sql/sqlite/schema/guards.sql
