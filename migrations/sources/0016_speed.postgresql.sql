-- Revision 0016 (0015 -> 0016) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0016_speed.postgresql.sql. calib._revision answers 0016; each topic adds its
-- block below, before the closing comments, grants and security.
\ir ../../sql/functions/_revision.sql
\ir ../../sql/schema/comments.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
