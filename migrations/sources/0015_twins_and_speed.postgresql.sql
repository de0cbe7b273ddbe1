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
-- sq-revert: a restored certification whose id a revert of the revert brought back is
-- refused as an overlap (KC001 revert_overlap), not as a raw unique violation.
\ir ../../sql/functions/_revert_apply.sql
-- sq-revert: as-of lookups and certifications still name (and list) a dataset whose RUN
-- or row a revert removed since (calib._lookup is in the speed block above).
\ir ../../sql/functions/certifications.sql
-- epochs: set_chain with the same children writes nothing (no epoch).
\ir ../../sql/functions/set_chain.sql
\ir ../../sql/schema/comments.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
