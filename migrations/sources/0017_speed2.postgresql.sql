-- Revision 0017 (0016 -> 0017) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0017_speed2.postgresql.sql. calib._revision answers 0017; each topic adds its
-- block below, before the closing comments, grants and security.
\ir ../../sql/functions/_revision.sql
-- pg-findmany: calib._lookup (find_many, find over a timespan) plans its statements with
-- jit = off: with guessed statistics a batch of 10^4 pairs cost past jit_optimize_above_cost
-- and spent 300 ms compiling for 200 ms of index probes (issue 17 items 3 and 5).
\ir ../../sql/functions/_lookup.sql
-- pg-findmany: calib.probe reaches a calibration key's certifications through a btree index
-- by begin (certification_lookup_idx), not the exclusion constraint's GiST index: at 10^6
-- certifications a GiST probe read ~8 pages in ~40 us (5x its cost at 10^3), the btree
-- probe ~4 pages in ~4 us, so that lookups cost about the same at every size (item 5).
CREATE INDEX certification_lookup_idx
    ON calib.certification (collection_id, data_id_key,
                            (coalesce(lower(validity), '-infinity'::timestamptz)));
\ir ../../sql/functions/probe.sql
-- pg-findmany: end
-- pg-fk: the references of calib.certification_version to calib.change checked once per
-- statement by triggers (the same guarantees: the named changes exist and are locked FOR KEY
-- SHARE; a named change is not deleted, re-keyed or truncated away) instead of two declared
-- foreign keys checked once per row each.
\ir ../../sql/functions/_version_change_check.sql
\ir ../../sql/functions/_change_refs_check.sql
ALTER TABLE calib.certification_version
    DROP CONSTRAINT certification_version_created_fkey,
    DROP CONSTRAINT certification_version_removed_fkey;
\ir ../../sql/schema/history_change_refs.sql
\ir ../../sql/functions/prune_history.sql
-- pg-fk: per statement, the history's triggers do less when there is nothing to do: the
-- operation's name is set for the row defaults only when it changes, and looked up by the
-- versions trigger only when the statement changed a row.
\ir ../../sql/functions/_certification_statement.sql
\ir ../../sql/functions/_record_versions.sql
-- pg-fk: check_integrity reports versions of certifications that name a missing change
-- (missing_reference), which no declared constraint refuses any more.
\ir ../../sql/functions/check_integrity.sql
-- pg-fk: end
\ir ../../sql/schema/comments.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
