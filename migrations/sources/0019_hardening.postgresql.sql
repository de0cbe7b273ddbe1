-- Revision 0019 (0018 -> 0019) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0019_hardening.postgresql.sql. calib._revision answers 0019; each topic adds
-- its block below, before the closing comments, grants and security.
\ir ../../sql/functions/_revision.sql
-- sec-install: begin
-- Installs and upgrades pin the session's search_path first (sql/schema/preamble.sql, run
-- by migrations/env.py before any revision and by sql/install.sql): nothing to change in
-- place. check_integrity learns foreign_dependency and missing_guard (README "Integrity
-- check and statistics"), for databases installed before that pin or changed since.
\ir ../../sql/functions/check_integrity.sql
-- sec-install: end
-- sec-locks: begin
-- sec-locks: the epoch lock is a row of calibcert's own (calib.epoch_lock, locked FOR UPDATE),
-- no longer an advisory lock whose key any login could take and hold, stopping every write.
\ir ../../sql/schema/epoch_lock.sql
\ir ../../sql/functions/_stamp_epoch.sql
-- sec-locks: a request's replay position (calib._replay_call) counts only when this
-- transaction's calls left it, and the replayed change is checked to be the caller's role's
-- on every call (a hand-set '0' skipped that check; 'x' gave a raw 22P02).
\ir ../../sql/functions/_request.sql
-- sec-locks: documents nested too deep for PostgreSQL (repeat('[', 100000); an array literal
-- of 7 dimensions) are KC016 document_syntax, not the raw 54001 / 54000.
\ir ../../sql/functions/_json_text.sql
\ir ../../sql/functions/_document.sql
-- sec-locks: end
-- lead: begin
-- lead: end
\ir ../../sql/schema/comments.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
