-- Snapshots on SQLite (revision 0015; README "Snapshots"): the twin of
-- sql/schema/snapshot.sql, same table, same meaning. A snapshot is a collection row (its
-- own name, the source's type then, state FROZEN) plus one row here naming what it reads:
-- the source collection's id and the epoch. Nothing is copied: every read of the snapshot
-- is an as-of read of the source (backends/sqlite/as_of.py), so creating one costs the same
-- at any size of the source. No foreign keys, on purpose (as on PostgreSQL): a row
-- outlives both collections (collection ids are never reused, the source's versions stay,
-- and a removed snapshot's row keeps telling as-of reads of an epoch when it existed what
-- it was). A snapshot's source is never itself a snapshot.
CREATE TABLE snapshot (
    collection_id INTEGER NOT NULL,
    source_id     INTEGER NOT NULL,
    epoch         INTEGER NOT NULL,
    CONSTRAINT snapshot_pkey PRIMARY KEY (collection_id),
    CONSTRAINT snapshot_epoch_check CHECK (epoch >= 0)
);

-- The stored search paths name a snapshot member with its source and epoch (as on
-- PostgreSQL), and a snapshot of a chain is one member of type CHAINED (allowed only with
-- an epoch), never expanded: its source's path as of the epoch is walked when a lookup
-- plan is made (backends/sqlite/snapshot_collection.py). SQLite cannot change a CHECK, so
-- the table is made again with its rows (existing paths have no snapshot member); the
-- trigger that writes a new collection's row is made again, snapshot-aware.
DROP TRIGGER collection_search_path_insert;
CREATE TEMP TABLE search_path_rows AS
SELECT collection_id, rank, member_id, member_type FROM search_path;
DROP TABLE search_path;
CREATE TABLE search_path (
    collection_id  INTEGER NOT NULL,
    rank           INTEGER NOT NULL,
    member_id      INTEGER NOT NULL,
    member_type    TEXT NOT NULL,
    snapshot_of    INTEGER,
    snapshot_epoch INTEGER,
    CONSTRAINT search_path_pkey PRIMARY KEY (collection_id, rank),
    CONSTRAINT search_path_member_key UNIQUE (member_id, collection_id),
    CONSTRAINT search_path_rank_check CHECK (rank > 0),
    CONSTRAINT search_path_member_type_check
        CHECK (member_type IN ('RUN', 'TAGGED', 'CALIBRATION')
               OR (member_type = 'CHAINED' AND snapshot_epoch IS NOT NULL)),
    CONSTRAINT search_path_snapshot_check
        CHECK ((snapshot_of IS NULL) = (snapshot_epoch IS NULL)),
    CONSTRAINT search_path_collection_fkey FOREIGN KEY (collection_id)
        REFERENCES collection (collection_id) ON DELETE CASCADE,
    CONSTRAINT search_path_member_fkey FOREIGN KEY (member_id, member_type)
        REFERENCES collection (collection_id, type) ON UPDATE CASCADE ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO search_path (collection_id, rank, member_id, member_type)
SELECT collection_id, rank, member_id, member_type FROM temp.search_path_rows;
DROP TABLE temp.search_path_rows;

-- A new collection: its own row (a new chain is empty: no rows), with its source and epoch
-- when it is a snapshot (a snapshot restored by a revert: its snapshot row outlived it).
-- Nobody lists it yet.
CREATE TRIGGER collection_search_path_insert AFTER INSERT ON collection
BEGIN
    INSERT INTO search_path (collection_id, rank, member_id, member_type, snapshot_of,
                             snapshot_epoch)
    SELECT NEW.collection_id, 1, NEW.collection_id, NEW.type, s.source_id, s.epoch
    FROM (SELECT 1) LEFT JOIN snapshot AS s ON s.collection_id = NEW.collection_id
    WHERE NEW.type <> 'CHAINED' OR s.collection_id IS NOT NULL;
END;

-- Guards for every writer of the file, plain sqlite3 included (as guards.sql and
-- states.sql do for the other rules). A snapshot row is made only for a collection this
-- very change created, FROZEN and empty, of its source's type at an epoch already
-- committed, whose source is not a snapshot: a raw writer cannot turn an existing
-- collection (whose past reads would change) into a snapshot, nor make one read the
-- future. Each refusal is RAISE(ABORT, '<name>'): the statement is undone.
CREATE TRIGGER snapshot_guard_insert BEFORE INSERT ON snapshot
BEGIN
    SELECT RAISE(ABORT, 'snapshot_collection_new')
    WHERE NOT EXISTS (SELECT 1 FROM collection_version AS v
                      JOIN change AS ch ON ch.change_id = v.created_change AND ch.open = 1
                      WHERE v.collection_id = NEW.collection_id AND v.removed_change IS NULL
                        AND v.state = 'FROZEN')
       OR EXISTS (SELECT 1 FROM certification WHERE collection_id = NEW.collection_id)
       OR EXISTS (SELECT 1 FROM tag WHERE collection_id = NEW.collection_id)
       OR EXISTS (SELECT 1 FROM dataset WHERE run_id = NEW.collection_id)
       OR EXISTS (SELECT 1 FROM collection_chain WHERE parent_id = NEW.collection_id);
    SELECT RAISE(ABORT, 'snapshot_source')
    WHERE EXISTS (SELECT 1 FROM snapshot AS s WHERE s.collection_id = NEW.source_id)
       OR NEW.epoch > (SELECT coalesce(max(change_id), 0) FROM change WHERE open IS NULL)
       OR NOT EXISTS (SELECT 1 FROM collection_version AS v
                      WHERE v.collection_id = NEW.source_id AND v.created_change <= NEW.epoch
                        AND (v.removed_change IS NULL OR v.removed_change > NEW.epoch)
                        AND v.type = (SELECT c.type FROM collection AS c
                                      WHERE c.collection_id = NEW.collection_id));
END;
-- Its own search path row carries the source and epoch (the collection's insert trigger
-- made a plain one, or none for a chain).
CREATE TRIGGER snapshot_search_path_insert AFTER INSERT ON snapshot
BEGIN
    DELETE FROM search_path WHERE collection_id = NEW.collection_id;
    INSERT INTO search_path (collection_id, rank, member_id, member_type, snapshot_of,
                             snapshot_epoch)
    SELECT NEW.collection_id, 1, NEW.collection_id, c.type, NEW.source_id, NEW.epoch
    FROM collection AS c WHERE c.collection_id = NEW.collection_id;
END;
-- A row never changes; it goes only once its collection is gone (a revert of the change
-- that created the snapshot removes both).
CREATE TRIGGER snapshot_guard_update BEFORE UPDATE ON snapshot
BEGIN SELECT RAISE(ABORT, 'snapshot_immutable'); END;
CREATE TRIGGER snapshot_guard_delete BEFORE DELETE ON snapshot
WHEN EXISTS (SELECT 1 FROM collection WHERE collection_id = OLD.collection_id)
BEGIN SELECT RAISE(ABORT, 'snapshot_immutable'); END;

-- FROZEN by construction: a snapshot's state never changes (PostgreSQL: the FROZEN
-- triggers refuse an owner's UPDATE ... SET state too), and removing one is the one
-- exception to "a FROZEN collection cannot be removed" (states.sql's trigger, made again).
CREATE TRIGGER collection_snapshot_state BEFORE UPDATE OF state ON collection
WHEN NEW.state IS NOT 'FROZEN'
 AND EXISTS (SELECT 1 FROM snapshot AS s WHERE s.collection_id = OLD.collection_id)
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
DROP TRIGGER collection_frozen_delete;
CREATE TRIGGER collection_frozen_delete BEFORE DELETE ON collection
WHEN OLD.state = 'FROZEN'
 AND NOT EXISTS (SELECT 1 FROM snapshot AS s WHERE s.collection_id = OLD.collection_id)
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
