-- FROZEN upgrade of revision 0017, written by migrations/freeze.py from sources/0017_speed2.sqlite.sql.
-- Never edit by hand.
-- Revision 0017 (0016 -> 0017) on SQLite: the source that migrations/freeze.py expands into
-- versions/0017_speed2.sqlite.sql. Each topic adds its block below.

-- sq-writes2: changing writes nearer their floors (issue 17 item 2; bench/README.md "SQLite
-- writes (revision 0017)"). The FROZEN guard of a certification UPDATE probes the row's
-- collection once when the row stays in it (the same rule: a row moved out of a FROZEN
-- collection is still refused). Two INSERT ... SELECT statements of the backend whose rows
-- hold the rules by construction (copy_collection's copy of its source's current rows into
-- the collection it has just created; decertify's second pieces of the rows it split) pass
-- the certification insert guards (overlap, parents, FROZEN) without their probes:
-- change_context.checked_into names the collection, set by the backend inside its call only
-- and cleared before the call returns; every other insert, raw ones included, is probed as
-- before. The texts are those of sql/sqlite/schema/states.sql, guards.sql and history.sql
-- (the fresh install).
DROP TRIGGER certification_frozen_update;
CREATE TRIGGER certification_frozen_update BEFORE UPDATE ON certification
WHEN (SELECT state FROM collection WHERE collection_id = NEW.collection_id) = 'FROZEN'
  OR (NEW.collection_id IS NOT OLD.collection_id
      AND (SELECT state FROM collection WHERE collection_id = OLD.collection_id) = 'FROZEN')
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
ALTER TABLE change_context ADD COLUMN checked_into INTEGER;
DROP TRIGGER certification_guard_insert;
CREATE TRIGGER certification_guard_insert BEFORE INSERT ON certification
WHEN NEW.created_operation NOT IN ('copy_collection', 'decertify')
  OR NEW.collection_id IS NOT (SELECT checked_into FROM change_context WHERE id = 1)
BEGIN
    SELECT RAISE(ABORT, 'certification_no_overlap')
    WHERE (SELECT c.end_us FROM certification AS c
           WHERE c.collection_id = NEW.collection_id AND c.data_id_key = NEW.data_id_key
             AND c.begin_us < NEW.end_us
           ORDER BY c.begin_us DESC LIMIT 1) > NEW.begin_us;
    SELECT RAISE(ABORT, 'certification_collection_fkey')
    WHERE NOT EXISTS (SELECT 1 FROM collection AS p
                      WHERE p.collection_id = NEW.collection_id AND p.type = NEW.collection_type);
    SELECT RAISE(ABORT, 'certification_dataset_fkey')
    WHERE NOT EXISTS (SELECT 1 FROM dataset AS d
                      WHERE d.dataset_id = NEW.dataset_id
                        AND d.dataset_type_id = NEW.dataset_type_id
                        AND d.data_id_key = NEW.data_id_key AND d.run_id = NEW.run_id);
END;
DROP TRIGGER certification_frozen_insert;
CREATE TRIGGER certification_frozen_insert BEFORE INSERT ON certification
WHEN (NEW.created_operation NOT IN ('copy_collection', 'decertify')
      OR NEW.collection_id IS NOT (SELECT checked_into FROM change_context WHERE id = 1))
 AND (SELECT state FROM collection WHERE collection_id = NEW.collection_id) = 'FROZEN'
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
-- sq-writes2: end
