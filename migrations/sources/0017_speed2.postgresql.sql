-- Revision 0017 (0016 -> 0017) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0017_speed2.postgresql.sql. calib._revision answers 0017; each topic adds its
-- block below, before the closing comments, grants and security.
\ir ../../sql/functions/_revision.sql
-- pg-findmany: calib._lookup (find_many, find over a timespan) plans its statements with
-- jit = off: with guessed statistics a batch of 10^4 pairs cost past jit_optimize_above_cost
-- and spent 300 ms compiling for 200 ms of index probes (issue 17 items 3 and 5).
\ir ../../sql/functions/_lookup.sql
-- pg-findmany: end
\ir ../../sql/schema/comments.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
