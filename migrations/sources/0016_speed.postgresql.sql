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
-- pg-writes: decertify shortens a row in place (UPDATE with a new certification_id: the
-- history is the same as a delete and an insert) and inserts only a split's second piece:
-- PostgreSQL re-checks no foreign key for a row whose key columns did not change.
\ir ../../sql/functions/decertify.sql
-- pg-writes: the small helpers every write calls (the operation's name, the caller's role,
-- data-ID keys, the forbidden-character rule of names) in PL/pgSQL instead of SQL: a SQL
-- function with a SET clause is parsed and planned again at every call.
\ir ../../sql/functions/_forbidden_character.sql
\ir ../../sql/functions/_caller.sql
\ir ../../sql/functions/_operation.sql
\ir ../../sql/functions/_current_operation.sql
\ir ../../sql/functions/_data_id_keys.sql
-- pg-writes: end
\ir ../../sql/schema/comments.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
