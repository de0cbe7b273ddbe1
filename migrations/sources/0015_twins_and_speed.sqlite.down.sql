-- Undo revision 0015 on SQLite (source of versions/0015_twins_and_speed.sqlite.down.sql).
-- Each topic adds its block below.

-- sq-snapshots (first: its refusal must come before any block changes anything): refused
-- while a snapshot exists (0014 has no way to read one: it would turn into an empty FROZEN
-- collection and change lookups silently; remove them first). SQLite scripts cannot raise,
-- so the refusal is a CHECK on a temporary row.
CREATE TEMP TABLE downgrade_0015_check (
    snapshots INTEGER CONSTRAINT downgrade_refused_while_snapshot_collections_exist
        CHECK (snapshots = 0));
INSERT INTO temp.downgrade_0015_check (snapshots)
SELECT count(*) FROM snapshot AS s JOIN collection AS c ON c.collection_id = s.collection_id;
DROP TABLE temp.downgrade_0015_check;
DROP TRIGGER collection_frozen_delete;
DROP TRIGGER collection_snapshot_state;
DROP TRIGGER snapshot_guard_delete;
DROP TRIGGER snapshot_guard_update;
DROP TRIGGER snapshot_search_path_insert;
DROP TRIGGER snapshot_guard_insert;
DROP TRIGGER collection_search_path_insert;
CREATE TEMP TABLE search_path_rows AS
SELECT collection_id, rank, member_id, member_type FROM search_path
WHERE member_type <> 'CHAINED';
DROP TABLE search_path;
CREATE TABLE search_path (
    collection_id INTEGER NOT NULL,
    rank          INTEGER NOT NULL,
    member_id     INTEGER NOT NULL,
    member_type   TEXT NOT NULL,
    CONSTRAINT search_path_pkey PRIMARY KEY (collection_id, rank),
    CONSTRAINT search_path_member_key UNIQUE (member_id, collection_id),
    CONSTRAINT search_path_rank_check CHECK (rank > 0),
    CONSTRAINT search_path_member_type_check
        CHECK (member_type IN ('RUN', 'TAGGED', 'CALIBRATION')),
    CONSTRAINT search_path_collection_fkey FOREIGN KEY (collection_id)
        REFERENCES collection (collection_id) ON DELETE CASCADE,
    CONSTRAINT search_path_member_fkey FOREIGN KEY (member_id, member_type)
        REFERENCES collection (collection_id, type) ON UPDATE CASCADE ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO search_path (collection_id, rank, member_id, member_type)
SELECT collection_id, rank, member_id, member_type FROM temp.search_path_rows;
DROP TABLE temp.search_path_rows;
CREATE TRIGGER collection_search_path_insert AFTER INSERT ON collection
WHEN NEW.type <> 'CHAINED'
BEGIN
    INSERT INTO search_path (collection_id, rank, member_id, member_type)
    VALUES (NEW.collection_id, 1, NEW.collection_id, NEW.type);
END;
CREATE TRIGGER collection_frozen_delete BEFORE DELETE ON collection
WHEN OLD.state = 'FROZEN'
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
DROP TABLE snapshot;

-- sq-retention: the horizon and the request ids go (pruned history stays pruned).
DROP TRIGGER history_horizon_guard_delete;
DROP TRIGGER history_horizon_guard_update;
DROP TABLE history_horizon;
DROP INDEX change_request_id_key;
ALTER TABLE change DROP COLUMN results;
ALTER TABLE change DROP COLUMN request_id;
