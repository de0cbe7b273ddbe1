-- Revision 0018 (0017 -> 0018) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0018_speed3.postgresql.sql. calib._revision answers 0018; each topic adds its
-- block below, before the closing comments, grants and security.
\ir ../../sql/functions/_revision.sql
-- pg-small: the writes of a few rows do fewer statements per call: calib._check_change
-- tests a collection's state before the query about snapshots (that condition was planned
-- again at every call); close_open_range folds its KC009 probe into its UPDATE.
\ir ../../sql/functions/_check_change.sql
\ir ../../sql/functions/close_open_range.sql
-- pg-small: end
\ir ../../sql/schema/comments.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
