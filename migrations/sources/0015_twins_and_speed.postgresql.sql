-- Revision 0015 (0014 -> 0015) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0015_twins_and_speed.postgresql.sql. calib._revision answers 0015; each
-- topic adds its block below, before the closing comments, grants and security.
\ir ../../sql/functions/_revision.sql
-- integrity: check_integrity also checks the history (history_overlap, history_version_order).
\ir ../../sql/functions/check_integrity.sql
-- speed: lookups probe indexes whatever the statistics (issue 17 item 3): find_many names
-- each dataset's RUN with one primary-key probe per query (calib._lookup).
\ir ../../sql/functions/_lookup.sql
-- speed: end
\ir ../../sql/schema/comments.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
