-- Revision 0014 (0013 -> 0014) on SQLite: the source that migrations/freeze.py expands into
-- versions/0014_history.sqlite.sql (issue 16, items 1-3). The change log (change, with
-- epochs taken inside the serialized write transaction), change_context, the version
-- tables, the certification columns created_change / created_operation, the row triggers
-- that keep them for every writer, and the existing content as epoch 1 (reason
-- 'revision 0014: existing content', operation 'upgrade'; an empty file starts at 0).
\ir ../../sql/sqlite/schema/history.sql
