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
-- sec-locks: end
-- lead: begin
-- lead: end
\ir ../../sql/schema/comments.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
