-- Collection states on SQLite (revision 0012; the twin of the state column of
-- sql/schema/tables.sql and of sql/schema/frozen.sql). There are no roles on SQLite, so no
-- writer lists. The column is added by ALTER TABLE, on a fresh install too, so that both
-- leave the same table definition in sqlite_master (tests/test_migrations.py).
ALTER TABLE collection ADD COLUMN state TEXT NOT NULL DEFAULT 'OPEN'
    CONSTRAINT collection_state_check CHECK (state IN ('OPEN', 'APPEND_ONLY', 'FROZEN'));

-- The FROZEN rule for every writer of the file, plain sqlite3 included: no row of a FROZEN
-- collection (its own row, certifications, tags, datasets of a RUN, chain children of a
-- CHAINED one) is inserted, changed or deleted. The backend refuses first with the
-- operation's name (backends/sqlite/states.py); these hold for everyone else. Changing only
-- a frozen collection's state is allowed (how it is unfrozen). A chain child is not
-- guarded: putting a FROZEN collection into a chain changes the chain. Each refusal is
-- RAISE(ABORT, 'collection_frozen'): the statement is undone, the transaction stays open.
CREATE TRIGGER collection_frozen_update BEFORE UPDATE ON collection
WHEN OLD.state = 'FROZEN'
 AND (NEW.collection_id IS NOT OLD.collection_id OR NEW.name IS NOT OLD.name
      OR NEW.type IS NOT OLD.type OR NEW.doc IS NOT OLD.doc)
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
CREATE TRIGGER collection_frozen_delete BEFORE DELETE ON collection
WHEN OLD.state = 'FROZEN'
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
-- copy_collection's copy into the collection it has just created (OPEN) and decertify's
-- second pieces (its collection's state checked first) are let through
-- (change_context.checked_into: see certification_guard_insert in guards.sql).
CREATE TRIGGER certification_frozen_insert BEFORE INSERT ON certification
WHEN (NEW.created_operation NOT IN ('copy_collection', 'decertify')
      OR NEW.collection_id IS NOT (SELECT checked_into FROM change_context WHERE id = 1))
 AND (SELECT state FROM collection WHERE collection_id = NEW.collection_id) = 'FROZEN'
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
-- A certification that stays in its collection probes it once (revision 0017: the second
-- probe was about 0.3 us of every changed row, close_open_range and decertify change many).
CREATE TRIGGER certification_frozen_update BEFORE UPDATE ON certification
WHEN (SELECT state FROM collection WHERE collection_id = NEW.collection_id) = 'FROZEN'
  OR (NEW.collection_id IS NOT OLD.collection_id
      AND (SELECT state FROM collection WHERE collection_id = OLD.collection_id) = 'FROZEN')
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
CREATE TRIGGER certification_frozen_delete BEFORE DELETE ON certification
WHEN (SELECT state FROM collection WHERE collection_id = OLD.collection_id) = 'FROZEN'
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
CREATE TRIGGER tag_frozen_insert BEFORE INSERT ON tag
WHEN (SELECT state FROM collection WHERE collection_id = NEW.collection_id) = 'FROZEN'
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
CREATE TRIGGER tag_frozen_update BEFORE UPDATE ON tag
WHEN (SELECT state FROM collection WHERE collection_id = NEW.collection_id) = 'FROZEN'
  OR (SELECT state FROM collection WHERE collection_id = OLD.collection_id) = 'FROZEN'
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
CREATE TRIGGER tag_frozen_delete BEFORE DELETE ON tag
WHEN (SELECT state FROM collection WHERE collection_id = OLD.collection_id) = 'FROZEN'
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
CREATE TRIGGER dataset_frozen_insert BEFORE INSERT ON dataset
WHEN (SELECT state FROM collection WHERE collection_id = NEW.run_id) = 'FROZEN'
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
CREATE TRIGGER dataset_frozen_update BEFORE UPDATE ON dataset
WHEN (SELECT state FROM collection WHERE collection_id = NEW.run_id) = 'FROZEN'
  OR (SELECT state FROM collection WHERE collection_id = OLD.run_id) = 'FROZEN'
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
CREATE TRIGGER dataset_frozen_delete BEFORE DELETE ON dataset
WHEN (SELECT state FROM collection WHERE collection_id = OLD.run_id) = 'FROZEN'
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
CREATE TRIGGER collection_chain_frozen_insert BEFORE INSERT ON collection_chain
WHEN (SELECT state FROM collection WHERE collection_id = NEW.parent_id) = 'FROZEN'
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
CREATE TRIGGER collection_chain_frozen_update BEFORE UPDATE ON collection_chain
WHEN (SELECT state FROM collection WHERE collection_id = NEW.parent_id) = 'FROZEN'
  OR (SELECT state FROM collection WHERE collection_id = OLD.parent_id) = 'FROZEN'
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
CREATE TRIGGER collection_chain_frozen_delete BEFORE DELETE ON collection_chain
WHEN (SELECT state FROM collection WHERE collection_id = OLD.parent_id) = 'FROZEN'
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
