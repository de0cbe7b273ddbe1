-- FROZEN downgrade of revision 0017, written by migrations/freeze.py from sources/0017_speed2.sqlite.down.sql.
-- Never edit by hand.
-- Undo revision 0017 on SQLite (source of versions/0017_speed2.sqlite.down.sql). Each topic
-- adds its block below.

-- sq-writes2: revision 0012's FROZEN guards of a certification UPDATE (two probes) and
-- INSERT, revision 0005's insert guard, and change_context without checked_into.
DROP TRIGGER certification_frozen_update;
CREATE TRIGGER certification_frozen_update BEFORE UPDATE ON certification
WHEN (SELECT state FROM collection WHERE collection_id = NEW.collection_id) = 'FROZEN'
  OR (SELECT state FROM collection WHERE collection_id = OLD.collection_id) = 'FROZEN'
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
DROP TRIGGER certification_frozen_insert;
CREATE TRIGGER certification_frozen_insert BEFORE INSERT ON certification
WHEN (SELECT state FROM collection WHERE collection_id = NEW.collection_id) = 'FROZEN'
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
DROP TRIGGER certification_guard_insert;
CREATE TRIGGER certification_guard_insert BEFORE INSERT ON certification
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
ALTER TABLE change_context DROP COLUMN checked_into;
-- sq-writes2: end
