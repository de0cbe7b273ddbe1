-- Guards for every writer of a calibcert SQLite file (revision 0005). PostgreSQL's
-- constraints hold whoever writes; on SQLite a DBA script or another tool writing through
-- plain sqlite3 bypasses the backend's checks, so the file refuses what PostgreSQL refuses:
--
-- * an overlapping certification of one calibration key (PostgreSQL: the exclusion
--   constraint certification_no_overlap). Always on: SQLite has nothing native for it.
--   Rows of one key never overlap, so sorted by begin their ends are sorted too: a new
--   [b, e) overlaps a stored row exactly when the last row of its key that begins before e
--   ends after b, one probe of the primary key (collection_id, data_id_key, begin_us).
--   Rows inserted earlier by the same statement are visible to the probe, so the rows of
--   one call are checked against each other as well.
-- * rows pointing at a missing or mistyped parent, and deletes or key changes that would
--   leave children behind (PostgreSQL: the foreign keys, their CASCADE / RESTRICT). SQLite
--   enforces the foreign keys of tables.sql only on connections with PRAGMA foreign_keys
--   on (the backend's are), and a plain sqlite3 connection has it off. These triggers do
--   the same work whatever the setting: asking for it (pragma_foreign_keys) costs more per
--   row than the probes themselves (measured: copying 5*10^4 certifications took 0.13 s
--   bare, 0.19 s with the overlap probe, 0.29 s with the parent probes as well, 0.57 s
--   with the parent probes skipped when foreign_keys is on). The update triggers fire
--   only when the columns they check change.
--
-- Each refusal is RAISE(ABORT, '<constraint name>'): the statement is undone, the
-- transaction stays open, and the name is PostgreSQL's, which the backend maps to its
-- errors (errors.CONSTRAINT_MAP). A SQLite trigger fires on one event only, so the insert
-- and update triggers of a table state the same checks twice.

-- Steps aside for two statements of the backend only, while change_context.checked_into
-- names their collection (set by the backend inside its call, cleared before the call
-- returns; history.sql), each writing rows that hold every rule below by construction:
-- * copy_collection's INSERT ... SELECT of its source's current rows into the collection it
--   has just created (empty, OPEN, of the source's type): current rows of one collection,
--   kept free of overlaps by this trigger (and by the upgrade to revision 0005), pointing at
--   datasets that dataset_guard_delete / _update keep (a snapshot's rows, read from
--   versions, are not copied this way);
-- * decertify's INSERT of the second piece [e, end) of each row [begin, end) it split, after
--   shortening that row to [begin, b) (b < e) in the same call: inside the old row's span,
--   so it overlaps nothing the row did not, with the row's own collection and dataset.
-- Any other insert, also one a raw writer stamps 'copy_collection' or 'decertify', finds
-- checked_into NULL and is probed; the first test is a string compare, so the inserts of
-- certify and of raw writers do not pay the change_context probe (revision 0017: ~2.5 us
-- of a copied row's ~5).
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

-- As above, the row being changed aside (its old version is still stored). A row that only
-- shrinks (same key, new validity inside the old one: close_open_range, certify's
-- close_open) cannot overlap anything its old validity did not, so it skips the probe
-- (revision 0016: the probe was a tenth of such an UPDATE's per-row cost), for every writer.
CREATE TRIGGER certification_guard_update BEFORE UPDATE OF collection_id, data_id_key, begin_us, end_us
ON certification
WHEN NOT (NEW.collection_id = OLD.collection_id AND NEW.data_id_key = OLD.data_id_key
          AND NEW.begin_us >= OLD.begin_us AND NEW.end_us <= OLD.end_us)
BEGIN
    SELECT RAISE(ABORT, 'certification_no_overlap')
    WHERE (SELECT c.end_us FROM certification AS c
           WHERE c.collection_id = NEW.collection_id AND c.data_id_key = NEW.data_id_key
             AND c.begin_us < NEW.end_us
             AND NOT (c.collection_id = OLD.collection_id AND c.data_id_key = OLD.data_id_key
                      AND c.begin_us = OLD.begin_us)
           ORDER BY c.begin_us DESC LIMIT 1) > NEW.begin_us;
END;
CREATE TRIGGER certification_guard_update_refs BEFORE UPDATE OF collection_id,
    collection_type, dataset_id, dataset_type_id, data_id_key, run_id ON certification
BEGIN
    SELECT RAISE(ABORT, 'certification_collection_fkey')
    WHERE NOT EXISTS (SELECT 1 FROM collection AS p
                      WHERE p.collection_id = NEW.collection_id AND p.type = NEW.collection_type);
    SELECT RAISE(ABORT, 'certification_dataset_fkey')
    WHERE NOT EXISTS (SELECT 1 FROM dataset AS d
                      WHERE d.dataset_id = NEW.dataset_id
                        AND d.dataset_type_id = NEW.dataset_type_id
                        AND d.data_id_key = NEW.data_id_key AND d.run_id = NEW.run_id);
END;

CREATE TRIGGER tag_guard_insert BEFORE INSERT ON tag
BEGIN
    SELECT RAISE(ABORT, 'tag_collection_fkey')
    WHERE NOT EXISTS (SELECT 1 FROM collection AS p
                      WHERE p.collection_id = NEW.collection_id AND p.type = NEW.collection_type);
    SELECT RAISE(ABORT, 'tag_dataset_fkey')
    WHERE NOT EXISTS (SELECT 1 FROM dataset AS d
                      WHERE d.dataset_id = NEW.dataset_id
                        AND d.dataset_type_id = NEW.dataset_type_id
                        AND d.data_id_key = NEW.data_id_key AND d.run_id = NEW.run_id);
END;
CREATE TRIGGER tag_guard_update BEFORE UPDATE OF collection_id, collection_type, dataset_id,
    dataset_type_id, data_id_key, run_id ON tag
BEGIN
    SELECT RAISE(ABORT, 'tag_collection_fkey')
    WHERE NOT EXISTS (SELECT 1 FROM collection AS p
                      WHERE p.collection_id = NEW.collection_id AND p.type = NEW.collection_type);
    SELECT RAISE(ABORT, 'tag_dataset_fkey')
    WHERE NOT EXISTS (SELECT 1 FROM dataset AS d
                      WHERE d.dataset_id = NEW.dataset_id
                        AND d.dataset_type_id = NEW.dataset_type_id
                        AND d.data_id_key = NEW.data_id_key AND d.run_id = NEW.run_id);
END;

CREATE TRIGGER dataset_guard_insert BEFORE INSERT ON dataset
BEGIN
    SELECT RAISE(ABORT, 'dataset_run_fkey')
    WHERE NOT EXISTS (SELECT 1 FROM collection AS p
                      WHERE p.collection_id = NEW.run_id AND p.type = NEW.run_type);
    SELECT RAISE(ABORT, 'dataset_data_id_fkey')
    WHERE NOT EXISTS (SELECT 1 FROM data_id AS k
                      WHERE k.data_id_key = NEW.data_id_key
                        AND k.dataset_type_id = NEW.dataset_type_id);
END;
-- A dataset stays in its RUN forever and is never deleted: a raw change of its identity
-- would orphan its tags and certifications.
CREATE TRIGGER dataset_guard_update BEFORE UPDATE OF dataset_id, dataset_type_id, data_id_key,
    run_id, run_type ON dataset
BEGIN
    SELECT RAISE(ABORT, 'dataset_run_fkey')
    WHERE NOT EXISTS (SELECT 1 FROM collection AS p
                      WHERE p.collection_id = NEW.run_id AND p.type = NEW.run_type);
    SELECT RAISE(ABORT, 'dataset_data_id_fkey')
    WHERE NOT EXISTS (SELECT 1 FROM data_id AS k
                      WHERE k.data_id_key = NEW.data_id_key
                        AND k.dataset_type_id = NEW.dataset_type_id);
    SELECT RAISE(ABORT, 'certification_dataset_fkey')
    WHERE EXISTS (SELECT 1 FROM certification AS c WHERE c.dataset_id = OLD.dataset_id);
    SELECT RAISE(ABORT, 'tag_dataset_fkey')
    WHERE EXISTS (SELECT 1 FROM tag AS t WHERE t.dataset_id = OLD.dataset_id);
END;
CREATE TRIGGER dataset_guard_delete BEFORE DELETE ON dataset
BEGIN
    SELECT RAISE(ABORT, 'certification_dataset_fkey')
    WHERE EXISTS (SELECT 1 FROM certification AS c WHERE c.dataset_id = OLD.dataset_id);
    SELECT RAISE(ABORT, 'tag_dataset_fkey')
    WHERE EXISTS (SELECT 1 FROM tag AS t WHERE t.dataset_id = OLD.dataset_id);
END;

CREATE TRIGGER data_id_guard_insert BEFORE INSERT ON data_id
BEGIN
    SELECT RAISE(ABORT, 'data_id_dataset_type_fkey')
    WHERE NOT EXISTS (SELECT 1 FROM dataset_type AS t
                      WHERE t.dataset_type_id = NEW.dataset_type_id);
END;
CREATE TRIGGER data_id_guard_update BEFORE UPDATE OF data_id_key, dataset_type_id ON data_id
BEGIN
    SELECT RAISE(ABORT, 'data_id_dataset_type_fkey')
    WHERE NOT EXISTS (SELECT 1 FROM dataset_type AS t
                      WHERE t.dataset_type_id = NEW.dataset_type_id);
    SELECT RAISE(ABORT, 'dataset_data_id_fkey')
    WHERE EXISTS (SELECT 1 FROM dataset AS d WHERE d.data_id_key = OLD.data_id_key);
END;
CREATE TRIGGER data_id_guard_delete BEFORE DELETE ON data_id
BEGIN
    SELECT RAISE(ABORT, 'dataset_data_id_fkey')
    WHERE EXISTS (SELECT 1 FROM dataset AS d WHERE d.data_id_key = OLD.data_id_key);
END;

CREATE TRIGGER dataset_type_guard_update BEFORE UPDATE OF dataset_type_id ON dataset_type
BEGIN
    SELECT RAISE(ABORT, 'data_id_dataset_type_fkey')
    WHERE EXISTS (SELECT 1 FROM data_id AS k WHERE k.dataset_type_id = OLD.dataset_type_id);
END;
CREATE TRIGGER dataset_type_guard_delete BEFORE DELETE ON dataset_type
BEGIN
    SELECT RAISE(ABORT, 'data_id_dataset_type_fkey')
    WHERE EXISTS (SELECT 1 FROM data_id AS k WHERE k.dataset_type_id = OLD.dataset_type_id);
END;

CREATE TRIGGER collection_chain_guard_insert BEFORE INSERT ON collection_chain
BEGIN
    SELECT RAISE(ABORT, 'collection_chain_parent_fkey')
    WHERE NOT EXISTS (SELECT 1 FROM collection AS p
                      WHERE p.collection_id = NEW.parent_id AND p.type = NEW.parent_type);
    SELECT RAISE(ABORT, 'collection_chain_child_fkey')
    WHERE NOT EXISTS (SELECT 1 FROM collection AS p WHERE p.collection_id = NEW.child_id);
END;
CREATE TRIGGER collection_chain_guard_update BEFORE UPDATE OF parent_id, parent_type, child_id
ON collection_chain
BEGIN
    SELECT RAISE(ABORT, 'collection_chain_parent_fkey')
    WHERE NOT EXISTS (SELECT 1 FROM collection AS p
                      WHERE p.collection_id = NEW.parent_id AND p.type = NEW.parent_type);
    SELECT RAISE(ABORT, 'collection_chain_child_fkey')
    WHERE NOT EXISTS (SELECT 1 FROM collection AS p WHERE p.collection_id = NEW.child_id);
END;

-- Removing a collection: what refers to it as a RUN or as a chain's child forbids it
-- (RESTRICT); its own certifications, tags and chain rows go with it (CASCADE). A change of
-- its id or type is refused while anything refers to it by both (no ON UPDATE action;
-- a chain's child is referred to by id alone).
CREATE TRIGGER collection_guard_delete BEFORE DELETE ON collection
BEGIN
    SELECT RAISE(ABORT, 'dataset_run_fkey')
    WHERE EXISTS (SELECT 1 FROM dataset AS d WHERE d.run_id = OLD.collection_id);
    SELECT RAISE(ABORT, 'collection_chain_child_fkey')
    WHERE EXISTS (SELECT 1 FROM collection_chain AS h WHERE h.child_id = OLD.collection_id);
    DELETE FROM certification WHERE collection_id = OLD.collection_id;
    DELETE FROM tag WHERE collection_id = OLD.collection_id;
    DELETE FROM collection_chain WHERE parent_id = OLD.collection_id;
END;
CREATE TRIGGER collection_guard_update BEFORE UPDATE OF collection_id, type ON collection
WHEN NEW.collection_id IS NOT OLD.collection_id OR NEW.type IS NOT OLD.type
BEGIN
    SELECT RAISE(ABORT, 'dataset_run_fkey')
    WHERE EXISTS (SELECT 1 FROM dataset AS d WHERE d.run_id = OLD.collection_id);
    SELECT RAISE(ABORT, 'certification_collection_fkey')
    WHERE EXISTS (SELECT 1 FROM certification AS c WHERE c.collection_id = OLD.collection_id);
    SELECT RAISE(ABORT, 'tag_collection_fkey')
    WHERE EXISTS (SELECT 1 FROM tag AS t WHERE t.collection_id = OLD.collection_id);
    SELECT RAISE(ABORT, 'collection_chain_parent_fkey')
    WHERE EXISTS (SELECT 1 FROM collection_chain AS h WHERE h.parent_id = OLD.collection_id);
    SELECT RAISE(ABORT, 'collection_chain_child_fkey')
    WHERE NEW.collection_id IS NOT OLD.collection_id
      AND EXISTS (SELECT 1 FROM collection_chain AS h WHERE h.child_id = OLD.collection_id);
END;
