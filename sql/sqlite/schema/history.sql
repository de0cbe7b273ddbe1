-- History on SQLite (revision 0014; README "History and time travel"): the twin of
-- sql/schema/history.sql and sql/schema/history_triggers.sql, same tables, same meaning,
-- kept by row-level triggers (SQLite has no statement-level ones) for every writer of the
-- file, plain sqlite3 included (operation 'sql').
--
-- Epochs. change: one row per committed write transaction that changed versioned content,
-- created by the first trigger that records a version (or by the backend just before its
-- first certification insert). Its change_id IS its epoch, taken as max + 1 inside the write
-- transaction: SQLite serializes writers (BEGIN IMMEDIATE), so no other transaction can
-- commit between taking the number and committing it, and numbers taken this way follow
-- commit order (the trap PostgreSQL avoids with its commit-time lock cannot happen here). A
-- transaction that rolls back takes its row with it: no gap. The row is "open" (open = 1,
-- at most one: change_open_key) while its transaction may still write; SQLite has no commit
-- trigger, so the backend seals its own change just before COMMIT (commit time, db_role =
-- the operating-system user, app_user, reason) and seals a change left open by a raw
-- writer's committed transaction when it next takes the write lock (such a change keeps the
-- time of its first write; consecutive raw transactions with no calibcert call between them
-- share it). current_epoch() is the largest sealed epoch (calibcert seals a pending raw
-- change first when it can take the write lock): an open change has no epoch yet.
--
-- Operations. change_context (one row) holds the public operation the backend is running
-- (set by the call before its first statement whose triggers read it, cleared when it
-- returns); the triggers record it with each version, 'sql' when it is NULL (a raw
-- statement, also one inside a calibcert transaction).
--
-- Versions. certification: the current rows carry the change that created them
-- (created_change, created_operation; existing rows at the upgrade: change 1, 'upgrade'),
-- and certification_version holds only closed versions (rows a later change removed or
-- replaced): a bulk certify copies nothing. The backend writes created_change itself;
-- certification_history_insert fixes any other insert (raw SQL, a copied stale value).
-- successor_begin_us pairs an UPDATE's closed version with the row it became (same
-- collection and data ID key; PostgreSQL pairs them by certification_id). The small tables
-- (collection, collection_chain, tag, dataset) copy every version into <table>_version
-- (chain_version for collection_chain), created_change .. removed_change (NULL: current).
-- A version is visible at epoch E when created_change <= E and removed_change is NULL or
-- > E (backends/sqlite/as_of.py, the one place as-of reads are written). A version created
-- and removed by the same change is dropped (nobody ever saw it); a row deleted and
-- inserted again unchanged by the same change (set_chain, untag and tag) is no change; a
-- closed certification version is never opened again (see its triggers). No foreign keys:
-- a removed collection's history stays.
CREATE TABLE change (
    change_id    INTEGER NOT NULL,
    open         INTEGER,
    committed_at INTEGER NOT NULL,
    db_role      TEXT,
    app_user     TEXT,
    reason       TEXT,
    CONSTRAINT change_pkey PRIMARY KEY (change_id),
    CONSTRAINT change_epoch_check CHECK (change_id > 0),
    CONSTRAINT change_open_check CHECK (open IS NULL OR open = 1)
);
CREATE UNIQUE INDEX change_open_key ON change (open) WHERE open = 1;
CREATE INDEX change_committed_at_idx ON change (committed_at);

CREATE TABLE change_context (
    id        INTEGER NOT NULL,
    operation TEXT,
    CONSTRAINT change_context_pkey PRIMARY KEY (id),
    CONSTRAINT change_context_one_row_check CHECK (id = 1)
);
INSERT INTO change_context (id, operation) VALUES (1, NULL);
-- versions (revision 0016): 1 while a call of the backend writes the closed versions of the
-- certifications it updates or deletes itself, one INSERT ... SELECT per statement
-- (backends/sqlite/versions.py), set and cleared with the operation inside the call's own
-- transaction; the row triggers below then step aside. NULL otherwise (every other writer,
-- raw SQL in a calibcert transaction included): the row triggers record each row. Measured:
-- the row triggers were ~20 us of a changed row's ~30 us.
ALTER TABLE change_context ADD COLUMN versions INTEGER;
-- checked_into (revision 0017): while a call of the backend runs its one INSERT ... SELECT of
-- rows built from rows the guards already checked, the collection it writes them into: set
-- just before that statement and cleared when the call returns, inside the call's own
-- transaction; NULL otherwise (every other writer, raw SQL in a calibcert transaction
-- included). The certification insert guards (guards.sql, states.sql) then step aside for
-- rows stamped with that call's operation (copy_collection, decertify) into that collection.
-- Measured: their probes were ~2.5 us of a copied row's ~5 us.
ALTER TABLE change_context ADD COLUMN checked_into INTEGER;

CREATE TABLE collection_version (
    collection_id     INTEGER NOT NULL,
    name              TEXT NOT NULL,
    type              TEXT NOT NULL,
    state             TEXT NOT NULL,
    created_change    INTEGER NOT NULL,
    removed_change    INTEGER,
    created_operation TEXT NOT NULL,
    removed_operation TEXT
);
CREATE INDEX collection_version_id_idx ON collection_version (collection_id, removed_change);
CREATE INDEX collection_version_name_idx ON collection_version (name);

CREATE TABLE chain_version (
    parent_id         INTEGER NOT NULL,
    position          INTEGER NOT NULL,
    child_id          INTEGER NOT NULL,
    created_change    INTEGER NOT NULL,
    removed_change    INTEGER,
    created_operation TEXT NOT NULL,
    removed_operation TEXT
);
CREATE INDEX chain_version_parent_idx ON chain_version (parent_id, position, removed_change);

CREATE TABLE tag_version (
    collection_id     INTEGER NOT NULL,
    data_id_key       INTEGER NOT NULL,
    dataset_type_id   INTEGER NOT NULL,
    dataset_id        BLOB NOT NULL,
    run_id            INTEGER NOT NULL,
    created_change    INTEGER NOT NULL,
    removed_change    INTEGER,
    created_operation TEXT NOT NULL,
    removed_operation TEXT
);
CREATE INDEX tag_version_key_idx ON tag_version (collection_id, data_id_key, removed_change);

CREATE TABLE dataset_version (
    dataset_id        BLOB NOT NULL,
    dataset_type_id   INTEGER NOT NULL,
    data_id_key       INTEGER NOT NULL,
    run_id            INTEGER NOT NULL,
    created_change    INTEGER NOT NULL,
    removed_change    INTEGER,
    created_operation TEXT NOT NULL,
    removed_operation TEXT
);
CREATE INDEX dataset_version_id_idx ON dataset_version (dataset_id, removed_change);
CREATE INDEX dataset_version_run_idx ON dataset_version (run_id, data_id_key);

-- Closed certification versions only (see above).
CREATE TABLE certification_version (
    collection_id      INTEGER NOT NULL,
    data_id_key        INTEGER NOT NULL,
    begin_us           INTEGER NOT NULL,
    end_us             INTEGER NOT NULL,
    dataset_type_id    INTEGER NOT NULL,
    dataset_id         BLOB NOT NULL,
    run_id             INTEGER NOT NULL,
    successor_begin_us INTEGER,
    created_change     INTEGER NOT NULL,
    removed_change     INTEGER NOT NULL,
    created_operation  TEXT NOT NULL,
    removed_operation  TEXT NOT NULL
);
-- As-of probes: (collection, data ID key, begin) like the current rows' primary key.
CREATE INDEX certification_version_probe_idx
    ON certification_version (collection_id, data_id_key, begin_us);
-- What a change closed (history by epoch).
CREATE INDEX certification_version_removed_idx ON certification_version (removed_change);
CREATE INDEX certification_version_type_idx
    ON certification_version (collection_id, dataset_type_id);

-- The current rows' creating change. The defaults are what every row existing at the
-- upgrade gets (change 1, below); a row inserted later without them is fixed by
-- certification_history_insert.
ALTER TABLE certification ADD COLUMN created_change INTEGER NOT NULL DEFAULT 1;
ALTER TABLE certification ADD COLUMN created_operation TEXT NOT NULL DEFAULT 'upgrade';

-- What existed at the upgrade: change 1 (when the file holds any collection: every other
-- versioned row belongs to one), before the triggers exist. An empty file starts at 0.
INSERT INTO change (change_id, open, committed_at, reason)
SELECT 1, NULL, CAST(round((julianday('now') - 2440587.5) * 86400000000.0) AS INTEGER),
       'revision 0014: existing content'
WHERE EXISTS (SELECT 1 FROM collection);
INSERT INTO collection_version (collection_id, name, type, state, created_change, created_operation)
SELECT collection_id, name, type, state, 1, 'upgrade' FROM collection;
INSERT INTO chain_version (parent_id, position, child_id, created_change, created_operation)
SELECT parent_id, position, child_id, 1, 'upgrade' FROM collection_chain;
INSERT INTO tag_version (collection_id, data_id_key, dataset_type_id, dataset_id, run_id,
                         created_change, created_operation)
SELECT collection_id, data_id_key, dataset_type_id, dataset_id, run_id, 1, 'upgrade' FROM tag;
INSERT INTO dataset_version (dataset_id, dataset_type_id, data_id_key, run_id, created_change,
                             created_operation)
SELECT dataset_id, dataset_type_id, data_id_key, run_id, 1, 'upgrade' FROM dataset;

-- The triggers. Each first makes sure the transaction has its change (the open one, else a
-- new one numbered max + 1), then records. The operation is change_context's, else 'sql'.
CREATE TRIGGER collection_history_insert AFTER INSERT ON collection
BEGIN
    INSERT INTO change (change_id, open, committed_at)
    SELECT (SELECT coalesce(max(change_id), 0) + 1 FROM change), 1,
           CAST(round((julianday('now') - 2440587.5) * 86400000000.0) AS INTEGER)
    WHERE NOT EXISTS (SELECT 1 FROM change WHERE open = 1);
    UPDATE collection_version SET removed_change = NULL, removed_operation = NULL
    WHERE collection_version.collection_id = NEW.collection_id AND collection_version.name = NEW.name AND collection_version.type = NEW.type AND collection_version.state = NEW.state AND removed_change = (SELECT change_id FROM change WHERE open = 1);
    INSERT INTO collection_version (collection_id, name, type, state, created_change, created_operation)
    SELECT NEW.collection_id, NEW.name, NEW.type, NEW.state, (SELECT change_id FROM change WHERE open = 1), coalesce((SELECT operation FROM change_context WHERE id = 1), 'sql')
    WHERE NOT EXISTS (SELECT 1 FROM collection_version AS v WHERE v.collection_id = NEW.collection_id AND v.removed_change IS NULL);
END;

CREATE TRIGGER collection_history_update AFTER UPDATE OF collection_id, name, type, state ON collection
WHEN OLD.collection_id IS NOT NEW.collection_id OR OLD.name IS NOT NEW.name OR OLD.type IS NOT NEW.type OR OLD.state IS NOT NEW.state
BEGIN
    INSERT INTO change (change_id, open, committed_at)
    SELECT (SELECT coalesce(max(change_id), 0) + 1 FROM change), 1,
           CAST(round((julianday('now') - 2440587.5) * 86400000000.0) AS INTEGER)
    WHERE NOT EXISTS (SELECT 1 FROM change WHERE open = 1);
    DELETE FROM collection_version WHERE collection_version.collection_id = OLD.collection_id AND removed_change IS NULL
      AND created_change = (SELECT change_id FROM change WHERE open = 1);
    UPDATE collection_version SET removed_change = (SELECT change_id FROM change WHERE open = 1), removed_operation = coalesce((SELECT operation FROM change_context WHERE id = 1), 'sql')
    WHERE collection_version.collection_id = OLD.collection_id AND removed_change IS NULL;
    UPDATE collection_version SET removed_change = NULL, removed_operation = NULL
    WHERE collection_version.collection_id = NEW.collection_id AND collection_version.name = NEW.name AND collection_version.type = NEW.type AND collection_version.state = NEW.state AND removed_change = (SELECT change_id FROM change WHERE open = 1);
    INSERT INTO collection_version (collection_id, name, type, state, created_change, created_operation)
    SELECT NEW.collection_id, NEW.name, NEW.type, NEW.state, (SELECT change_id FROM change WHERE open = 1), coalesce((SELECT operation FROM change_context WHERE id = 1), 'sql')
    WHERE NOT EXISTS (SELECT 1 FROM collection_version AS v WHERE v.collection_id = NEW.collection_id AND v.removed_change IS NULL);
END;

CREATE TRIGGER collection_history_delete AFTER DELETE ON collection
BEGIN
    INSERT INTO change (change_id, open, committed_at)
    SELECT (SELECT coalesce(max(change_id), 0) + 1 FROM change), 1,
           CAST(round((julianday('now') - 2440587.5) * 86400000000.0) AS INTEGER)
    WHERE NOT EXISTS (SELECT 1 FROM change WHERE open = 1);
    DELETE FROM collection_version WHERE collection_version.collection_id = OLD.collection_id AND removed_change IS NULL
      AND created_change = (SELECT change_id FROM change WHERE open = 1);
    UPDATE collection_version SET removed_change = (SELECT change_id FROM change WHERE open = 1), removed_operation = coalesce((SELECT operation FROM change_context WHERE id = 1), 'sql')
    WHERE collection_version.collection_id = OLD.collection_id AND removed_change IS NULL;
END;

CREATE TRIGGER collection_chain_history_insert AFTER INSERT ON collection_chain
BEGIN
    INSERT INTO change (change_id, open, committed_at)
    SELECT (SELECT coalesce(max(change_id), 0) + 1 FROM change), 1,
           CAST(round((julianday('now') - 2440587.5) * 86400000000.0) AS INTEGER)
    WHERE NOT EXISTS (SELECT 1 FROM change WHERE open = 1);
    UPDATE chain_version SET removed_change = NULL, removed_operation = NULL
    WHERE chain_version.parent_id = NEW.parent_id AND chain_version.position = NEW.position AND chain_version.child_id = NEW.child_id AND removed_change = (SELECT change_id FROM change WHERE open = 1);
    INSERT INTO chain_version (parent_id, position, child_id, created_change, created_operation)
    SELECT NEW.parent_id, NEW.position, NEW.child_id, (SELECT change_id FROM change WHERE open = 1), coalesce((SELECT operation FROM change_context WHERE id = 1), 'sql')
    WHERE NOT EXISTS (SELECT 1 FROM chain_version AS v WHERE v.parent_id = NEW.parent_id AND v.position = NEW.position AND v.removed_change IS NULL);
END;

CREATE TRIGGER collection_chain_history_update AFTER UPDATE OF parent_id, position, child_id ON collection_chain
WHEN OLD.parent_id IS NOT NEW.parent_id OR OLD.position IS NOT NEW.position OR OLD.child_id IS NOT NEW.child_id
BEGIN
    INSERT INTO change (change_id, open, committed_at)
    SELECT (SELECT coalesce(max(change_id), 0) + 1 FROM change), 1,
           CAST(round((julianday('now') - 2440587.5) * 86400000000.0) AS INTEGER)
    WHERE NOT EXISTS (SELECT 1 FROM change WHERE open = 1);
    DELETE FROM chain_version WHERE chain_version.parent_id = OLD.parent_id AND chain_version.position = OLD.position AND removed_change IS NULL
      AND created_change = (SELECT change_id FROM change WHERE open = 1);
    UPDATE chain_version SET removed_change = (SELECT change_id FROM change WHERE open = 1), removed_operation = coalesce((SELECT operation FROM change_context WHERE id = 1), 'sql')
    WHERE chain_version.parent_id = OLD.parent_id AND chain_version.position = OLD.position AND removed_change IS NULL;
    UPDATE chain_version SET removed_change = NULL, removed_operation = NULL
    WHERE chain_version.parent_id = NEW.parent_id AND chain_version.position = NEW.position AND chain_version.child_id = NEW.child_id AND removed_change = (SELECT change_id FROM change WHERE open = 1);
    INSERT INTO chain_version (parent_id, position, child_id, created_change, created_operation)
    SELECT NEW.parent_id, NEW.position, NEW.child_id, (SELECT change_id FROM change WHERE open = 1), coalesce((SELECT operation FROM change_context WHERE id = 1), 'sql')
    WHERE NOT EXISTS (SELECT 1 FROM chain_version AS v WHERE v.parent_id = NEW.parent_id AND v.position = NEW.position AND v.removed_change IS NULL);
END;

CREATE TRIGGER collection_chain_history_delete AFTER DELETE ON collection_chain
BEGIN
    INSERT INTO change (change_id, open, committed_at)
    SELECT (SELECT coalesce(max(change_id), 0) + 1 FROM change), 1,
           CAST(round((julianday('now') - 2440587.5) * 86400000000.0) AS INTEGER)
    WHERE NOT EXISTS (SELECT 1 FROM change WHERE open = 1);
    DELETE FROM chain_version WHERE chain_version.parent_id = OLD.parent_id AND chain_version.position = OLD.position AND removed_change IS NULL
      AND created_change = (SELECT change_id FROM change WHERE open = 1);
    UPDATE chain_version SET removed_change = (SELECT change_id FROM change WHERE open = 1), removed_operation = coalesce((SELECT operation FROM change_context WHERE id = 1), 'sql')
    WHERE chain_version.parent_id = OLD.parent_id AND chain_version.position = OLD.position AND removed_change IS NULL;
END;

CREATE TRIGGER tag_history_insert AFTER INSERT ON tag
BEGIN
    INSERT INTO change (change_id, open, committed_at)
    SELECT (SELECT coalesce(max(change_id), 0) + 1 FROM change), 1,
           CAST(round((julianday('now') - 2440587.5) * 86400000000.0) AS INTEGER)
    WHERE NOT EXISTS (SELECT 1 FROM change WHERE open = 1);
    UPDATE tag_version SET removed_change = NULL, removed_operation = NULL
    WHERE tag_version.collection_id = NEW.collection_id AND tag_version.data_id_key = NEW.data_id_key AND tag_version.dataset_type_id = NEW.dataset_type_id AND tag_version.dataset_id = NEW.dataset_id AND tag_version.run_id = NEW.run_id AND removed_change = (SELECT change_id FROM change WHERE open = 1);
    INSERT INTO tag_version (collection_id, data_id_key, dataset_type_id, dataset_id, run_id, created_change, created_operation)
    SELECT NEW.collection_id, NEW.data_id_key, NEW.dataset_type_id, NEW.dataset_id, NEW.run_id, (SELECT change_id FROM change WHERE open = 1), coalesce((SELECT operation FROM change_context WHERE id = 1), 'sql')
    WHERE NOT EXISTS (SELECT 1 FROM tag_version AS v WHERE v.collection_id = NEW.collection_id AND v.data_id_key = NEW.data_id_key AND v.removed_change IS NULL);
END;

CREATE TRIGGER tag_history_update AFTER UPDATE OF collection_id, data_id_key, dataset_type_id, dataset_id, run_id ON tag
WHEN OLD.collection_id IS NOT NEW.collection_id OR OLD.data_id_key IS NOT NEW.data_id_key OR OLD.dataset_type_id IS NOT NEW.dataset_type_id OR OLD.dataset_id IS NOT NEW.dataset_id OR OLD.run_id IS NOT NEW.run_id
BEGIN
    INSERT INTO change (change_id, open, committed_at)
    SELECT (SELECT coalesce(max(change_id), 0) + 1 FROM change), 1,
           CAST(round((julianday('now') - 2440587.5) * 86400000000.0) AS INTEGER)
    WHERE NOT EXISTS (SELECT 1 FROM change WHERE open = 1);
    DELETE FROM tag_version WHERE tag_version.collection_id = OLD.collection_id AND tag_version.data_id_key = OLD.data_id_key AND removed_change IS NULL
      AND created_change = (SELECT change_id FROM change WHERE open = 1);
    UPDATE tag_version SET removed_change = (SELECT change_id FROM change WHERE open = 1), removed_operation = coalesce((SELECT operation FROM change_context WHERE id = 1), 'sql')
    WHERE tag_version.collection_id = OLD.collection_id AND tag_version.data_id_key = OLD.data_id_key AND removed_change IS NULL;
    UPDATE tag_version SET removed_change = NULL, removed_operation = NULL
    WHERE tag_version.collection_id = NEW.collection_id AND tag_version.data_id_key = NEW.data_id_key AND tag_version.dataset_type_id = NEW.dataset_type_id AND tag_version.dataset_id = NEW.dataset_id AND tag_version.run_id = NEW.run_id AND removed_change = (SELECT change_id FROM change WHERE open = 1);
    INSERT INTO tag_version (collection_id, data_id_key, dataset_type_id, dataset_id, run_id, created_change, created_operation)
    SELECT NEW.collection_id, NEW.data_id_key, NEW.dataset_type_id, NEW.dataset_id, NEW.run_id, (SELECT change_id FROM change WHERE open = 1), coalesce((SELECT operation FROM change_context WHERE id = 1), 'sql')
    WHERE NOT EXISTS (SELECT 1 FROM tag_version AS v WHERE v.collection_id = NEW.collection_id AND v.data_id_key = NEW.data_id_key AND v.removed_change IS NULL);
END;

CREATE TRIGGER tag_history_delete AFTER DELETE ON tag
BEGIN
    INSERT INTO change (change_id, open, committed_at)
    SELECT (SELECT coalesce(max(change_id), 0) + 1 FROM change), 1,
           CAST(round((julianday('now') - 2440587.5) * 86400000000.0) AS INTEGER)
    WHERE NOT EXISTS (SELECT 1 FROM change WHERE open = 1);
    DELETE FROM tag_version WHERE tag_version.collection_id = OLD.collection_id AND tag_version.data_id_key = OLD.data_id_key AND removed_change IS NULL
      AND created_change = (SELECT change_id FROM change WHERE open = 1);
    UPDATE tag_version SET removed_change = (SELECT change_id FROM change WHERE open = 1), removed_operation = coalesce((SELECT operation FROM change_context WHERE id = 1), 'sql')
    WHERE tag_version.collection_id = OLD.collection_id AND tag_version.data_id_key = OLD.data_id_key AND removed_change IS NULL;
END;

CREATE TRIGGER dataset_history_insert AFTER INSERT ON dataset
BEGIN
    INSERT INTO change (change_id, open, committed_at)
    SELECT (SELECT coalesce(max(change_id), 0) + 1 FROM change), 1,
           CAST(round((julianday('now') - 2440587.5) * 86400000000.0) AS INTEGER)
    WHERE NOT EXISTS (SELECT 1 FROM change WHERE open = 1);
    UPDATE dataset_version SET removed_change = NULL, removed_operation = NULL
    WHERE dataset_version.dataset_id = NEW.dataset_id AND dataset_version.dataset_type_id = NEW.dataset_type_id AND dataset_version.data_id_key = NEW.data_id_key AND dataset_version.run_id = NEW.run_id AND removed_change = (SELECT change_id FROM change WHERE open = 1);
    INSERT INTO dataset_version (dataset_id, dataset_type_id, data_id_key, run_id, created_change, created_operation)
    SELECT NEW.dataset_id, NEW.dataset_type_id, NEW.data_id_key, NEW.run_id, (SELECT change_id FROM change WHERE open = 1), coalesce((SELECT operation FROM change_context WHERE id = 1), 'sql')
    WHERE NOT EXISTS (SELECT 1 FROM dataset_version AS v WHERE v.dataset_id = NEW.dataset_id AND v.removed_change IS NULL);
END;

CREATE TRIGGER dataset_history_update AFTER UPDATE OF dataset_id, dataset_type_id, data_id_key, run_id ON dataset
WHEN OLD.dataset_id IS NOT NEW.dataset_id OR OLD.dataset_type_id IS NOT NEW.dataset_type_id OR OLD.data_id_key IS NOT NEW.data_id_key OR OLD.run_id IS NOT NEW.run_id
BEGIN
    INSERT INTO change (change_id, open, committed_at)
    SELECT (SELECT coalesce(max(change_id), 0) + 1 FROM change), 1,
           CAST(round((julianday('now') - 2440587.5) * 86400000000.0) AS INTEGER)
    WHERE NOT EXISTS (SELECT 1 FROM change WHERE open = 1);
    DELETE FROM dataset_version WHERE dataset_version.dataset_id = OLD.dataset_id AND removed_change IS NULL
      AND created_change = (SELECT change_id FROM change WHERE open = 1);
    UPDATE dataset_version SET removed_change = (SELECT change_id FROM change WHERE open = 1), removed_operation = coalesce((SELECT operation FROM change_context WHERE id = 1), 'sql')
    WHERE dataset_version.dataset_id = OLD.dataset_id AND removed_change IS NULL;
    UPDATE dataset_version SET removed_change = NULL, removed_operation = NULL
    WHERE dataset_version.dataset_id = NEW.dataset_id AND dataset_version.dataset_type_id = NEW.dataset_type_id AND dataset_version.data_id_key = NEW.data_id_key AND dataset_version.run_id = NEW.run_id AND removed_change = (SELECT change_id FROM change WHERE open = 1);
    INSERT INTO dataset_version (dataset_id, dataset_type_id, data_id_key, run_id, created_change, created_operation)
    SELECT NEW.dataset_id, NEW.dataset_type_id, NEW.data_id_key, NEW.run_id, (SELECT change_id FROM change WHERE open = 1), coalesce((SELECT operation FROM change_context WHERE id = 1), 'sql')
    WHERE NOT EXISTS (SELECT 1 FROM dataset_version AS v WHERE v.dataset_id = NEW.dataset_id AND v.removed_change IS NULL);
END;

CREATE TRIGGER dataset_history_delete AFTER DELETE ON dataset
BEGIN
    INSERT INTO change (change_id, open, committed_at)
    SELECT (SELECT coalesce(max(change_id), 0) + 1 FROM change), 1,
           CAST(round((julianday('now') - 2440587.5) * 86400000000.0) AS INTEGER)
    WHERE NOT EXISTS (SELECT 1 FROM change WHERE open = 1);
    DELETE FROM dataset_version WHERE dataset_version.dataset_id = OLD.dataset_id AND removed_change IS NULL
      AND created_change = (SELECT change_id FROM change WHERE open = 1);
    UPDATE dataset_version SET removed_change = (SELECT change_id FROM change WHERE open = 1), removed_operation = coalesce((SELECT operation FROM change_context WHERE id = 1), 'sql')
    WHERE dataset_version.dataset_id = OLD.dataset_id AND removed_change IS NULL;
END;


-- certification: an insert the backend did not stamp with the open change (raw SQL, a row
-- copied with a stale created_change, or one relying on the 'upgrade' defaults) is
-- stamped here. A re-inserted row is a new certification (PostgreSQL gives it a new
-- certification_id), never a closed version opened again.
CREATE TRIGGER certification_history_insert AFTER INSERT ON certification
WHEN NEW.created_operation = 'upgrade'
  OR NEW.created_change IS NOT (SELECT change_id FROM change WHERE open = 1)
BEGIN
    INSERT INTO change (change_id, open, committed_at)
    SELECT (SELECT coalesce(max(change_id), 0) + 1 FROM change), 1,
           CAST(round((julianday('now') - 2440587.5) * 86400000000.0) AS INTEGER)
    WHERE NOT EXISTS (SELECT 1 FROM change WHERE open = 1);
    UPDATE certification
    SET created_change = (SELECT change_id FROM change WHERE open = 1),
        created_operation = coalesce((SELECT operation FROM change_context WHERE id = 1), 'sql')
    WHERE collection_id = NEW.collection_id AND data_id_key = NEW.data_id_key
      AND begin_us = NEW.begin_us;
END;

-- certification_history_update and _delete step aside while change_context.versions is set
-- (see there): the backend's call has written what they would.
--
-- A changed row (the same certification): its old version is closed (unless this change
-- created it: then whatever it replaced now leads to the new row), and the row becomes
-- this change's. A closed certification version is never opened again (as PostgreSQL:
-- an update and its undoing in one change show the old and the new, equal, validity).
CREATE TRIGGER certification_history_update AFTER UPDATE OF collection_id, dataset_type_id,
    data_id_key, dataset_id, run_id, begin_us, end_us ON certification
WHEN (OLD.collection_id IS NOT NEW.collection_id OR OLD.data_id_key IS NOT NEW.data_id_key
  OR OLD.begin_us IS NOT NEW.begin_us OR OLD.end_us IS NOT NEW.end_us
  OR OLD.dataset_id IS NOT NEW.dataset_id OR OLD.dataset_type_id IS NOT NEW.dataset_type_id
  OR OLD.run_id IS NOT NEW.run_id)
  AND (SELECT versions FROM change_context WHERE id = 1) IS NULL
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

-- A removed row: its version is closed, unless this change created it (never seen: then
-- nothing is kept, and a version this change replaced by it no longer leads anywhere).
CREATE TRIGGER certification_history_delete AFTER DELETE ON certification
WHEN (SELECT versions FROM change_context WHERE id = 1) IS NULL
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
