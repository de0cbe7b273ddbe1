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
\ir ../../sql/schema/comments.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
