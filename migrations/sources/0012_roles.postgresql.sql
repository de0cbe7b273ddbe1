-- Revision 0012 (0011 -> 0012) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0012_roles.postgresql.sql (issue 15, items 2 and 6). Three service roles
-- per database, a hierarchy by membership: <prefix>_reader ⊂ <prefix>_certifier ⊂
-- <prefix>_admin, the prefix chosen at the first install (setting calib.role_prefix,
-- default calib) and kept in the new one-row table calib.installation; an existing
-- database gets the default prefix, so its roles keep their names (or the prefix given to
-- this upgrade: it then moves to new roles, and calib_reader / calib_writer keep nothing
-- in it). calib_writer, which held
-- every mutating function directly, becomes a member of calib_certifier and holds nothing
-- of its own: an existing writer keeps every content change but loses
-- register_collection, remove_collection, register_dataset_type and set_chain (README
-- "Roles", upgrade note). No function changes; no row changes. SQLite: no roles, no change.
\ir ../../sql/schema/roles.sql
\ir ../../sql/schema/grants.sql
\ir ../../sql/schema/security.sql
