-- Revision 0012 (0011 -> 0012) on SQLite: the source that migrations/freeze.py expands into
-- versions/0012_dbas_in_control.sqlite.sql (issue 15, item 3). Collection states: the state column
-- (every existing collection becomes OPEN) and the FROZEN triggers. No writer lists (no
-- roles on SQLite).
\ir ../../sql/sqlite/schema/states.sql
