-- Revision 0013 (0012 -> 0013) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0013_digest.postgresql.sql (issue 16, item 7: collection digests).
-- calib.collection_digest(text), granted to the reader role, and its private helpers
-- calib._digest_rows (the one query of the tables behind a digest) and
-- calib._digest_data_id (a data ID as the canonical form writes it); the COMMENT of the
-- new function; calib._revision answers 0013. No table and no row changes; SQLite has
-- nothing to change (its twin is Python: pyclient/calibcert/backends/sqlite/
-- collection_digest.py).
\ir ../../sql/functions/_revision.sql
\ir ../../sql/functions/_digest_rows.sql
\ir ../../sql/functions/collection_digest.sql
\ir ../../sql/schema/comments.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
