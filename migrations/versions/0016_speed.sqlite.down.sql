-- FROZEN downgrade of revision 0016, written by migrations/freeze.py from sources/0016_speed.sqlite.down.sql.
-- Never edit by hand.
-- Undo revision 0016 on SQLite (source of versions/0016_speed.sqlite.down.sql). Each topic
-- adds its block below.

-- sq-writes: revision 0015's definitions of the certification guard and history triggers,
-- and change_context without its versions column (SQLite 3.35+ drops a column).
DROP TRIGGER certification_guard_update;
CREATE TRIGGER certification_guard_update BEFORE UPDATE OF collection_id, data_id_key, begin_us, end_us
ON certification
BEGIN
    SELECT RAISE(ABORT, 'certification_no_overlap')
    WHERE (SELECT c.end_us FROM certification AS c
           WHERE c.collection_id = NEW.collection_id AND c.data_id_key = NEW.data_id_key
             AND c.begin_us < NEW.end_us
             AND NOT (c.collection_id = OLD.collection_id AND c.data_id_key = OLD.data_id_key
                      AND c.begin_us = OLD.begin_us)
           ORDER BY c.begin_us DESC LIMIT 1) > NEW.begin_us;
END;
DROP TRIGGER certification_history_update;
CREATE TRIGGER certification_history_update AFTER UPDATE OF collection_id, dataset_type_id,
    data_id_key, dataset_id, run_id, begin_us, end_us ON certification
WHEN OLD.collection_id IS NOT NEW.collection_id OR OLD.data_id_key IS NOT NEW.data_id_key
  OR OLD.begin_us IS NOT NEW.begin_us OR OLD.end_us IS NOT NEW.end_us
  OR OLD.dataset_id IS NOT NEW.dataset_id OR OLD.dataset_type_id IS NOT NEW.dataset_type_id
  OR OLD.run_id IS NOT NEW.run_id
BEGIN
    INSERT INTO change (change_id, open, committed_at)
    SELECT (SELECT coalesce(max(change_id), 0) + 1 FROM change), 1,
           CAST(round((julianday('now') - 2440587.5) * 86400000000.0) AS INTEGER)
    WHERE NOT EXISTS (SELECT 1 FROM change WHERE open = 1);
    INSERT INTO certification_version (collection_id, data_id_key, begin_us, end_us,
        dataset_type_id, dataset_id, run_id, successor_begin_us, created_change,
        removed_change, created_operation, removed_operation)
    SELECT OLD.collection_id, OLD.data_id_key, OLD.begin_us, OLD.end_us, OLD.dataset_type_id,
           OLD.dataset_id, OLD.run_id, NEW.begin_us, OLD.created_change, c.change_id,
           OLD.created_operation,
           coalesce((SELECT operation FROM change_context WHERE id = 1), 'sql')
    FROM change AS c WHERE c.open = 1 AND OLD.created_change IS NOT c.change_id;
    UPDATE certification_version SET successor_begin_us = NEW.begin_us
    WHERE collection_id = OLD.collection_id AND data_id_key = OLD.data_id_key
      AND successor_begin_us = OLD.begin_us
      AND removed_change = (SELECT change_id FROM change WHERE open = 1)
      AND OLD.created_change = removed_change;
    UPDATE certification
    SET created_change = (SELECT change_id FROM change WHERE open = 1),
        created_operation = coalesce((SELECT operation FROM change_context WHERE id = 1), 'sql')
    WHERE collection_id = NEW.collection_id AND data_id_key = NEW.data_id_key
      AND begin_us = NEW.begin_us;
END;
DROP TRIGGER certification_history_delete;
CREATE TRIGGER certification_history_delete AFTER DELETE ON certification
BEGIN
    INSERT INTO change (change_id, open, committed_at)
    SELECT (SELECT coalesce(max(change_id), 0) + 1 FROM change), 1,
           CAST(round((julianday('now') - 2440587.5) * 86400000000.0) AS INTEGER)
    WHERE NOT EXISTS (SELECT 1 FROM change WHERE open = 1);
    INSERT INTO certification_version (collection_id, data_id_key, begin_us, end_us,
        dataset_type_id, dataset_id, run_id, successor_begin_us, created_change,
        removed_change, created_operation, removed_operation)
    SELECT OLD.collection_id, OLD.data_id_key, OLD.begin_us, OLD.end_us, OLD.dataset_type_id,
           OLD.dataset_id, OLD.run_id, NULL, OLD.created_change, c.change_id,
           OLD.created_operation,
           coalesce((SELECT operation FROM change_context WHERE id = 1), 'sql')
    FROM change AS c WHERE c.open = 1 AND OLD.created_change IS NOT c.change_id;
    UPDATE certification_version SET successor_begin_us = NULL
    WHERE collection_id = OLD.collection_id AND data_id_key = OLD.data_id_key
      AND successor_begin_us = OLD.begin_us
      AND removed_change = (SELECT change_id FROM change WHERE open = 1)
      AND OLD.created_change = removed_change;
END;
ALTER TABLE change_context DROP COLUMN versions;
-- sq-writes: end
