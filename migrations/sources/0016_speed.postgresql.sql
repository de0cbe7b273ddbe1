-- Revision 0016 (0015 -> 0016) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0016_speed.postgresql.sql. calib._revision answers 0016; each topic adds its
-- block below, before the closing comments, grants and security.
\ir ../../sql/functions/_revision.sql
-- probe: issue 12 item 9: calib.probe picks each member's one probe with a CASE of subplans
-- instead of a UNION ALL of all kinds behind one-time filters, so that every lookup starts
-- fewer plan nodes (the rule itself, first member decides and ambiguous is an error, is
-- unchanged and still written once, in calib.probe).
\ir ../../sql/functions/probe.sql
-- probe: end
\ir ../../sql/schema/comments.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
