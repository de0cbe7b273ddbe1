-- Revision 0004 (0003 -> 0004) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0004_one_lookup_rule.postgresql.sql. The lookup rule (first member of the
-- search path with any match decides; more than one match there is ambiguous) is written
-- once, in the new inline-only calib.probe, which calib._lookup, calib._lookup_one and the
-- Python client's prepared find all use.
\ir ../../sql/functions/probe.sql
\ir ../../sql/functions/_lookup.sql
\ir ../../sql/functions/_lookup_one.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
