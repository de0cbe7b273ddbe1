-- calibcert tables for SQLite (the twin of sql/schema/tables.sql): same names, same UNIQUE /
-- FOREIGN KEY / CHECK rules where SQLite can say them (the backend's connections turn on
-- PRAGMA foreign_keys), interned data IDs. Frozen into revision 0001 (its text there was
-- written by hand, before this file existed); a later change goes into a new revision.
--
-- Times are integer microseconds since 1970-01-01T00:00:00Z. An unbounded side is a
-- sentinel, never NULL: begin_us = -9223372036854775808 (unbounded below) and
-- end_us = 9223372036854775807 (unbounded above), so that an overlap test is two integer
-- comparisons the indexes can serve.

-- WAL: readers never wait for the writer. Persistent in the file; set here for a script
-- run outside a transaction (the alembic upgrade runs inside one, where SQLite ignores this
-- PRAGMA, and switches WAL on after its commit: migrations/env.py).
PRAGMA journal_mode = WAL;

CREATE TABLE collection (
    collection_id INTEGER NOT NULL,
    name          TEXT NOT NULL,
    type          TEXT NOT NULL,
    doc           TEXT,
    CONSTRAINT collection_pkey PRIMARY KEY (collection_id),
    CONSTRAINT collection_name_key UNIQUE (name),
    CONSTRAINT collection_id_type_key UNIQUE (collection_id, type),
    CONSTRAINT collection_name_check CHECK (
        typeof(name) = 'text' AND length(name) BETWEEN 1 AND 255
        AND NOT name GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*')),
    CONSTRAINT collection_type_check CHECK (type IN ('RUN', 'TAGGED', 'CALIBRATION', 'CHAINED')),
    CONSTRAINT collection_doc_check CHECK (doc IS NULL OR typeof(doc) = 'text')
);

-- One row: a counter bumped by triggers on every change of collections, chains and dataset
-- types, whoever writes. Clients cache names, types and search paths and trust them while
-- the counter is unchanged (reading it is one primary-key probe inside the lookup itself).
CREATE TABLE catalog_version (
    id      INTEGER NOT NULL,
    version INTEGER NOT NULL,
    CONSTRAINT catalog_version_pkey PRIMARY KEY (id),
    CONSTRAINT catalog_version_one_row_check CHECK (id = 1)
);
INSERT INTO catalog_version (id, version) VALUES (1, 0);

CREATE TRIGGER collection_insert_bump AFTER INSERT ON collection
BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER collection_update_bump AFTER UPDATE ON collection
BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER collection_delete_bump AFTER DELETE ON collection
BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;

-- Ordered children of CHAINED collections (positions 1..n as set_chain writes them).
CREATE TABLE collection_chain (
    parent_id   INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    child_id    INTEGER NOT NULL,
    parent_type TEXT NOT NULL DEFAULT 'CHAINED',
    CONSTRAINT collection_chain_pkey PRIMARY KEY (parent_id, position),
    CONSTRAINT collection_chain_parent_child_key UNIQUE (parent_id, child_id),
    CONSTRAINT collection_chain_parent_type_check CHECK (parent_type = 'CHAINED'),
    CONSTRAINT collection_chain_parent_fkey FOREIGN KEY (parent_id, parent_type)
        REFERENCES collection (collection_id, type) ON DELETE CASCADE,
    CONSTRAINT collection_chain_child_fkey FOREIGN KEY (child_id)
        REFERENCES collection (collection_id) ON DELETE RESTRICT
) WITHOUT ROWID;
CREATE INDEX collection_chain_child_idx ON collection_chain (child_id);
CREATE TRIGGER collection_chain_insert_bump AFTER INSERT ON collection_chain
BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER collection_chain_update_bump AFTER UPDATE ON collection_chain
BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER collection_chain_delete_bump AFTER DELETE ON collection_chain
BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;

-- dimensions: the ordered names as a JSON array of strings.
CREATE TABLE dataset_type (
    dataset_type_id INTEGER NOT NULL,
    name            TEXT NOT NULL,
    dimensions      TEXT NOT NULL,
    is_calibration  INTEGER NOT NULL,
    CONSTRAINT dataset_type_pkey PRIMARY KEY (dataset_type_id),
    CONSTRAINT dataset_type_name_key UNIQUE (name),
    CONSTRAINT dataset_type_name_check CHECK (
        typeof(name) = 'text' AND length(name) BETWEEN 1 AND 255
        AND NOT name GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*')),
    CONSTRAINT dataset_type_dimensions_check CHECK (
        json_valid(dimensions) AND json_type(dimensions) = 'array'),
    CONSTRAINT dataset_type_is_calibration_check CHECK (is_calibration IN (0, 1))
);

CREATE TRIGGER dataset_type_insert_bump AFTER INSERT ON dataset_type
BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER dataset_type_update_bump AFTER UPDATE ON dataset_type
BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER dataset_type_delete_bump AFTER DELETE ON dataset_type
BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;

-- Interned data IDs: one integer key per (dataset type, canonical data ID). value is the
-- canonical JSON text (keys sorted, no spaces, integers without fraction), so equal data IDs
-- are equal text and "same data ID" means "same key".
CREATE TABLE data_id (
    data_id_key     INTEGER NOT NULL,
    dataset_type_id INTEGER NOT NULL,
    value           TEXT NOT NULL,
    CONSTRAINT data_id_pkey PRIMARY KEY (data_id_key),
    CONSTRAINT data_id_type_value_key UNIQUE (dataset_type_id, value),
    CONSTRAINT data_id_key_type_key UNIQUE (data_id_key, dataset_type_id),
    CONSTRAINT data_id_value_check CHECK (json_valid(value) AND json_type(value) = 'object'),
    CONSTRAINT data_id_dataset_type_fkey FOREIGN KEY (dataset_type_id)
        REFERENCES dataset_type (dataset_type_id)
);

-- Datasets live in their RUN forever: nothing deletes one. dataset_id: the UUID's 16 bytes.
-- Tags and certifications repeat the dataset's RUN (run_id), checked by their foreign key on
-- (dataset_id, dataset_type_id, data_id_key, run_id): a lookup then names the RUN of what it
-- found without visiting the dataset (it can never change: a dataset stays in its RUN).
CREATE TABLE dataset (
    dataset_id      BLOB NOT NULL,
    dataset_type_id INTEGER NOT NULL,
    data_id_key     INTEGER NOT NULL,
    run_id          INTEGER NOT NULL,
    run_type        TEXT NOT NULL DEFAULT 'RUN',
    CONSTRAINT dataset_pkey PRIMARY KEY (dataset_id),
    CONSTRAINT dataset_run_type_data_id_key UNIQUE (run_id, data_id_key),
    CONSTRAINT dataset_id_type_key_run_key
        UNIQUE (dataset_id, dataset_type_id, data_id_key, run_id),
    CONSTRAINT dataset_id_check CHECK (typeof(dataset_id) = 'blob' AND length(dataset_id) = 16),
    CONSTRAINT dataset_run_type_check CHECK (run_type = 'RUN'),
    CONSTRAINT dataset_run_fkey FOREIGN KEY (run_id, run_type)
        REFERENCES collection (collection_id, type) ON DELETE RESTRICT,
    CONSTRAINT dataset_data_id_fkey FOREIGN KEY (data_id_key, dataset_type_id)
        REFERENCES data_id (data_id_key, dataset_type_id)
) WITHOUT ROWID;

CREATE TABLE tag (
    collection_id   INTEGER NOT NULL,
    collection_type TEXT NOT NULL DEFAULT 'TAGGED',
    dataset_type_id INTEGER NOT NULL,
    data_id_key     INTEGER NOT NULL,
    dataset_id      BLOB NOT NULL,
    run_id          INTEGER NOT NULL,
    CONSTRAINT tag_pkey PRIMARY KEY (collection_id, data_id_key),
    CONSTRAINT tag_collection_dataset_key UNIQUE (collection_id, dataset_id),
    CONSTRAINT tag_collection_type_check CHECK (collection_type = 'TAGGED'),
    CONSTRAINT tag_collection_fkey FOREIGN KEY (collection_id, collection_type)
        REFERENCES collection (collection_id, type) ON DELETE CASCADE,
    CONSTRAINT tag_dataset_fkey FOREIGN KEY (dataset_id, dataset_type_id, data_id_key, run_id)
        REFERENCES dataset (dataset_id, dataset_type_id, data_id_key, run_id)
) WITHOUT ROWID;

-- Certifications, clustered by calibration key and begin: the overlap check of a new
-- [b, e) is one probe (the last row of the key that begins before e must end at or before
-- b), and so is a lookup at an instant. Two rows of one key never overlap: the backend checks
-- that inside its serialized write transaction before it writes (PostgreSQL: the exclusion
-- constraint certification_no_overlap); the primary key refuses at least two rows of one key
-- with the same begin, whoever writes them.
CREATE TABLE certification (
    collection_id   INTEGER NOT NULL,
    collection_type TEXT NOT NULL DEFAULT 'CALIBRATION',
    dataset_type_id INTEGER NOT NULL,
    data_id_key     INTEGER NOT NULL,
    dataset_id      BLOB NOT NULL,
    run_id          INTEGER NOT NULL,
    begin_us        INTEGER NOT NULL,
    end_us          INTEGER NOT NULL,
    CONSTRAINT certification_pkey PRIMARY KEY (collection_id, data_id_key, begin_us),
    CONSTRAINT certification_collection_type_check CHECK (collection_type = 'CALIBRATION'),
    CONSTRAINT certification_validity_bounds CHECK (
        typeof(begin_us) = 'integer' AND typeof(end_us) = 'integer' AND begin_us < end_us),
    CONSTRAINT certification_collection_fkey FOREIGN KEY (collection_id, collection_type)
        REFERENCES collection (collection_id, type) ON DELETE CASCADE,
    CONSTRAINT certification_dataset_fkey
        FOREIGN KEY (dataset_id, dataset_type_id, data_id_key, run_id)
        REFERENCES dataset (dataset_id, dataset_type_id, data_id_key, run_id)
) WITHOUT ROWID;
-- decertify / close_open_range / certifications by type: the rows of one type that end
-- after an instant (open rows: end_us = the upper sentinel) are one range of this index.
CREATE INDEX certification_type_end_idx
    ON certification (collection_id, dataset_type_id, end_us);
