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
-- explain: a snapshot member is explained as find reads it (its source's members as of the
-- snapshot's epoch), and as of an epoch each member is read at its own epoch.
\ir ../../sql/functions/_member_candidates.sql
\ir ../../sql/functions/_explain.sql
-- explain: end
-- revert: a conflict's details carry the row's facts, no longer its text (the clients render
-- it from them, as every other message).
\ir ../../sql/functions/_revert_conflict.sql
-- revert: end
\ir ../../sql/schema/comments.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
