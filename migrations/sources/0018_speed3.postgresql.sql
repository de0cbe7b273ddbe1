-- Revision 0018 (0017 -> 0018) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0018_speed3.postgresql.sql. calib._revision answers 0018; each topic adds its
-- block below, before the closing comments, grants and security.
\ir ../../sql/functions/_revision.sql
\ir ../../sql/schema/comments.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
