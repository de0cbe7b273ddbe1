-- FROZEN upgrade of revision 0014, written by migrations/freeze.py from sources/0014_history.postgresql.sql.
-- Never edit by hand.
-- Revision 0014 (0013 -> 0014) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0014_history.postgresql.sql (issue 16, items 1-3: epochs, as-of reads,
-- history; README "History and time travel").
-- * calib.change (one row per committed change, its epoch stamped at COMMIT by the deferred
--   constraint trigger change_epoch under the epoch lock, so epochs follow commit order),
--   calib.epoch_seq, and the version tables of collection, collection_chain, certification,
--   tag and dataset, kept by statement-level triggers (calib._record_versions) for every
--   writer. Current certifications carry their creating change (created_change,
--   created_operation); their version table keeps closed versions only.
-- * Existing content: when the database holds any collection, one change with epoch 1
--   (reason 'revision 0014: existing content', operation 'upgrade') creates a version of
--   every existing row (existing certifications: their new columns' constant default), so as-of reads at epoch 1 answer as the database did at the
--   upgrade; epoch 0 is the empty state before it. An empty database starts at epoch 0.
-- * Every mutating function names its operation (calib._operation), recorded with its
--   versions: those functions are re-created.
-- * As-of forms of find, find_many, certifications, get_chain (new overloads with a
--   trailing as_of; the existing forms are unchanged), current_epoch, epoch_at, history;
--   calib._lookup takes p_as_of (a new signature: the old one is dropped).
/* History (revision 0014; README "History and time travel"). Two time axes: a
   certification's validity (when the calibration applies) and its recorded span (from the
   change that created a version of the row to the change that removed or replaced it).

   calib.change: one row per transaction that changed versioned content (calib._change()
   inserts it at the transaction's first versioned write). Its epoch is NULL until COMMIT:
   the deferred constraint trigger change_epoch (calib._stamp_epoch) then takes the next
   epoch from calib.epoch_seq under an exclusive advisory lock held from the trigger to the
   commit itself, so a later transaction's epoch waits for this commit:
   epochs follow commit order, and once calib.current_epoch() has returned E every change
   with an epoch <= E has committed (the trap of numbering at first write: T1 takes 5, T2
   takes 6 and commits, a reader pins 6, T1 commits 5 under it -- the racing tests in
   tests/test_pg_history.py catch that). A transaction that rolls back, at any point,
   leaves no epoch and no gap. Epoch 0 is the empty state before any change; a database
   upgraded to 0014 gets one change with epoch 1 holding everything that existed then
   (reason 'revision 0014: existing content', operation 'upgrade').

   The *_version tables: every version of every row of the versioned tables (collection,
   collection_chain, tag, dataset; for certification the closed versions only, see
   below), written only by the triggers of schema/history_triggers.sql
   (calib._record_versions), owned by calib_owner,
   for every writer including the owner's raw SQL (operation 'sql'). A version is visible
   at epoch E when its created change has an epoch <= E and its removed change is NULL or
   has none <= E (calib._visible, the one place this is written). The current tables stay
   what lookups at the current epoch read: the fast path is unchanged. No foreign keys to
   the current tables: a removed collection's history stays. */
CREATE TABLE calib.change (
    change_id    bigint GENERATED ALWAYS AS IDENTITY,
    xid          xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    epoch        bigint,
    committed_at timestamptz,
    db_role      text,
    app_user     text,
    reason       text,
    CONSTRAINT change_pkey PRIMARY KEY (change_id),
    CONSTRAINT change_epoch_key UNIQUE (epoch),
    CONSTRAINT change_epoch_check CHECK (epoch > 0)
);
COMMENT ON TABLE calib.change IS
    'One row per committed change (transaction) of versioned content: its epoch (stamped at '
    'COMMIT under the epoch lock (calib._stamp_epoch), so epochs follow commit order), commit time, '
    'database role, client user and reason (settings calib.user, calib.reason).';

/* Epoch numbers. Taken at COMMIT only, under an exclusive transaction-level advisory lock
   (calib._stamp_epoch) held until the commit itself, so they are taken in commit order.
   A sequence rather than a counter row: under REPEATABLE READ or SERIALIZABLE, updating
   a counter row that a concurrent transaction updated since the snapshot fails with 40001,
   which would make any two such writers conflict; nextval never does. A commit that fails
   after taking its number (only another deferred check failing later) leaves a gap:
   epochs increase with commits, and are not promised to be consecutive.
   calib.current_epoch() is the largest committed epoch (calib.change), not the sequence's
   position, which is not transactional. */
CREATE SEQUENCE calib.epoch_seq AS bigint MINVALUE 1 START 1 NO CYCLE;

CREATE TABLE calib.collection_version (
    collection_id     integer NOT NULL,
    name              text NOT NULL,
    type              text NOT NULL,
    state             text NOT NULL,
    writers           text[],
    created_change    bigint NOT NULL,
    removed_change    bigint,
    created_operation text NOT NULL,
    removed_operation text,
    CONSTRAINT collection_version_created_fkey FOREIGN KEY (created_change)
        REFERENCES calib.change (change_id),
    CONSTRAINT collection_version_removed_fkey FOREIGN KEY (removed_change)
        REFERENCES calib.change (change_id)
);
CREATE INDEX collection_version_id_idx ON calib.collection_version (collection_id);
CREATE INDEX collection_version_name_idx ON calib.collection_version (name);

CREATE TABLE calib.chain_version (
    parent_id         integer NOT NULL,
    position          integer NOT NULL,
    child_id          integer NOT NULL,
    created_change    bigint NOT NULL,
    removed_change    bigint,
    created_operation text NOT NULL,
    removed_operation text,
    CONSTRAINT chain_version_created_fkey FOREIGN KEY (created_change)
        REFERENCES calib.change (change_id),
    CONSTRAINT chain_version_removed_fkey FOREIGN KEY (removed_change)
        REFERENCES calib.change (change_id)
);
CREATE INDEX chain_version_parent_idx ON calib.chain_version (parent_id, position);

/* Certifications are the one high-volume table, so their history is kept the other way
   round (the layout of SQL:2011 system versioning): a current row carries the change that
   created it (calib.certification.created_change / created_operation, columns added by
   schema/history_triggers.sql), and this table holds only the *closed* versions, those a
   later change removed or replaced (copied here by calib._record_versions from the UPDATE
   or DELETE's old rows). A certify therefore writes each row once, as before the ledger;
   the view calib.certification_history is every version, current and closed. */
CREATE TABLE calib.certification_version (
    certification_id  bigint NOT NULL,
    collection_id     integer NOT NULL,
    dataset_type_id   integer NOT NULL,
    data_id_key       integer NOT NULL,
    dataset_id        uuid NOT NULL,
    validity          tstzrange NOT NULL,
    created_change    bigint NOT NULL,
    removed_change    bigint NOT NULL,
    created_operation text NOT NULL,
    removed_operation text NOT NULL,
    CONSTRAINT certification_version_created_fkey FOREIGN KEY (created_change)
        REFERENCES calib.change (change_id),
    CONSTRAINT certification_version_removed_fkey FOREIGN KEY (removed_change)
        REFERENCES calib.change (change_id)
);
/* As-of probes: (collection, data ID key, validity) like the live exclusion index. */
CREATE INDEX certification_version_probe_idx ON calib.certification_version
    USING gist (collection_id, data_id_key, validity);
CREATE INDEX certification_version_collection_idx
    ON calib.certification_version (collection_id, dataset_type_id);

CREATE TABLE calib.tag_version (
    collection_id     integer NOT NULL,
    dataset_type_id   integer NOT NULL,
    data_id_key       integer NOT NULL,
    dataset_id        uuid NOT NULL,
    created_change    bigint NOT NULL,
    removed_change    bigint,
    created_operation text NOT NULL,
    removed_operation text,
    CONSTRAINT tag_version_created_fkey FOREIGN KEY (created_change)
        REFERENCES calib.change (change_id),
    CONSTRAINT tag_version_removed_fkey FOREIGN KEY (removed_change)
        REFERENCES calib.change (change_id)
);
CREATE INDEX tag_version_key_idx ON calib.tag_version (collection_id, data_id_key);

CREATE TABLE calib.dataset_version (
    dataset_id        uuid NOT NULL,
    dataset_type_id   integer NOT NULL,
    data_id_key       integer NOT NULL,
    run_id            integer NOT NULL,
    created_change    bigint NOT NULL,
    removed_change    bigint,
    created_operation text NOT NULL,
    removed_operation text,
    CONSTRAINT dataset_version_created_fkey FOREIGN KEY (created_change)
        REFERENCES calib.change (change_id),
    CONSTRAINT dataset_version_removed_fkey FOREIGN KEY (removed_change)
        REFERENCES calib.change (change_id)
);
CREATE INDEX dataset_version_run_idx ON calib.dataset_version (run_id, data_id_key);
CREATE INDEX dataset_version_id_idx ON calib.dataset_version (dataset_id);
/* The versions a change closed: found when the same change opens a row again (a delete
   and re-insert), and by history; partial, so that current versions cost nothing here. */
CREATE INDEX collection_version_removed_idx ON calib.collection_version (removed_change) WHERE removed_change IS NOT NULL;
CREATE INDEX chain_version_removed_idx ON calib.chain_version (removed_change) WHERE removed_change IS NOT NULL;
CREATE INDEX certification_version_removed_idx ON calib.certification_version (removed_change);
CREATE INDEX tag_version_removed_idx ON calib.tag_version (removed_change) WHERE removed_change IS NOT NULL;
CREATE INDEX dataset_version_removed_idx ON calib.dataset_version (removed_change) WHERE removed_change IS NOT NULL;
CREATE INDEX change_committed_at_idx ON calib.change (committed_at);

-- snapshots: the table and the search-path columns (here: the functions below and above read them)
/* Snapshots (revision 0014, issue 16 item 6; README "Snapshots"). A snapshot is a
   collection row (its own name, the source's type, state FROZEN) plus one row here naming
   what it reads: the source collection's id and the epoch. Nothing is copied: every read
   of the snapshot is an as-of read of the source (calib._probe_as_of, the as-of rule), so
   creating one costs the same at any size of the source.
   No foreign keys, on purpose: a row outlives both collections. Collection ids are never
   reused, the source's versions stay after it is removed (a snapshot keeps reading them),
   and a removed snapshot's row keeps telling as-of reads of an epoch when it existed what
   it was. The row never changes: calib.snapshot_collection inserts it; nobody but the
   owner can write the table. A snapshot's source is never itself a snapshot (a snapshot
   of a snapshot names the first one's source and epoch). */
CREATE TABLE calib.snapshot (
    collection_id integer NOT NULL,
    source_id     integer NOT NULL,
    epoch         bigint NOT NULL,
    CONSTRAINT snapshot_pkey PRIMARY KEY (collection_id),
    CONSTRAINT snapshot_epoch_check CHECK (epoch >= 0)
);
COMMENT ON TABLE calib.snapshot IS
    'Snapshot collections: the collection reads as source_id did at epoch (as-of reads, no '
    'rows copied). Rows outlive both collections; written only by calib.snapshot_collection.';

/* A stored search path names a snapshot member with its source and epoch, so that
   calib.probe sends only those members through the as-of rule (a one-time filter: the
   members without a snapshot pay nothing for it). A CHAINED snapshot is such a member as
   a whole (its source's path as of the epoch is walked at lookup time). */
ALTER TABLE calib.search_path
    ADD COLUMN snapshot_of integer,
    ADD COLUMN snapshot_epoch bigint,
    DROP CONSTRAINT search_path_member_type_check,
    ADD CONSTRAINT search_path_member_type_check
        CHECK (member_type IN ('RUN', 'TAGGED', 'CALIBRATION')
               OR (member_type = 'CHAINED' AND snapshot_epoch IS NOT NULL)),
    ADD CONSTRAINT search_path_snapshot_check
        CHECK ((snapshot_of IS NULL) = (snapshot_epoch IS NULL));

-- What existed at the upgrade: epoch 1 (before the triggers exist, so that the deferred
-- epoch trigger does not number this change again).
INSERT INTO calib.change (epoch, committed_at, db_role, reason)
SELECT 1, clock_timestamp(), current_user, 'revision 0014: existing content'
WHERE EXISTS (SELECT FROM calib.collection);
DO $$
BEGIN
    IF EXISTS (SELECT FROM calib.change WHERE epoch = 1) THEN
        PERFORM setval('calib.epoch_seq', 1);
    END IF;
END
$$;
/* History (revision 0014): a current certification carries the change that created it
   (created_change, created_operation; see calib.certification_version), and the view
   calib.certification_history is every version of every certification. The columns'
   defaults and the triggers that keep them honest come last (schema/history_triggers.sql:
   they call functions).

   An upgraded database's existing certifications were created by the upgrade's change
   (epoch 1, made just before this file): a constant default fills them without rewriting
   the table or firing its triggers (a FROZEN collection's rows could not be updated). A
   fresh install has no such change and an empty table. */
DO $$
DECLARE
    v_change bigint := (SELECT c.change_id FROM calib.change AS c WHERE c.epoch = 1);
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute
                   WHERE attrelid = 'calib.certification'::regclass
                     AND attname = 'created_change' AND NOT attisdropped) THEN
        EXECUTE pg_catalog.format(
            'ALTER TABLE calib.certification ADD COLUMN created_change bigint DEFAULT %L,'
            ' ADD COLUMN created_operation text DEFAULT %L',
            v_change, CASE WHEN v_change IS NOT NULL THEN 'upgrade' END);
    END IF;
END
$$;
/* Every version of every certification: the current rows (open) and the closed ones, with
   the columns of calib.certification_version. What as-of reads and history read. */
CREATE OR REPLACE VIEW calib.certification_history AS
SELECT c.certification_id, c.collection_id, c.dataset_type_id, c.data_id_key, c.dataset_id,
       c.validity, c.created_change, NULL::bigint AS removed_change, c.created_operation,
       NULL::text AS removed_operation
FROM calib.certification AS c
UNION ALL
SELECT v.certification_id, v.collection_id, v.dataset_type_id, v.data_id_key, v.dataset_id,
       v.validity, v.created_change, v.removed_change, v.created_operation, v.removed_operation
FROM calib.certification_version AS v;

CREATE OR REPLACE FUNCTION calib._operation(p_name text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
/* Names the public function that is changing content, for the history: every mutating
   function calls it first (PERFORM calib._operation('certify')), and calib._record_versions
   records the name with the versions the statement's triggers write. The name is kept in
   the transaction-local setting calib._operation together with the statement's start
   (statement_timestamp(), as epoch seconds), so that it labels only the writes of the
   client statement that called the function: a later statement of the same transaction
   (raw SQL by the owner) is recorded as 'sql'. A setting in the function's SET clause
   would be cleaner, but PostgreSQL lets only superusers put a custom setting there, and
   calibcert installs as calib_owner. Errors: none. Locks: none. */
SELECT set_config('calib._operation',
                  p_name || ' ' || extract(epoch FROM statement_timestamp())::text, true);
$$;

CREATE OR REPLACE FUNCTION calib._change()
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* This transaction's change (calib.change.change_id), created at its first versioned write
   (called by calib._record_versions): the row records the caller's role (calib._caller()),
   the client-supplied user and reason (settings calib.user, calib.reason; empty = NULL),
   and the transaction id. Its id is remembered in the transaction-local setting
   calib._change; a later call reuses it only if that row belongs to this very transaction
   (xid = pg_current_xact_id(), the top-level id even inside a savepoint): a caller who
   sets calib._change by hand cannot attribute its writes to another transaction's change,
   and a non-number there is ignored. A rolled-back savepoint reverts the setting and the
   row alike, so the next write creates a new row. SECURITY DEFINER: the column default
   of calib.certification.created_change calls it as whoever inserts (a raw writer too).
   Errors: none of its own. Locks: none. */
DECLARE
    v_text text := current_setting('calib._change', true);
    v_id bigint;
BEGIN
    IF v_text ~ '^[0-9]{1,18}$' THEN
        SELECT c.change_id INTO v_id FROM calib.change AS c
        WHERE c.change_id = v_text::bigint AND c.xid = pg_current_xact_id();
        IF FOUND THEN
            RETURN v_id;
        END IF;
    END IF;
    INSERT INTO calib.change (db_role, app_user, reason)
    VALUES (calib._caller(), nullif(current_setting('calib.user', true), ''),
            nullif(current_setting('calib.reason', true), ''))
    RETURNING change_id INTO v_id;
    PERFORM set_config('calib._change', v_id::text, true);
    RETURN v_id;
END
$$;

CREATE OR REPLACE FUNCTION calib._stamp_epoch()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Deferred constraint trigger change_epoch on calib.change: at COMMIT, gives the
   transaction's change its epoch and commit time. The epoch is taken under an exclusive
   transaction-level advisory lock (key 7161124082373846386, the bytes 'calibcer'), held
   until the commit has happened and is visible: the next committer waits for it, so epochs
   follow commit order and once calib.current_epoch() returns E, no change with an epoch
   below E can still commit. The lock is held only from here to the commit itself, so
   writers of different collections run concurrently until their last moment. SET
   CONSTRAINTS ALL IMMEDIATE fires this early: the epoch is then taken early and the lock
   held longer, still in commit order (later writes of the same transaction reuse the
   change). Numbering at first write instead would be wrong: see calib.epoch_seq.
   SECURITY DEFINER: a deferred trigger runs at COMMIT as the session's role, outside the
   SECURITY DEFINER function that made the change, and no service role may write
   calib.change or take numbers from calib.epoch_seq itself.
   Errors: 55P03 (wait 'epoch') when the lock is not granted within calib.lock_timeout.
   Locks: the epoch advisory lock, to the end of the transaction. */
DECLARE
    v_epoch bigint;
    v_old text;
BEGIN
    /* Usually nobody else is committing: take the lock without waiting, and without the
       cost of the bounded wait below (a savepoint and two settings; a 1-row certify paid
       ~15% more for them). Otherwise wait, bounded like every wait (calib._bound_waits):
       normally the holder is only committing, but a session that ran SET CONSTRAINTS ALL
       IMMEDIATE holds the lock from its first change to its end. */
    IF NOT pg_try_advisory_xact_lock(7161124082373846386) THEN
        v_old := calib._bound_waits();
        BEGIN
            PERFORM pg_advisory_xact_lock(7161124082373846386);
        EXCEPTION WHEN lock_not_available THEN
            IF calib._lock_timeout('epoch', 'the epoch lock, held by another transaction that is committing',
                                   '{}') IS NULL THEN END IF;
        END;
        PERFORM set_config('lock_timeout', v_old, true);
    END IF;
    v_epoch := nextval('calib.epoch_seq');
    UPDATE calib.change SET epoch = v_epoch, committed_at = clock_timestamp()
    WHERE change_id = NEW.change_id;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION calib._current_operation()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* The operation the versions written by the current client statement are recorded with:
   the public function that named itself with calib._operation in this same statement
   (its label carries the statement's start), else 'sql' (raw SQL, or a later statement of
   the transaction). The one place this is decided (calib._record_versions,
   calib._certification_statement). Errors: none. Locks: none. */
SELECT CASE WHEN split_part(v.label, ' ', 2) = extract(epoch FROM statement_timestamp())::text
            THEN split_part(v.label, ' ', 1) ELSE 'sql' END
FROM (SELECT current_setting('calib._operation', true) AS label) AS v
$$;

CREATE OR REPLACE FUNCTION calib._record_versions()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The history of every versioned table, for every writer (the owner's raw SQL included:
   operation 'sql'), one statement-level AFTER trigger per table and event
   (sql/schema/history_triggers.sql) with its transition table: one pass per statement
   however many rows, so a bulk certify pays a few set-based statements, not one call per
   row. The changed rows' versions go into calib.<table>_version (chain_version for
   collection_chain) under this transaction's change (calib._change()), with the operation
   the calling public function named (calib._operation) in this same client statement, else
   'sql' (calib._current_operation). Certifications differ (their current rows carry their
   creating change; see calib.certification_version): only their old rows come here.
   - old rows (UPDATE, DELETE): their open version is closed by this change, or dropped
     when this same change created it (it was never visible to anyone);
   - new rows (UPDATE, INSERT): a version this change closed with the same key and content
     is opened again (a delete and re-insert of the same row, as set_chain does, or an
     UPDATE that changed no versioned column, is no change); otherwise a new version.
   No other open version of a new row's key can exist (the current table's primary key
   forbids it), so the new versions are inserted without checking for one unless some
   were opened again (the bulk path: one plain INSERT ... SELECT).
   An UPDATE is thus its old rows closed and its new rows opened, paired by primary key
   (history pairs them again for validity before/after).
   - TRUNCATE: every open version is closed.
   SECURITY DEFINER: a raw writer a DBA granted a table to (tests/test_sql_level.py) is
   recorded too, without any right on the history tables.
   Errors: none of its own. Locks: none beyond the version rows it writes. */
DECLARE
    v_change bigint;
    v_reopened bigint;
    v_op text := calib._current_operation();
BEGIN
    /* A statement that changed no row (statement triggers fire anyway) is no change: it
       gets no change row, hence no epoch. */
    IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT FROM new_rows) THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF NOT EXISTS (SELECT FROM old_rows) THEN
            RETURN NULL;
        END IF;
    END IF;
    v_change := calib._change();
    IF TG_TABLE_NAME = 'certification' THEN
        /* Current certifications carry their creating change: only the old rows of an
           UPDATE or DELETE (or every row, BEFORE a TRUNCATE) become closed versions, those
           this same change created excepted (nobody ever saw them). */
        IF TG_OP = 'TRUNCATE' THEN
            INSERT INTO calib.certification_version (certification_id, collection_id, dataset_type_id, data_id_key, dataset_id, validity, created_change, removed_change, created_operation, removed_operation)
            SELECT o.certification_id, o.collection_id, o.dataset_type_id, o.data_id_key, o.dataset_id, o.validity, o.created_change, v_change, o.created_operation, v_op
            FROM calib.certification AS o WHERE o.created_change <> v_change;
        ELSE
            INSERT INTO calib.certification_version (certification_id, collection_id, dataset_type_id, data_id_key, dataset_id, validity, created_change, removed_change, created_operation, removed_operation)
            SELECT o.certification_id, o.collection_id, o.dataset_type_id, o.data_id_key, o.dataset_id, o.validity, o.created_change, v_change, o.created_operation, v_op
            FROM old_rows AS o WHERE o.created_change <> v_change;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'collection' THEN
        IF TG_OP = 'TRUNCATE' THEN
            UPDATE calib.collection_version SET removed_change = v_change, removed_operation = v_op
            WHERE removed_change IS NULL;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM calib.collection_version AS v USING old_rows AS o
            WHERE v.collection_id = o.collection_id AND v.removed_change IS NULL AND v.created_change = v_change;
            UPDATE calib.collection_version AS v SET removed_change = v_change, removed_operation = v_op
            FROM old_rows AS o
            WHERE v.collection_id = o.collection_id AND v.removed_change IS NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            UPDATE calib.collection_version AS v SET removed_change = NULL, removed_operation = NULL
            FROM new_rows AS n
            WHERE v.collection_id = n.collection_id AND v.removed_change = v_change
              AND (v.collection_id, v.name, v.type, v.state, v.writers) IS NOT DISTINCT FROM (n.collection_id, n.name, n.type, n.state, n.writers);
            GET DIAGNOSTICS v_reopened = ROW_COUNT;
            IF v_reopened = 0 THEN
                INSERT INTO calib.collection_version (collection_id, name, type, state, writers, created_change, created_operation)
                SELECT n.collection_id, n.name, n.type, n.state, n.writers, v_change, v_op
                FROM new_rows AS n;
            ELSE
                INSERT INTO calib.collection_version (collection_id, name, type, state, writers, created_change, created_operation)
                SELECT n.collection_id, n.name, n.type, n.state, n.writers, v_change, v_op
                FROM new_rows AS n
                WHERE NOT EXISTS (SELECT FROM calib.collection_version AS v
                                  WHERE v.collection_id = n.collection_id AND v.removed_change IS NULL);
            END IF;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'collection_chain' THEN
        IF TG_OP = 'TRUNCATE' THEN
            UPDATE calib.chain_version SET removed_change = v_change, removed_operation = v_op
            WHERE removed_change IS NULL;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM calib.chain_version AS v USING old_rows AS o
            WHERE v.parent_id = o.parent_id AND v.position = o.position AND v.removed_change IS NULL AND v.created_change = v_change;
            UPDATE calib.chain_version AS v SET removed_change = v_change, removed_operation = v_op
            FROM old_rows AS o
            WHERE v.parent_id = o.parent_id AND v.position = o.position AND v.removed_change IS NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            UPDATE calib.chain_version AS v SET removed_change = NULL, removed_operation = NULL
            FROM new_rows AS n
            WHERE v.parent_id = n.parent_id AND v.position = n.position AND v.removed_change = v_change
              AND (v.parent_id, v.position, v.child_id) IS NOT DISTINCT FROM (n.parent_id, n.position, n.child_id);
            GET DIAGNOSTICS v_reopened = ROW_COUNT;
            IF v_reopened = 0 THEN
                INSERT INTO calib.chain_version (parent_id, position, child_id, created_change, created_operation)
                SELECT n.parent_id, n.position, n.child_id, v_change, v_op
                FROM new_rows AS n;
            ELSE
                INSERT INTO calib.chain_version (parent_id, position, child_id, created_change, created_operation)
                SELECT n.parent_id, n.position, n.child_id, v_change, v_op
                FROM new_rows AS n
                WHERE NOT EXISTS (SELECT FROM calib.chain_version AS v
                                  WHERE v.parent_id = n.parent_id AND v.position = n.position AND v.removed_change IS NULL);
            END IF;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'tag' THEN
        IF TG_OP = 'TRUNCATE' THEN
            UPDATE calib.tag_version SET removed_change = v_change, removed_operation = v_op
            WHERE removed_change IS NULL;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM calib.tag_version AS v USING old_rows AS o
            WHERE v.collection_id = o.collection_id AND v.data_id_key = o.data_id_key AND v.removed_change IS NULL AND v.created_change = v_change;
            UPDATE calib.tag_version AS v SET removed_change = v_change, removed_operation = v_op
            FROM old_rows AS o
            WHERE v.collection_id = o.collection_id AND v.data_id_key = o.data_id_key AND v.removed_change IS NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            UPDATE calib.tag_version AS v SET removed_change = NULL, removed_operation = NULL
            FROM new_rows AS n
            WHERE v.collection_id = n.collection_id AND v.data_id_key = n.data_id_key AND v.removed_change = v_change
              AND (v.collection_id, v.dataset_type_id, v.data_id_key, v.dataset_id) IS NOT DISTINCT FROM (n.collection_id, n.dataset_type_id, n.data_id_key, n.dataset_id);
            GET DIAGNOSTICS v_reopened = ROW_COUNT;
            IF v_reopened = 0 THEN
                INSERT INTO calib.tag_version (collection_id, dataset_type_id, data_id_key, dataset_id, created_change, created_operation)
                SELECT n.collection_id, n.dataset_type_id, n.data_id_key, n.dataset_id, v_change, v_op
                FROM new_rows AS n;
            ELSE
                INSERT INTO calib.tag_version (collection_id, dataset_type_id, data_id_key, dataset_id, created_change, created_operation)
                SELECT n.collection_id, n.dataset_type_id, n.data_id_key, n.dataset_id, v_change, v_op
                FROM new_rows AS n
                WHERE NOT EXISTS (SELECT FROM calib.tag_version AS v
                                  WHERE v.collection_id = n.collection_id AND v.data_id_key = n.data_id_key AND v.removed_change IS NULL);
            END IF;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'dataset' THEN
        IF TG_OP = 'TRUNCATE' THEN
            UPDATE calib.dataset_version SET removed_change = v_change, removed_operation = v_op
            WHERE removed_change IS NULL;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM calib.dataset_version AS v USING old_rows AS o
            WHERE v.dataset_id = o.dataset_id AND v.removed_change IS NULL AND v.created_change = v_change;
            UPDATE calib.dataset_version AS v SET removed_change = v_change, removed_operation = v_op
            FROM old_rows AS o
            WHERE v.dataset_id = o.dataset_id AND v.removed_change IS NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            UPDATE calib.dataset_version AS v SET removed_change = NULL, removed_operation = NULL
            FROM new_rows AS n
            WHERE v.dataset_id = n.dataset_id AND v.removed_change = v_change
              AND (v.dataset_id, v.dataset_type_id, v.data_id_key, v.run_id) IS NOT DISTINCT FROM (n.dataset_id, n.dataset_type_id, n.data_id_key, n.run_id);
            GET DIAGNOSTICS v_reopened = ROW_COUNT;
            IF v_reopened = 0 THEN
                INSERT INTO calib.dataset_version (dataset_id, dataset_type_id, data_id_key, run_id, created_change, created_operation)
                SELECT n.dataset_id, n.dataset_type_id, n.data_id_key, n.run_id, v_change, v_op
                FROM new_rows AS n;
            ELSE
                INSERT INTO calib.dataset_version (dataset_id, dataset_type_id, data_id_key, run_id, created_change, created_operation)
                SELECT n.dataset_id, n.dataset_type_id, n.data_id_key, n.run_id, v_change, v_op
                FROM new_rows AS n
                WHERE NOT EXISTS (SELECT FROM calib.dataset_version AS v
                                  WHERE v.dataset_id = n.dataset_id AND v.removed_change IS NULL);
            END IF;
        END IF;
        RETURN NULL;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION calib._certification_statement()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* BEFORE INSERT OR UPDATE statement trigger of calib.certification, once per statement:
   prepares what the column defaults of created_change / created_operation read row by row
   (schema/history_triggers.sql).
   - calib._change: kept only if it names this transaction's own change (calib._change()
     checks the row's xid); otherwise emptied, so that the first row's default creates the
     change. A caller who set it by hand cannot date rows into another transaction's change.
     A statement that writes no row creates no change (no epoch).
   - calib._row_operation: the operation (calib._current_operation()).
   SECURITY DEFINER: a raw writer a DBA granted the table reads calib.change here.
   Errors: none. Locks: none. */
DECLARE
    v_text text := current_setting('calib._change', true);
BEGIN
    IF v_text IS NOT NULL AND v_text <> '' THEN
        IF NOT (v_text ~ '^[0-9]{1,18}$'
                AND EXISTS (SELECT FROM calib.change AS c
                            WHERE c.change_id = v_text::bigint AND c.xid = pg_current_xact_id())) THEN
            PERFORM set_config('calib._change', '', true);
        END IF;
    END IF;
    PERFORM set_config('calib._row_operation', calib._current_operation(), true);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION calib._stamp_row()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* BEFORE INSERT OR UPDATE row trigger of calib.certification, fired only (its WHEN clause,
   schema/history_triggers.sql) for a row whose created_change / created_operation are not
   this statement's: raw SQL that named values of its own, or an UPDATE that left the old
   ones. Such a row is written by this transaction's change all the same: nothing escapes
   the history, and nobody dates a row into another change. The functions' own writes never
   fire it (defaults; UPDATE ... SET created_change = DEFAULT).
   Errors: none. Locks: none. */
BEGIN
    NEW.created_change := calib._change();
    NEW.created_operation := current_setting('calib._row_operation');
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION calib._visible(p_created bigint, p_removed bigint, p_epoch bigint)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* The visibility rule of history, the one place it is written: a version created by change
   p_created and removed by change p_removed (NULL: still current) is visible as of epoch
   p_epoch when its creating change committed with an epoch <= p_epoch and its removing
   change, if any, did not (no epoch yet = not committed: the removal does not count, the
   creation does not either). PL/pgSQL, not SQL: a SQL function with a subquery is never
   inlined, and is planned again on every query that calls it; here the two primary-key
   probes of calib.change are planned once per session. Private. */
BEGIN
    RETURN EXISTS (SELECT FROM calib.change AS c
                   WHERE c.change_id OPERATOR(pg_catalog.=) p_created
                     AND c.epoch OPERATOR(pg_catalog.<=) p_epoch)
       AND (p_removed IS NULL
            OR NOT EXISTS (SELECT FROM calib.change AS r
                           WHERE r.change_id OPERATOR(pg_catalog.=) p_removed
                             AND r.epoch OPERATOR(pg_catalog.<=) p_epoch));
END
$$;

CREATE OR REPLACE FUNCTION calib.current_epoch()
RETURNS bigint
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The latest committed epoch (0 before any change): everything as of it is final, whatever
   commits later or concurrently (epochs follow commit order: calib._stamp_epoch).
   Errors: none.
   Locks: none; read-only, runs on a hot standby. */
SELECT coalesce(max(c.epoch), 0) FROM calib.change AS c
$$;

CREATE OR REPLACE FUNCTION calib.epoch_at(p_instant timestamptz)
RETURNS bigint
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The last epoch committed at or before p_instant (0 if none was).
   Errors: KC015 NULL instant.
   Locks: none; read-only, runs on a hot standby.

   Commit times (clock_timestamp() at the epoch's stamping) increase with epochs as long as
   the server clock does not step back; the epoch is the largest one stamped at or before
   the instant. */
BEGIN
    IF p_instant IS NULL THEN
        IF calib._raise('KC015', 'instant must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'instant')) IS NULL THEN END IF;
    END IF;
    RETURN coalesce((SELECT max(c.epoch) FROM calib.change AS c
                     WHERE c.committed_at <= p_instant), 0);
END
$$;

CREATE OR REPLACE FUNCTION calib.epoch_at(p_instant text)
RETURNS bigint
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* epoch_at with the instant as text (drivers binding text), read strictly
   (calib._parse_instant: a time without a UTC offset is KC009). */
BEGIN
    RETURN calib.epoch_at(calib._parse_instant(p_instant, 'instant'));
END
$$;

CREATE OR REPLACE FUNCTION calib._as_of(p_epoch bigint)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* p_epoch checked as an as-of argument: 0 <= p_epoch <= calib.current_epoch() (a future
   epoch has no fixed answer yet). Returns it. NULL stays NULL (= now: the caller reads the
   current tables). An epoch below the history horizon (calib.history_horizon, raised by
   calib.prune_history) is refused too: its closed versions are gone, so an answer would be
   wrong. Read in the caller's snapshot (every as-of path is STABLE), so a prune that
   commits during the call is seen with its deletions or not at all.
   Errors: KC015 as_of_range, KC015 as_of_pruned. */
DECLARE
    v_current bigint;
    v_horizon bigint;
BEGIN
    IF p_epoch IS NULL THEN
        RETURN NULL;
    END IF;
    v_current := calib.current_epoch();
    IF p_epoch < 0 OR p_epoch > v_current THEN
        IF calib._raise('KC015',
            format('as_of epoch %s is out of range: epochs run from 0 to the current epoch %s',
                   p_epoch, v_current),
            jsonb_build_object('kind', 'as_of_range', 'as_of', p_epoch,
                               'current', v_current)) IS NULL THEN END IF;
    END IF;
    SELECT h.earliest_epoch INTO v_horizon FROM calib.history_horizon AS h;
    IF p_epoch < v_horizon THEN
        IF calib._raise('KC015',
            format('epoch %s was pruned: history is kept from epoch %s on (calib.prune_history)',
                   p_epoch, v_horizon),
            jsonb_build_object('kind', 'as_of_pruned', 'as_of', p_epoch,
                               'earliest', v_horizon)) IS NULL THEN END IF;
    END IF;
    RETURN p_epoch;
END
$$;

CREATE OR REPLACE FUNCTION calib._epoch_text(p_value text, p_what text)
RETURNS bigint
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* An epoch given as text (the all-text forms of the history functions): decimal digits,
   optionally signed; NULL or '' is NULL (now / no bound). Range checks are the caller's
   (calib._as_of). Errors: KC015 epoch_text. */
BEGIN
    IF p_value IS NULL OR btrim(p_value) = '' THEN
        RETURN NULL;
    END IF;
    IF btrim(p_value) !~ '^-?[0-9]{1,18}$' THEN
        IF calib._raise('KC015', format('%s must be an epoch (an integer), not %L', p_what, p_value),
            jsonb_build_object('kind', 'epoch_text', 'what', p_what, 'value', p_value)) IS NULL THEN END IF;
    END IF;
    RETURN btrim(p_value)::bigint;
END
$$;

CREATE OR REPLACE FUNCTION calib._collection_as_of(p_name text, p_epoch bigint, p_types text[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* calib._collection as of epoch p_epoch (checked by the caller: calib._as_of): the
   id of the collection that bore the name p_name then (calib.collection_version), with
   the same errors. A scalar, so that callers evaluate it as a plain expression (psql then
   prints no function source in the CONTEXT of its errors). A collection removed since, or a name reused since by another collection, is
   answered as it was.
   Errors: KC002 unknown collection (at that epoch), KC003 wrong type, KC015 NULL name. */
DECLARE
    v_row record;
BEGIN
    IF p_name IS NULL THEN
        IF calib._raise('KC015', 'collection name must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'collection name')) IS NULL THEN END IF;
    END IF;
    p_name := normalize(p_name, NFC);
    SELECT v.collection_id, v.name, v.type INTO v_row
    FROM calib.collection_version AS v
    WHERE v.name = p_name AND calib._visible(v.created_change, v.removed_change, p_epoch);
    IF NOT FOUND THEN
        IF calib._raise('KC002', format('collection %L did not exist at epoch %s', p_name, p_epoch),
            jsonb_build_object('kind', 'collection_missing_as_of', 'collection', p_name,
                               'as_of', p_epoch)) IS NULL THEN END IF;
    END IF;
    IF p_types IS NOT NULL AND v_row.type <> ALL (p_types) THEN
        IF calib._raise('KC003',
            format('collection %L is %s; expected %s', p_name, v_row.type,
                   array_to_string(p_types, ' or ')),
            jsonb_build_object('kind', 'collection_type', 'collection', p_name, 'type', v_row.type,
                               'expected', to_jsonb(p_types))) IS NULL THEN END IF;
    END IF;
    RETURN v_row.collection_id;
END
$$;

CREATE OR REPLACE FUNCTION calib._search_path_as_of(p_collection_id integer, p_epoch bigint)
RETURNS TABLE (rank bigint, member_id integer, member_type text, member_name text, member_epoch bigint)
LANGUAGE plpgsql STABLE
ROWS 5
SET search_path = pg_catalog, pg_temp
AS $$
/* The search path of collection p_collection_id as it was at epoch p_epoch: the walk of
   calib._refresh_search_paths (non-CHAINED members depth-first in chain order, each once
   at its first occurrence, ranked 1..n; any other collection is its own path) over the
   collections and chain children visible then (calib.collection_version,
   calib.chain_version). Walked on each call rather than stored: past paths are read
   rarely, and a stored copy per epoch would grow with every chain change. A stored chain
   graph never has a cycle (set_chain and the search-path triggers refuse them); CYCLE
   only guarantees the walk ends. tests/test_pg_history.py checks it against the stored
   path at the current epoch. Each step probes the versions of the collections it reaches
   (indexes on parent_id and collection_id), never every version: the cost follows the
   size of the path, not of the database. PL/pgSQL so that the plan is made once per
   session (a SQL function's body is planned again on every call). ROWS 5: search paths
   are short; the default estimate of 1000 rows made the as-of lookup's plan look costly
   enough for JIT compilation (20 ms per call).
   member_epoch (snapshots, revision 0014): the epoch each member is read at. A snapshot
   (calib.snapshot) reached by the walk is replaced by its source as of the snapshot's
   epoch (its one child, at that epoch), so a member reached through a snapshot carries the
   snapshot's epoch and every other member p_epoch; a member is listed once per epoch it is
   read at. Snapshots never form a cycle: a snapshot's epoch precedes its own creation. */
BEGIN
RETURN QUERY
WITH RECURSIVE walk (collection_id, epoch, path) AS (
    SELECT p_collection_id, p_epoch, ARRAY[]::integer[]
    UNION ALL
    SELECT ch.child_id, ch.epoch, w.path || ch.position
    FROM walk AS w
    CROSS JOIN LATERAL (SELECT v.position, v.child_id, w.epoch FROM calib.chain_version AS v
                        WHERE v.parent_id = w.collection_id
                          AND calib._visible(v.created_change, v.removed_change, w.epoch)
                        UNION ALL
                        SELECT 1, s.source_id, s.epoch FROM calib.snapshot AS s
                        WHERE s.collection_id = w.collection_id) AS ch(position, child_id, epoch)
) CYCLE collection_id, epoch SET looped USING visited
SELECT row_number() OVER (ORDER BY f.path), c.collection_id, c.type, c.name, f.epoch
FROM (SELECT DISTINCT ON (w.collection_id, w.epoch) w.collection_id, w.epoch, w.path
      FROM walk AS w WHERE NOT w.looped
      ORDER BY w.collection_id, w.epoch, w.path) AS f
CROSS JOIN LATERAL (SELECT v.collection_id, v.type, v.name FROM calib.collection_version AS v
                    WHERE v.collection_id = f.collection_id
                      AND calib._visible(v.created_change, v.removed_change, f.epoch)) AS c
WHERE c.type <> 'CHAINED'
  AND NOT EXISTS (SELECT FROM calib.snapshot AS s WHERE s.collection_id = f.collection_id);
END
$$;

CREATE OR REPLACE FUNCTION calib._probe_as_of(p_collection_id integer, p_data_id_key integer, p_span tstzrange, p_as_of bigint)
RETURNS TABLE (member_id integer, dataset_id uuid, ambiguous boolean)
LANGUAGE sql STABLE
AS $$
/* calib.probe as of epoch p_as_of: the same rule (first member of the search path with any
   match for the data ID key decides; RUN and TAGGED members match by data ID, CALIBRATION
   members by certifications overlapping p_span; ambiguous = more than one match there),
   applied to the versions visible then (calib._visible) along the search path as it was
   then (calib._search_path_as_of). Kept next to calib.probe in shape, branch for branch:
   a change to the rule changes both (tests/test_pg_history.py compares them at the
   current epoch). Each member is read at its own epoch (member_epoch: p_as_of, or the
   epoch of the snapshot it was reached through), so this is also how snapshots are read.
   Arguments: p_collection_id and p_data_id_key internal ids, p_span the time (NULL skips
   CALIBRATION members), p_as_of a checked epoch (calib._as_of).
   Locks: none; read-only.
   Errors: none of its own (callers resolve names to ids first and raise).

   Inline-only and SECURITY INVOKER like calib.probe: every name is schema-qualified. */
SELECT m.member_id, x.ids[1], x.ids[2] IS NOT NULL
FROM calib._search_path_as_of(p_collection_id, p_as_of) AS m
CROSS JOIN LATERAL (
    SELECT ARRAY(
        SELECT c.dataset_id FROM calib.certification_history AS c
        WHERE m.member_type OPERATOR(pg_catalog.=) 'CALIBRATION' AND p_span IS NOT NULL
          AND c.collection_id OPERATOR(pg_catalog.=) m.member_id
          AND c.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
          AND c.validity OPERATOR(pg_catalog.&&) p_span
          AND calib._visible(c.created_change, c.removed_change, m.member_epoch)
        UNION ALL
        SELECT d.dataset_id FROM calib.dataset_version AS d
        WHERE m.member_type OPERATOR(pg_catalog.=) 'RUN'
          AND d.run_id OPERATOR(pg_catalog.=) m.member_id
          AND d.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
          AND calib._visible(d.created_change, d.removed_change, m.member_epoch)
        UNION ALL
        SELECT t.dataset_id FROM calib.tag_version AS t
        WHERE m.member_type OPERATOR(pg_catalog.=) 'TAGGED'
          AND t.collection_id OPERATOR(pg_catalog.=) m.member_id
          AND t.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
          AND calib._visible(t.created_change, t.removed_change, m.member_epoch)
        LIMIT 2) AS ids
    OFFSET 0) AS x
WHERE x.ids[1] IS NOT NULL
ORDER BY m.rank
LIMIT 1
$$;

DROP FUNCTION calib._lookup(text, text, jsonb[], tstzrange[]);
CREATE OR REPLACE FUNCTION calib._probe_all_as_of(p_collection_id integer, p_keys integer[], p_spans tstzrange[], p_epoch bigint)
RETURNS TABLE (ord bigint, dataset_id uuid, member_id integer, ambiguous boolean)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* calib._probe_as_of for every query of a lookup as of epoch p_epoch (calib._lookup):
   query i is (p_keys[i], p_spans[i]); a NULL key (a data ID never stored) matches nothing.
   One row per query, in input order. Its own function for one setting: a generic plan.
   A custom plan of this statement was planned again on every call (1.5 ms per find, four
   times the lookup itself); the generic one is planned once per session and probes the
   same indexes (tests/test_pg_history.py checks the plan).
   Errors: none of its own. Locks: none; read-only. */
BEGIN
    RETURN QUERY
    SELECT u.ord, p.dataset_id, p.member_id, p.ambiguous
    FROM unnest(p_keys, p_spans) WITH ORDINALITY AS u(k, span, ord)
    LEFT JOIN LATERAL calib._probe_as_of(p_collection_id, u.k, u.span, p_epoch) AS p
        ON u.k IS NOT NULL;
END
$$;

CREATE OR REPLACE FUNCTION calib._lookup(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_spans tstzrange[],
                                         p_as_of bigint DEFAULT NULL)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* The lookup behind find and find_many. Query i is (p_data_ids[i], p_spans[i]); an
   instant t is passed as the range [t,t], a NULL span skips CALIBRATION collections. The
   rule itself (first member of the search path with any match decides; more than one match
   there is ambiguous) is calib.probe's, applied to each query here; this function resolves
   the names, validates the data IDs, raises the errors and names the RUN of each dataset.
   One row per query, in input order, NULLs when nothing matched anywhere.
   Set-based and linear in the number of queries: one probe per query (inlined), and the
   per-query state lives in parallel arrays that are only ever unnested together (never
   subscripted per row: subscripting a jsonb[] or a uuid[] with NULLs walks it from the
   start). Data IDs equal to a stored one are valid and canonical already; the full
   validation runs only when some data ID is not stored.
   p_as_of: answer as of that epoch (checked by calib._as_of): the collection as named
   then, the rule applied by calib._probe_as_of (calib._probe_all_as_of) to the versions
   visible then; NULL (every
   current caller) reads the current tables through calib.probe, unchanged.
   Errors: KC011 when the deciding member of some query has more than one match (the first
   such query in input order); KC002 / KC005 / KC008 / KC015 for bad arguments. Read-only,
   no locks. */
DECLARE
    v_epoch bigint := calib._as_of(p_as_of);
    v_coll_id integer := CASE WHEN p_as_of IS NULL THEN (calib._collection(p_collection)).collection_id
                              ELSE calib._collection_as_of(p_collection, v_epoch) END;
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type);
    v_values jsonb[];
    v_keys integer[];
    v_ids uuid[];
    v_members integer[];
    v_open bigint;
    v_n integer;
    v_pos integer;
    v_span tstzrange;
    v_member text;
    v_member_id integer;
    v_read_epoch bigint;
    v_root integer;
BEGIN
    IF p_data_ids IS NULL THEN
        IF calib._raise('KC015', 'data IDs must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'data IDs')) IS NULL THEN END IF;
    END IF;
    v_n := cardinality(p_data_ids);
    SELECT array_agg(di.data_id_key ORDER BY u.ord), array_agg(di.value ORDER BY u.ord),
           count(*) FILTER (WHERE di.data_id_key IS NULL)
    INTO v_keys, v_values, v_open
    FROM unnest(p_data_ids) WITH ORDINALITY AS u(v, ord)
    LEFT JOIN calib.data_id AS di ON di.dataset_type_id = v_type.dataset_type_id AND di.value = u.v;
    IF v_open > 0 THEN
        /* Some data ID is not stored: validate them all (KC008 names the first bad one in
           input order) and look the canonical forms up. */
        v_values := calib._canonical_data_ids(v_type, p_data_ids);
        SELECT array_agg(di.data_id_key ORDER BY u.ord) INTO v_keys
        FROM unnest(v_values) WITH ORDINALITY AS u(v, ord)
        LEFT JOIN calib.data_id AS di ON di.dataset_type_id = v_type.dataset_type_id AND di.value = u.v;
    END IF;
    IF p_spans IS NULL OR cardinality(p_spans) <> v_n THEN
        IF calib._raise('KC015',
            format('lookup in %L needs one time (or NULL) per data ID', p_collection),
            jsonb_build_object('kind', 'lookup_times_count', 'collection', p_collection)) IS NULL THEN END IF;
    END IF;
    IF v_n = 0 THEN
        RETURN;
    END IF;

    /* A data ID never stored (NULL key) matches nothing: no probe. */
    SELECT array_agg(p.dataset_id ORDER BY u.ord), array_agg(p.member_id ORDER BY u.ord),
           min(u.ord) FILTER (WHERE p.ambiguous)
    INTO v_ids, v_members, v_pos
    FROM unnest(v_keys, p_spans) WITH ORDINALITY AS u(k, span, ord)
    LEFT JOIN LATERAL calib.probe(v_coll_id, u.k, u.span) AS p ON u.k IS NOT NULL
    WHERE v_epoch IS NULL;
    IF v_epoch IS NOT NULL THEN
        SELECT array_agg(p.dataset_id ORDER BY p.ord), array_agg(p.member_id ORDER BY p.ord),
               min(p.ord) FILTER (WHERE p.ambiguous)
        INTO v_ids, v_members, v_pos
        FROM calib._probe_all_as_of(v_coll_id, v_keys, p_spans, v_epoch) AS p;
    END IF;

    IF v_pos IS NOT NULL THEN
        v_span := p_spans[v_pos];
        v_member_id := v_members[v_pos];
        v_read_epoch := v_epoch;
        v_root := v_coll_id;
        IF v_epoch IS NULL THEN
            /* A snapshot member (revision 0014) decided: name the member of its source
               that did, as of the snapshot's epoch. */
            SELECT sp.snapshot_of, sp.snapshot_epoch INTO v_root, v_read_epoch
            FROM calib.search_path AS sp
            WHERE sp.collection_id = v_coll_id AND sp.member_id = v_member_id
              AND sp.snapshot_epoch IS NOT NULL;
            IF FOUND THEN
                SELECT p.member_id INTO v_member_id
                FROM calib._probe_as_of(v_root, v_keys[v_pos], v_span, v_read_epoch) AS p;
            END IF;
        END IF;
        IF v_read_epoch IS NULL THEN
            SELECT mc.name INTO v_member FROM calib.collection AS mc
            WHERE mc.collection_id = v_member_id;
        ELSE
            /* Each member is read at its own epoch (a snapshot's, when reached through one). */
            SELECT a.member_name, a.member_epoch INTO v_member, v_read_epoch
            FROM calib._search_path_as_of(v_root, v_read_epoch) AS a
            WHERE a.member_id = v_member_id
            ORDER BY a.rank LIMIT 1;
        END IF;
        IF calib._raise('KC011',
            format('lookup of %L data ID %s in %L is ambiguous: collection %L has more than one '
                   'certification valid %s', p_dataset_type, v_values[v_pos], p_collection,
                   v_member,
                   CASE WHEN lower(v_span) = upper(v_span) THEN 'at ' || calib._ts_text(lower(v_span))
                        ELSE 'during ' || calib._span_text(calib._span_json(v_span)) END),
            jsonb_build_object(
                'kind', CASE WHEN lower(v_span) = upper(v_span) THEN 'lookup_ambiguous_at'
                             ELSE 'lookup_ambiguous_during' END,
                'collection', v_member, 'searched', p_collection,
                'dataset_type', p_dataset_type, 'data_id', v_values[v_pos],
                'datasets', CASE WHEN v_read_epoch IS NULL THEN
                            (SELECT jsonb_agg(c.dataset_id ORDER BY lower(c.validity) NULLS FIRST)
                             FROM calib.certification AS c
                             JOIN calib.collection AS mc ON mc.collection_id = c.collection_id
                             WHERE mc.name = v_member AND c.data_id_key = v_keys[v_pos]
                               AND c.validity && v_span)
                            ELSE
                            (SELECT jsonb_agg(c.dataset_id ORDER BY lower(c.validity) NULLS FIRST)
                             FROM calib.certification_history AS c
                             WHERE c.collection_id = v_member_id AND c.data_id_key = v_keys[v_pos]
                               AND c.validity && v_span
                               AND calib._visible(c.created_change, c.removed_change, v_read_epoch))
                            END)
            || CASE WHEN lower(v_span) = upper(v_span)
                    THEN jsonb_build_object('at', calib._ts_text(lower(v_span)))
                    ELSE jsonb_build_object('timespan', calib._span_json(v_span)) END) IS NULL THEN END IF;
    END IF;

    RETURN QUERY
    SELECT u.ord, u.id, v_type.name, CASE WHEN u.id IS NULL THEN NULL ELSE u.v END, r.name
    FROM unnest(v_ids, v_values) WITH ORDINALITY AS u(id, v, ord)
    LEFT JOIN calib.dataset AS d ON d.dataset_id = u.id
    LEFT JOIN calib.collection AS r ON r.collection_id = d.run_id
    ORDER BY u.ord;
END
$$;

INSERT INTO calib.collection_version (collection_id, name, type, state, writers,
                                      created_change, created_operation)
SELECT c.collection_id, c.name, c.type, c.state, c.writers, ch.change_id, 'upgrade'
FROM calib.collection AS c CROSS JOIN calib.change AS ch WHERE ch.epoch = 1;
INSERT INTO calib.chain_version (parent_id, position, child_id, created_change, created_operation)
SELECT c.parent_id, c.position, c.child_id, ch.change_id, 'upgrade'
FROM calib.collection_chain AS c CROSS JOIN calib.change AS ch WHERE ch.epoch = 1;
INSERT INTO calib.tag_version (collection_id, dataset_type_id, data_id_key, dataset_id,
                               created_change, created_operation)
SELECT c.collection_id, c.dataset_type_id, c.data_id_key, c.dataset_id, ch.change_id, 'upgrade'
FROM calib.tag AS c CROSS JOIN calib.change AS ch WHERE ch.epoch = 1;
INSERT INTO calib.dataset_version (dataset_id, dataset_type_id, data_id_key, run_id,
                                   created_change, created_operation)
SELECT c.dataset_id, c.dataset_type_id, c.data_id_key, c.run_id, ch.change_id, 'upgrade'
FROM calib.dataset AS c CROSS JOIN calib.change AS ch WHERE ch.epoch = 1;
CREATE OR REPLACE FUNCTION calib.register_collection(p_name text, p_type text, p_doc text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Register a collection. p_type is RUN, TAGGED, CALIBRATION or CHAINED (any case).
   Returns true if it was created, false if it existed with the same type (a no-op; the
   stored doc is kept). Concurrent registrations of one name are safe (ON CONFLICT).
   The name is stored in Unicode NFC.
   Errors: KC014 bad name, KC015 unknown type / NULL, KC010 exists with another type.
   Locks: the new name in the unique index collection_name_key: a second transaction
   registering the same new name waits for the first to end, bounded (calib._bound_waits;
   55P03, kind lock_timeout, wait collection_name). */
DECLARE
    v_replay jsonb;
    v_type text := upper(p_type);
    v_existing text;
    v_old text;
    v_created boolean;
BEGIN
    PERFORM calib._operation('register_collection');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('register_collection');
        IF v_replay IS NOT NULL THEN
            RETURN (v_replay -> 'result')::boolean;
        END IF;
    END IF;
    p_name := normalize(p_name, NFC);  -- names are stored in NFC (calib._check_name)
    IF calib._check_name(p_name, 'collection name') IS NULL THEN END IF;
    IF v_type IS NULL OR v_type NOT IN ('RUN', 'TAGGED', 'CALIBRATION', 'CHAINED') THEN
        IF calib._raise('KC015',
            format('unknown collection type %L; expected RUN, TAGGED, CALIBRATION or CHAINED', p_type),
            jsonb_build_object('kind', 'collection_type_unknown', 'collection', p_name,
                               'type', p_type)) IS NULL THEN END IF;
    END IF;
    v_old := calib._bound_waits();
    BEGIN
        INSERT INTO calib.collection (name, type, doc) VALUES (p_name, v_type, p_doc)
        ON CONFLICT ON CONSTRAINT collection_name_key DO NOTHING;
        v_created := FOUND;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('collection_name',
            format('another transaction creating collection %L', p_name),
            jsonb_build_object('collection', p_name)) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF v_created THEN
        IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
            PERFORM calib._request_result('register_collection', to_jsonb(true));
        END IF;
        RETURN true;
    END IF;
    SELECT type INTO v_existing FROM calib.collection WHERE name = p_name;
    IF v_existing <> v_type THEN
        IF calib._raise('KC010',
            format('collection %L already exists as %s, not %s', p_name, v_existing, v_type),
            jsonb_build_object('kind', 'collection_exists_as', 'collection', p_name,
                               'type', v_existing, 'requested', v_type)) IS NULL THEN END IF;
    END IF;
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('register_collection', to_jsonb(false));
    END IF;
    RETURN false;
END
$$;

CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children text[])
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Replace the children of CHAINED collection p_parent, atomically, by p_children in order
   (a repeated child is kept at its first position only; an empty array empties the chain).
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002 unknown parent or child, KC003 parent not CHAINED, KC004 a cycle (the
   parent itself, or a chain that already contains the parent), KC015 NULL.
   Locks: calib._lock_chains(), then the parent row (calib._lock_collections). */
DECLARE
    v_replay jsonb;
    v_parent calib.collection := calib._collection(p_parent, ARRAY['CHAINED']);
    v_ids integer[];
    v_missing text;
    v_cycle text;
BEGIN
    PERFORM calib._operation('set_chain');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('set_chain');
        IF v_replay IS NOT NULL THEN
            RETURN;
        END IF;
    END IF;
    IF p_children IS NULL OR array_position(p_children, NULL) IS NOT NULL THEN
        IF calib._raise('KC015', 'chain children must be a non-NULL array of names',
                             jsonb_build_object('kind', 'chain_children_null',
                                                'collection', p_parent)) IS NULL THEN END IF;
    END IF;
    /* Names are stored in NFC: look the children up by their NFC spelling. */
    p_children := ARRAY(SELECT normalize(u.c, NFC)
                        FROM unnest(p_children) WITH ORDINALITY AS u(c, ord) ORDER BY u.ord);
    IF calib._lock_chains() IS NULL THEN END IF;
    /* Look it up again: a concurrent remove may have committed while we waited. */
    v_parent := calib._collection(p_parent, ARRAY['CHAINED']);
    IF calib._lock_collections(ARRAY[v_parent.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_parent.collection_id, 'set_chain') IS NULL THEN END IF;

    SELECT u.name INTO v_missing
    FROM unnest(p_children) WITH ORDINALITY AS u(name, ord)
    LEFT JOIN calib.collection AS c ON c.name = u.name
    WHERE c.collection_id IS NULL ORDER BY u.ord LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC002',
            format('collection %L (child of chain %L) does not exist', v_missing, p_parent),
            jsonb_build_object('kind', 'chain_child_missing', 'collection', v_missing,
                               'parent', p_parent)) IS NULL THEN END IF;
    END IF;

    v_ids := ARRAY(
        SELECT c.collection_id
        FROM (SELECT DISTINCT ON (u.name) u.name, u.ord
              FROM unnest(p_children) WITH ORDINALITY AS u(name, ord)
              ORDER BY u.name, u.ord) AS firsts
        JOIN calib.collection AS c ON c.name = firsts.name
        ORDER BY firsts.ord);

    /* A cycle exists iff the parent is reachable from one of the new children. */
    WITH RECURSIVE reach (collection_id, via) AS (
        SELECT c, c FROM unnest(v_ids) AS c
        UNION
        SELECT ch.child_id, r.via
        FROM reach AS r JOIN calib.collection_chain AS ch ON ch.parent_id = r.collection_id
    )
    SELECT c.name INTO v_cycle
    FROM reach AS r JOIN calib.collection AS c ON c.collection_id = r.via
    WHERE r.collection_id = v_parent.collection_id
    ORDER BY array_position(v_ids, r.via)  -- the first new child that leads back
    LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC004',
            format('making %L a child of chain %L would create a cycle', v_cycle, p_parent),
            jsonb_build_object('kind', 'chain_cycle', 'collection', p_parent, 'child', v_cycle)) IS NULL THEN END IF;
    END IF;

    DELETE FROM calib.collection_chain WHERE parent_id = v_parent.collection_id;
    INSERT INTO calib.collection_chain (parent_id, position, child_id)
    SELECT v_parent.collection_id, u.ord, u.id
    FROM unnest(v_ids) WITH ORDINALITY AS u(id, ord);
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('set_chain', NULL);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children jsonb)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* set_chain with the children as one JSON array document of names (calib._names).
   PL/pgSQL, as the typed form, so that both return the same void value. */
BEGIN
    PERFORM calib._operation('set_chain');  -- named in the history (revision 0014)
    IF calib.set_chain(p_parent, calib._names(p_children, 'children')) IS NULL THEN END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* set_chain with the children as text: a JSON array or a PostgreSQL array literal. */
BEGIN
    PERFORM calib._operation('set_chain');  -- named in the history (revision 0014)
    IF calib.set_chain(p_parent, calib._names(calib._document(p_children, 'children', false),
                                                   'children')) IS NULL THEN END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.remove_collection(p_name text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Remove a TAGGED, CALIBRATION or CHAINED collection with its associations (tags,
   certifications, chain children); its datasets stay in their RUNs. A RUN may be removed
   only while it holds no dataset.
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002 unknown, KC013 still a child of a chain / RUN with datasets.
   Locks: calib._lock_chains(), then the collection row. */
DECLARE
    v_replay jsonb;
    v_coll calib.collection;
    v_parent text;
BEGIN
    PERFORM calib._operation('remove_collection');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('remove_collection');
        IF v_replay IS NOT NULL THEN
            RETURN;
        END IF;
    END IF;
    /* Unknown: refused before the chain lock. After the replay above, so that a retried
       removal returns instead of finding the collection gone. */
    v_coll := calib._collection(p_name);
    IF calib._lock_chains() IS NULL THEN END IF;
    /* Look it up again: a concurrent remove may have committed while we waited. */
    v_coll := calib._collection(p_name);
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'remove_collection') IS NULL THEN END IF;
    SELECT p.name INTO v_parent
    FROM calib.collection_chain AS ch JOIN calib.collection AS p ON p.collection_id = ch.parent_id
    WHERE ch.child_id = v_coll.collection_id
    ORDER BY p.name LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC013',
            format('collection %L is still a child of chain %L', p_name, v_parent),
            jsonb_build_object('kind', 'collection_in_chain', 'collection', p_name,
                               'parent', v_parent)) IS NULL THEN END IF;
    END IF;
    IF v_coll.type = 'RUN' AND EXISTS (SELECT FROM calib.dataset WHERE run_id = v_coll.collection_id) THEN
        IF calib._raise('KC013',
            format('RUN collection %L still holds datasets; datasets are never deleted', p_name),
            jsonb_build_object('kind', 'run_has_datasets', 'collection', p_name)) IS NULL THEN END IF;
    END IF;
    DELETE FROM calib.collection WHERE collection_id = v_coll.collection_id;
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('remove_collection', NULL);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.register_dataset_type(
    p_name text, p_dimensions text[], p_is_calibration boolean DEFAULT true)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Register a dataset type: its data IDs have exactly the keys p_dimensions (ordered,
   distinct names). Returns true if created, false if the same definition existed.
   Names are stored in Unicode NFC; at most 32 dimensions (with the 2000-byte limit of a
   data ID, no data ID can outgrow a btree entry).
   Errors: KC014 bad name, KC015 NULL / repeated dimension / more than 32, KC010 exists with another
   definition; 55P03 lock timeout (kind lock_timeout).
   Locks: the new name in the unique index dataset_type_name_key: a second transaction
   registering the same new name waits for the first to end, bounded (calib._bound_waits;
   55P03, kind lock_timeout, wait dataset_type_name). */
DECLARE
    v_replay jsonb;
    v_existing calib.dataset_type;
    v_dim text;
    v_old text;
    v_created boolean;
BEGIN
    PERFORM calib._operation('register_dataset_type');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('register_dataset_type');
        IF v_replay IS NOT NULL THEN
            RETURN (v_replay -> 'result')::boolean;
        END IF;
    END IF;
    /* Names are stored in NFC (calib._check_name), the dimension names too. */
    p_name := normalize(p_name, NFC);
    p_dimensions := CASE WHEN p_dimensions IS NOT NULL THEN ARRAY(SELECT normalize(u.d, NFC)
                          FROM unnest(p_dimensions) WITH ORDINALITY AS u(d, ord) ORDER BY u.ord) END;
    IF calib._check_name(p_name, 'dataset type name') IS NULL THEN END IF;
    IF p_dimensions IS NULL OR p_is_calibration IS NULL THEN
        IF calib._raise('KC015', 'dimensions and is_calibration must not be NULL',
                             jsonb_build_object('kind', 'dataset_type_definition_null',
                                                'dataset_type', p_name)) IS NULL THEN END IF;
    END IF;
    FOREACH v_dim IN ARRAY p_dimensions LOOP
        IF calib._check_name(v_dim, 'dimension name') IS NULL THEN END IF;
    END LOOP;
    IF cardinality(p_dimensions) <> (SELECT count(DISTINCT d) FROM unnest(p_dimensions) AS d) THEN
        IF calib._raise('KC015',
            format('dimensions of dataset type %L repeat a name: %s', p_name, p_dimensions),
            jsonb_build_object('kind', 'dimensions_repeated', 'dataset_type', p_name,
                               'dimensions', to_jsonb(p_dimensions))) IS NULL THEN END IF;
    END IF;
    IF cardinality(p_dimensions) > 32 THEN
        IF calib._raise('KC015',
            format('dataset type %L has %s dimensions; at most 32 are allowed', p_name,
                   cardinality(p_dimensions)),
            jsonb_build_object('kind', 'dimensions_count', 'dataset_type', p_name,
                               'count', cardinality(p_dimensions))) IS NULL THEN END IF;
    END IF;
    v_old := calib._bound_waits();
    BEGIN
        INSERT INTO calib.dataset_type (name, dimensions, is_calibration)
        VALUES (p_name, p_dimensions, p_is_calibration)
        ON CONFLICT ON CONSTRAINT dataset_type_name_key DO NOTHING;
        v_created := FOUND;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('dataset_type_name',
            format('another transaction creating dataset type %L', p_name),
            jsonb_build_object('dataset_type', p_name)) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF v_created THEN
        IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
            PERFORM calib._request_result('register_dataset_type', to_jsonb(true));
        END IF;
        RETURN true;
    END IF;
    SELECT * INTO v_existing FROM calib.dataset_type WHERE name = p_name;
    IF v_existing.dimensions <> p_dimensions OR v_existing.is_calibration <> p_is_calibration THEN
        IF calib._raise('KC010',
            format('dataset type %L already exists with dimensions %s, is_calibration=%s',
                   p_name, v_existing.dimensions, v_existing.is_calibration),
            jsonb_build_object('kind', 'dataset_type_exists_as', 'dataset_type', p_name,
                               'dimensions', to_jsonb(v_existing.dimensions),
                               'is_calibration', v_existing.is_calibration)) IS NULL THEN END IF;
    END IF;
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('register_dataset_type', to_jsonb(false));
    END IF;
    RETURN false;
END
$$;

CREATE OR REPLACE FUNCTION calib.register_dataset_type(
    p_name text, p_dimensions jsonb, p_is_calibration boolean DEFAULT true)
RETURNS boolean
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* register_dataset_type with the dimensions as one JSON array document of names
   ('["instrument", "detector"]', calib._names). */
SELECT calib.register_dataset_type(p_name, calib._names(p_dimensions, 'dimensions'),
                                   p_is_calibration)
$$;

CREATE OR REPLACE FUNCTION calib.register_dataset_type(
    p_name text, p_dimensions text, p_is_calibration text DEFAULT 'true')
RETURNS boolean
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* register_dataset_type with every argument as text: the dimensions a JSON array or a
   PostgreSQL array literal, is_calibration a boolean's text. */
SELECT calib.register_dataset_type(
    p_name, calib._names(calib._document(p_dimensions, 'dimensions', false), 'dimensions'),
    calib._parse_boolean(p_is_calibration, 'is_calibration'))
$$;

CREATE OR REPLACE FUNCTION calib.insert_datasets(
    p_dataset_type text, p_run text, p_data_ids jsonb[], p_ids uuid[] DEFAULT NULL)
RETURNS TABLE (dataset_id uuid, data_id jsonb)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Create one dataset per data ID in RUN collection p_run; returns (id, canonical data ID)
   in input order. p_ids brings the caller's own UUIDs (same length); otherwise random
   UUIDs are generated. Set-based: data IDs are interned and datasets inserted with one
   statement each.
   A dimension used for the first time gets the value type of its first value here.
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002/KC003 run unknown or not a RUN, KC005 unknown type, KC008 bad data ID
   (calib._canonical_data_ids: also a value of the other type than its dimension's),
   KC010 a data ID repeated in the call or already in the run, or an id already used,
   KC015 NULLs / p_ids of another length.
   Locks: the run's collection row (calib._lock_collections); then the new data IDs (in
   data_id_type_value_key) and the new dataset ids (dataset_pkey), in sorted order: a
   transaction creating one of them too, still open, makes this call wait for it to end,
   bounded (calib._bound_waits; 55P03, kind lock_timeout, wait data_id or dataset_id, with
   the call's first data IDs / ids). A dimension's first use: see calib._fix_dimensions. */
DECLARE
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type);
    v_run calib.collection := calib._collection(p_run, ARRAY['RUN']);
    /* First use of a dimension fixes its value type (calib.dimension). */
    v_new_dimensions boolean := calib._fix_dimensions(v_type, p_data_ids);
    v_values jsonb[] := calib._canonical_data_ids(v_type, p_data_ids);
    v_ids uuid[];
    v_keys integer[];
    v_dup jsonb;
    v_dup_id uuid;
    v_old text;
    v_step text;
    v_replay jsonb;
BEGIN
    PERFORM calib._operation('insert_datasets');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('insert_datasets');
        IF v_replay IS NOT NULL THEN
            RETURN QUERY SELECT (r.e ->> 'dataset_id')::uuid, r.e -> 'data_id'
                         FROM jsonb_array_elements(v_replay -> 'result') WITH ORDINALITY AS r(e, n)
                         ORDER BY r.n;
            RETURN;
        END IF;
    END IF;
    IF p_ids IS NOT NULL AND (cardinality(p_ids) <> cardinality(p_data_ids)
                              OR array_position(p_ids, NULL) IS NOT NULL) THEN
        IF calib._raise('KC015',
            format('%s ids given for %s data IDs (ids must be non-NULL, one per data ID)',
                   cardinality(p_ids), cardinality(p_data_ids)),
            jsonb_build_object('kind', 'ids_count', 'dataset_type', p_dataset_type,
                               'collection', p_run, 'n_ids', cardinality(p_ids),
                               'n_data_ids', cardinality(p_data_ids))) IS NULL THEN END IF;
    END IF;
    v_ids := coalesce(p_ids, ARRAY(SELECT gen_random_uuid() FROM generate_series(1, cardinality(v_values))));

    SELECT u.v INTO v_dup FROM unnest(v_values) WITH ORDINALITY AS u(v, ord)
    GROUP BY u.v HAVING count(*) > 1 ORDER BY min(u.ord) LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC010',
            format('data ID %s of dataset type %L appears more than once in one call', v_dup, p_dataset_type),
            jsonb_build_object('kind', 'data_id_repeated', 'dataset_type', p_dataset_type,
                               'data_id', v_dup, 'collection', p_run)) IS NULL THEN END IF;
    END IF;
    SELECT u.i INTO v_dup_id FROM unnest(v_ids) WITH ORDINALITY AS u(i, ord)
    GROUP BY u.i HAVING count(*) > 1 ORDER BY min(u.ord) LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC010', format('dataset id %s appears more than once in one call', v_dup_id),
                             jsonb_build_object('kind', 'dataset_id_repeated', 'dataset', v_dup_id)) IS NULL THEN END IF;
    END IF;

    IF calib._lock_collections(ARRAY[v_run.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_run.collection_id, 'insert_datasets') IS NULL THEN END IF;

    SELECT d.dataset_id INTO v_dup_id FROM calib.dataset AS d WHERE d.dataset_id = ANY (v_ids)
    ORDER BY d.dataset_id LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC010', format('dataset id %s already exists', v_dup_id),
                             jsonb_build_object('kind', 'dataset_id_exists', 'dataset', v_dup_id)) IS NULL THEN END IF;
    END IF;

    /* The new data IDs, then the new datasets: both may wait for another transaction that
       creates the same ones; one bound and one subtransaction for both (v_step says which
       wait ran out). */
    v_old := calib._bound_waits();
    BEGIN
        /* Intern in a fixed order so that concurrent callers cannot deadlock on each
           other's speculative insertions. */
        v_step := 'data_id';
        INSERT INTO calib.data_id (dataset_type_id, value)
        SELECT v_type.dataset_type_id, v FROM unnest(v_values) AS v ORDER BY v
        ON CONFLICT ON CONSTRAINT data_id_type_value_key DO NOTHING;
        v_keys := ARRAY(
            SELECT di.data_id_key
            FROM unnest(v_values) WITH ORDINALITY AS u(v, ord)
            JOIN calib.data_id AS di ON di.dataset_type_id = v_type.dataset_type_id AND di.value = u.v
            ORDER BY u.ord);

        SELECT di.value INTO v_dup
        FROM calib.dataset AS d JOIN calib.data_id AS di ON di.data_id_key = d.data_id_key
        WHERE d.run_id = v_run.collection_id AND d.data_id_key = ANY (v_keys)
        ORDER BY d.data_id_key LIMIT 1;
        IF FOUND THEN
            IF calib._raise('KC010',
                format('RUN %L already has a %L dataset with data ID %s', p_run, p_dataset_type, v_dup),
                jsonb_build_object('kind', 'run_data_id_exists', 'collection', p_run,
                                   'dataset_type', p_dataset_type, 'data_id', v_dup)) IS NULL THEN END IF;
        END IF;

        /* In id order too: two calls given the same new ids in opposite orders (into
           different RUNs, so under different collection locks) then meet on the same first
           id, and the later one waits for it and fails (dataset_pkey) instead of deadlocking
           with the other halfway through. */
        v_step := 'dataset_id';
        INSERT INTO calib.dataset (dataset_id, dataset_type_id, data_id_key, run_id)
        SELECT u.id, v_type.dataset_type_id, u.k, v_run.collection_id
        FROM unnest(v_ids, v_keys) AS u(id, k)
        ORDER BY u.id;
    EXCEPTION WHEN lock_not_available THEN
        IF v_step = 'data_id' THEN
            IF calib._lock_timeout('data_id',
                format('another transaction creating a %L data ID of this call (%s data IDs, the first %s)',
                       p_dataset_type, cardinality(v_values), v_values[1]),
                jsonb_build_object('dataset_type', p_dataset_type, 'collection', p_run,
                                   'data_ids', to_jsonb(v_values[1:10]),
                                   'n_data_ids', cardinality(v_values))) IS NULL THEN END IF;
        END IF;
        IF calib._lock_timeout('dataset_id',
            format('another transaction creating a dataset id of this call (%s ids, the first %s)',
                   cardinality(v_ids), v_ids[1]),
            jsonb_build_object('dataset_type', p_dataset_type, 'collection', p_run,
                               'datasets', to_jsonb(v_ids[1:10]),
                               'n_datasets', cardinality(v_ids))) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);

    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('insert_datasets', (
            SELECT jsonb_agg(jsonb_build_object('dataset_id', u.id, 'data_id', u.v) ORDER BY u.n)
            FROM unnest(v_ids, v_values) WITH ORDINALITY AS u(id, v, n)));
    END IF;
    RETURN QUERY SELECT u.id, u.v FROM unnest(v_ids, v_values) AS u(id, v);
END
$$;

CREATE OR REPLACE FUNCTION calib.insert_datasets(
    p_dataset_type text, p_run text, p_data_ids jsonb, p_ids jsonb DEFAULT NULL)
RETURNS TABLE (dataset_id uuid, data_id jsonb)
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* insert_datasets with the data IDs and the ids as JSON array documents
   ('[{"instrument": "Cam", "detector": 1}]', '["<uuid>"]'); same results and errors, KC016
   for a document that is not such an array. */
SELECT * FROM calib.insert_datasets(p_dataset_type, p_run,
                                    calib._data_ids(p_data_ids, 'data_ids'),
                                    calib._uuids(p_ids, 'ids'))
$$;

CREATE OR REPLACE FUNCTION calib.insert_datasets(
    p_dataset_type text, p_run text, p_data_ids text, p_ids text DEFAULT NULL)
RETURNS TABLE (dataset_id uuid, data_id jsonb)
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* insert_datasets with every argument as text: data IDs and ids as JSON arrays or
   PostgreSQL array literals (calib._document). */
SELECT * FROM calib.insert_datasets(
    p_dataset_type, p_run,
    calib._data_ids(calib._document(p_data_ids, 'data_ids', true), 'data_ids'),
    calib._uuids(calib._document(p_ids, 'ids', false), 'ids'))
$$;

CREATE OR REPLACE FUNCTION calib.tag(p_collection text, p_datasets uuid[])
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Add datasets to TAGGED collection p_collection. A TAGGED collection holds at most one
   dataset per (dataset type, data ID); tagging a dataset already there is a no-op.
   Returns the number of datasets newly tagged.
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset, KC010 another
   dataset of the same type and data ID is tagged already (or in the same call).
   Locks: the collection row. */
DECLARE
    v_replay jsonb;
    v_coll calib.collection := calib._collection(p_collection, ARRAY['TAGGED']);
    v_res record := calib._resolve_datasets(p_datasets);
    v_bad record;
    v_n integer;
BEGIN
    PERFORM calib._operation('tag');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('tag');
        IF v_replay IS NOT NULL THEN
            RETURN (v_replay -> 'result')::integer;
        END IF;
    END IF;
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'tag') IS NULL THEN END IF;
    WITH n AS (SELECT DISTINCT u.id, u.k FROM unnest(p_datasets, v_res.o_keys) AS u(id, k)),
    clash AS (
        SELECT 0 AS src, a.id, b.id AS other, a.k
        FROM n AS a JOIN n AS b ON a.k = b.k AND a.id < b.id
        UNION ALL
        SELECT 1, n.id, t.dataset_id, n.k FROM n
        JOIN calib.tag AS t ON t.collection_id = v_coll.collection_id AND t.data_id_key = n.k
                           AND t.dataset_id <> n.id
    )
    SELECT clash.*, di.value AS data_id, dt.name AS type_name INTO v_bad
    FROM clash JOIN calib.data_id AS di ON di.data_id_key = clash.k
    JOIN calib.dataset_type AS dt ON dt.dataset_type_id = di.dataset_type_id
    /* A fixed choice when there are several (the same on every plan and backend): clashes
       within the call first, then by key and ids. */
    ORDER BY clash.src, clash.k, clash.id, clash.other
    LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC010',
            format('TAGGED collection %L can hold only one %L dataset with data ID %s: %s and %s',
                   p_collection, v_bad.type_name, v_bad.data_id, v_bad.id, v_bad.other),
            jsonb_build_object('kind', 'tag_clash', 'collection', p_collection,
                               'dataset_type', v_bad.type_name,
                               'data_id', v_bad.data_id, 'dataset', v_bad.id,
                               'conflicting_dataset', v_bad.other)) IS NULL THEN END IF;
    END IF;
    INSERT INTO calib.tag (collection_id, dataset_type_id, data_id_key, dataset_id)
    SELECT DISTINCT v_coll.collection_id, u.t, u.k, u.id
    FROM unnest(p_datasets, v_res.o_types, v_res.o_keys) AS u(id, t, k)
    ON CONFLICT ON CONSTRAINT tag_pkey DO NOTHING;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('tag', to_jsonb(v_n));
    END IF;
    RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION calib.tag(p_collection text, p_datasets jsonb)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* tag with the datasets as one JSON array document of UUID strings (calib._uuids). */
SELECT calib.tag(p_collection, calib._uuids(p_datasets, 'datasets'))
$$;

CREATE OR REPLACE FUNCTION calib.tag(p_collection text, p_datasets text)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* tag with the datasets as text: a JSON array or a PostgreSQL array literal. */
SELECT calib.tag(p_collection, calib._uuids(calib._document(p_datasets, 'datasets', false),
                                           'datasets'))
$$;

CREATE OR REPLACE FUNCTION calib.untag(p_collection text, p_datasets uuid[])
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Remove datasets from TAGGED collection p_collection; datasets not tagged there are
   ignored. Returns the number removed.
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset.
   Locks: the collection row. */
DECLARE
    v_replay jsonb;
    v_coll calib.collection := calib._collection(p_collection, ARRAY['TAGGED']);
    v_res record := calib._resolve_datasets(p_datasets);
    v_n integer;
BEGIN
    PERFORM calib._operation('untag');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('untag');
        IF v_replay IS NOT NULL THEN
            RETURN (v_replay -> 'result')::integer;
        END IF;
    END IF;
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'untag') IS NULL THEN END IF;
    DELETE FROM calib.tag AS t
    WHERE t.collection_id = v_coll.collection_id AND t.dataset_id = ANY (p_datasets);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('untag', to_jsonb(v_n));
    END IF;
    RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION calib.untag(p_collection text, p_datasets jsonb)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* untag with the datasets as one JSON array document of UUID strings (calib._uuids). */
SELECT calib.untag(p_collection, calib._uuids(p_datasets, 'datasets'))
$$;

CREATE OR REPLACE FUNCTION calib.untag(p_collection text, p_datasets text)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* untag with the datasets as text: a JSON array or a PostgreSQL array literal. */
SELECT calib.untag(p_collection, calib._uuids(calib._document(p_datasets, 'datasets', false),
                                           'datasets'))
$$;

CREATE OR REPLACE FUNCTION calib._certify_rows(
    p_coll calib.collection, p_datasets uuid[], p_begins timestamptz[], p_ends timestamptz[],
    p_series boolean, p_close_open boolean)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* The one implementation behind certify and certify_series. Item i certifies
   p_datasets[i] over [p_begins[i], p_ends[i]) (NULL = unbounded). In series mode the ends
   are ignored and derived: the next begin of the same calibration key, the last one
   unbounded.
   Order of work: every check that needs no lock, then the collection lock, then close_open,
   then one INSERT. The exclusion constraint finds every overlap (stored rows and rows of
   this same call alike); on a violation the conflicts are listed and KC001 is raised, which
   undoes the close_open update too.
   The collection's writers and state are checked right after its lock
   (calib._check_change, with each item's key and begin for the APPEND_ONLY rule).
   Errors: KC017/KC018 (calib._check_change), KC007 unknown dataset, KC006 not a calibration type, KC001 conflicts (also:
   two items of a series with the same key and begin). */
DECLARE
    v_res record := calib._resolve_datasets(p_datasets);
    v_ends timestamptz[] := p_ends;
    v_name text;
    v_n integer;
    v_conflicts jsonb;
BEGIN
    SELECT t.name INTO v_name FROM calib.dataset_type AS t
    WHERE t.dataset_type_id = ANY (v_res.o_types) AND NOT t.is_calibration
    ORDER BY t.dataset_type_id LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC006',
            format('dataset type %L is not a calibration type and cannot be certified', v_name),
            jsonb_build_object('kind', 'not_calibration_certify',
                               'dataset_type', v_name, 'collection', p_coll.name)) IS NULL THEN END IF;
    END IF;

    IF p_series THEN
        v_conflicts := (
            SELECT jsonb_agg(jsonb_build_object(
                       'dataset_type', t.name, 'data_id', di.value,
                       'dataset', g.ids[1], 'timespan', calib._span_json(tstzrange(g.b, NULL, '[)')),
                       'conflicting_dataset', g.ids[2],
                       'conflicting_timespan', calib._span_json(tstzrange(g.b, NULL, '[)')))
                   ORDER BY g.first)
            FROM (SELECT u.k, u.b, array_agg(u.id ORDER BY u.ord) AS ids, min(u.ord) AS first
                  FROM unnest(p_datasets, v_res.o_keys, p_begins) WITH ORDINALITY AS u(id, k, b, ord)
                  GROUP BY u.k, u.b HAVING count(*) > 1) AS g
            JOIN calib.data_id AS di ON di.data_id_key = g.k
            JOIN calib.dataset_type AS t ON t.dataset_type_id = di.dataset_type_id);
        IF v_conflicts IS NOT NULL THEN
            IF calib._raise('KC001',
                format('certify_series into %L: %s data ID %s has two items beginning at %s',
                       p_coll.name, v_conflicts->0->>'dataset_type', v_conflicts->0->'data_id',
                       coalesce(v_conflicts->0->'timespan'->>0, '-infinity')),
                jsonb_build_object('kind', 'series_duplicate_begin',
                                   'collection', p_coll.name, 'conflicts', v_conflicts)) IS NULL THEN END IF;
        END IF;
        v_ends := ARRAY(
            SELECT s.e FROM (
                SELECT u.ord, lead(u.b) OVER (PARTITION BY u.k ORDER BY u.b NULLS FIRST) AS e
                FROM unnest(v_res.o_keys, p_begins) WITH ORDINALITY AS u(k, b, ord)) AS s
            ORDER BY s.ord);
    END IF;

    IF calib._lock_collections(ARRAY[p_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(p_coll.collection_id,
                           CASE WHEN p_series THEN 'certify_series' ELSE 'certify' END,
                           v_res.o_keys, p_begins) IS NULL THEN END IF;

    IF p_close_open THEN
        /* For each key, the earliest new begin closes a stored open range that begins
           before it. A key with an item unbounded below closes nothing. */
        UPDATE calib.certification AS c
        SET validity = tstzrange(lower(c.validity), f.first_begin, '[)'),
            created_change = DEFAULT, created_operation = DEFAULT  -- a new version (history)
        FROM (SELECT u.k, min(u.b) AS first_begin
              FROM unnest(v_res.o_keys, p_begins) AS u(k, b)
              GROUP BY u.k HAVING bool_and(u.b IS NOT NULL)) AS f
        WHERE c.collection_id = p_coll.collection_id
          AND c.data_id_key = f.k
          AND c.validity && tstzrange(f.first_begin, NULL, '[)')
          AND upper_inf(c.validity)
          AND (lower_inf(c.validity) OR lower(c.validity) < f.first_begin);
    END IF;

    BEGIN
        INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
        SELECT p_coll.collection_id, u.t, u.k, u.id, tstzrange(u.b, u.e, '[)')
        FROM unnest(p_datasets, v_res.o_types, v_res.o_keys, p_begins, v_ends) AS u(id, t, k, b, e);
        GET DIAGNOSTICS v_n = ROW_COUNT;
    EXCEPTION WHEN exclusion_violation THEN
        v_conflicts := calib._certification_conflicts(
            p_coll.collection_id, p_datasets, v_res.o_keys, p_begins, v_ends);
        IF calib._raise('KC001',
            CASE WHEN v_conflicts IS NULL THEN
                format('certification into %L conflicts with a concurrent writer', p_coll.name)
            ELSE
                format('certification into %L conflicts: %s data ID %s, dataset %s over %s overlaps dataset %s over %s%s',
                       p_coll.name, v_conflicts->0->>'dataset_type', v_conflicts->0->'data_id',
                       v_conflicts->0->>'dataset', calib._span_text(v_conflicts->0->'timespan'),
                       v_conflicts->0->>'conflicting_dataset',
                       calib._span_text(v_conflicts->0->'conflicting_timespan'),
                       CASE WHEN jsonb_array_length(v_conflicts) > 1
                            THEN format(' (and %s more)', jsonb_array_length(v_conflicts) - 1) ELSE '' END)
            END,
            jsonb_build_object('kind', CASE WHEN v_conflicts IS NULL
                                            THEN 'certification_conflict_concurrent'
                                            ELSE 'certification_conflict' END,
                               'collection', p_coll.name,
                               'conflicts', coalesce(v_conflicts, '[]'::jsonb))) IS NULL THEN END IF;
    END;
    RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION calib.certify(
    p_collection text, p_datasets uuid[], p_timespan tstzrange, p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* Certify each dataset of p_datasets into CALIBRATION collection p_collection over
   p_timespan ([) bounds; +-infinity or a missing bound = unbounded). All or nothing: any
   overlap with a stored certification of the same calibration key (collection, dataset
   type, data ID), or between two datasets of this call, stores nothing.
   p_close_open: a stored certification of the same key with an unbounded end that begins
   before the new begin is first closed at the new begin; every other overlap still fails.
   Returns the number of certifications stored.
   Errors: KC017 caller not a writer, KC018 refused by the collection's state,
   KC002/KC003 collection unknown or not CALIBRATION, KC009 bad timespan, KC007
   unknown dataset, KC006 non-calibration type, KC001 conflict (detail lists every conflict),
   55P03 lock timeout.
   Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).

   Two ways, one result. The fast way covers the common case (no close_open, every check
   passes, the collection OPEN with no writer list -- nothing for calib._check_change to
   refuse --, the collection row free to lock now) in two statements: lock the collection row
   with SKIP LOCKED (so it never waits), then insert; the table's own constraints refuse
   a bad item, a bad timespan or an overlap. It decides nothing else: if the row was not
   locked, or a constraint refused the rows, its subtransaction undoes the insert and the
   general way, calib._certify_rows, does the call again: it raises the precise error, or
   stores everything after a bounded wait for the lock. Why: the general way runs six PL/pgSQL
   frames and eleven statements, and each statement of a function costs ~10 us of set-up
   in every new transaction; that, not the work, was most of a one-dataset call
   (bench/README.md, "What was changed").
   force_generic_plan: a custom plan for a one-element array is always estimated cheaper,
   so the insert would otherwise be planned again on every call. */
DECLARE
    v_replay jsonb;
    v_n integer;
    v_id integer;
    v_coll calib.collection;
    v_span tstzrange;
BEGIN
    PERFORM calib._operation('certify');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('certify');
        IF v_replay IS NOT NULL THEN
            RETURN (v_replay -> 'result')::integer;
        END IF;
    END IF;
    IF NOT coalesce(p_close_open, false) AND cardinality(p_datasets) > 0 THEN
        SELECT c.collection_id INTO v_id FROM calib.collection AS c
        WHERE c.name = p_collection AND c.type = 'CALIBRATION'
          AND c.state = 'OPEN' AND c.writers IS NULL
        FOR NO KEY UPDATE SKIP LOCKED;
        IF FOUND THEN
            BEGIN
                /* One row per item, whatever it is: an unknown dataset, one of a type that
                   is not a calibration type, or a NULL item leaves a NULL in a NOT NULL
                   column, so the table refuses the whole statement like any overlap. */
                INSERT INTO calib.certification
                    (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
                SELECT v_id, t.dataset_type_id, d.data_id_key, u.id, p_timespan
                FROM unnest(p_datasets) AS u(id)
                LEFT JOIN calib.dataset AS d ON d.dataset_id = u.id
                LEFT JOIN calib.dataset_type AS t
                  ON t.dataset_type_id = d.dataset_type_id AND t.is_calibration;
                GET DIAGNOSTICS v_n = ROW_COUNT;
                PERFORM calib._request_result('certify', to_jsonb(v_n)) WHERE current_setting('calib.request_id', true) <> '';
                RETURN v_n;
            EXCEPTION WHEN integrity_constraint_violation THEN
                NULL;  -- undone; the general way below raises the precise error
            END;
        END IF;
    END IF;

    v_coll := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_span := calib._timespan(p_timespan);
    v_n := coalesce(cardinality(p_datasets), 0);
    v_n := calib._certify_rows(
        v_coll, p_datasets,
        array_fill(lower(v_span), ARRAY[v_n]), array_fill(upper(v_span), ARRAY[v_n]),
        false, coalesce(p_close_open, false));
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('certify', to_jsonb(v_n));
    END IF;
    RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION calib.certify(
    p_collection text, p_datasets jsonb, p_timespan tstzrange, p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certify with the datasets as one JSON array document of UUID strings
   ('["<uuid>", ...]'); the same results and errors, plus KC016 for a document that is not
   such an array (calib._uuids). */
SELECT calib.certify(p_collection, calib._uuids(p_datasets, 'datasets'), p_timespan, p_close_open)
$$;

CREATE OR REPLACE FUNCTION calib.certify(
    p_collection text, p_datasets text, p_timespan text, p_close_open text DEFAULT 'false')
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certify with every argument as text, the form that untyped literals and drivers binding
   text reach: datasets a JSON array or a PostgreSQL array literal (calib._document), the
   timespan a range of ISO 8601 instants with a UTC offset (calib._parse_timespan: a time
   without one is KC009), close_open a boolean's text. */
SELECT calib.certify(p_collection,
                     calib._uuids(calib._document(p_datasets, 'datasets', false), 'datasets'),
                     calib._parse_timespan(p_timespan, 'timespan'),
                     calib._parse_boolean(p_close_open, 'close_open'))
$$;

CREATE OR REPLACE FUNCTION calib.certify_series(
    p_collection text, p_datasets uuid[], p_begins timestamptz[], p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Certify a series given by begins only: item i is (p_datasets[i], p_begins[i]); each
   item's end is the next begin of the same calibration key, the last one is unbounded.
   A NULL or -infinity begin means unbounded below. Then exactly as calib.certify.
   Returns the number of certifications stored.
   Errors: as certify; KC001 also for two items of one key with the same begin; KC015
   arrays of different lengths; KC009 a begin of +infinity.
   Locks: the collection row, FOR NO KEY UPDATE. */
DECLARE
    v_replay jsonb;
    v_n integer;
    v_coll calib.collection := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_begins timestamptz[];
BEGIN
    PERFORM calib._operation('certify_series');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('certify_series');
        IF v_replay IS NOT NULL THEN
            RETURN (v_replay -> 'result')::integer;
        END IF;
    END IF;
    IF p_datasets IS NULL OR p_begins IS NULL
       OR cardinality(p_datasets) <> cardinality(p_begins) THEN
        IF calib._raise('KC015',
            format('certify_series into %L needs one begin per dataset (%s datasets, %s begins)',
                   p_collection, cardinality(p_datasets), cardinality(p_begins)),
            jsonb_build_object('kind', 'series_begins_count', 'collection', p_collection,
                               'n_datasets', cardinality(p_datasets),
                               'n_begins', cardinality(p_begins))) IS NULL THEN END IF;
    END IF;
    IF 'infinity'::timestamptz = ANY (p_begins) THEN
        IF calib._raise('KC009',
            format('certify_series into %L: a begin of +infinity leaves an empty timespan', p_collection),
            jsonb_build_object('kind', 'series_infinite_begin', 'collection', p_collection)) IS NULL THEN END IF;
    END IF;
    v_begins := ARRAY(SELECT nullif(b, '-infinity') FROM unnest(p_begins) WITH ORDINALITY AS u(b, ord) ORDER BY ord);
    v_n := calib._certify_rows(v_coll, p_datasets, v_begins, NULL, true, coalesce(p_close_open, false));
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('certify_series', to_jsonb(v_n));
    END IF;
    RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION calib.certify_series(
    p_collection text, p_datasets jsonb, p_begins jsonb, p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certify_series with datasets and begins as JSON array documents: UUID strings, and ISO
   8601 instants with a UTC offset (calib._uuids, calib._instants). Same results and errors;
   KC016 for a document that is not such an array, KC009 for a time without an offset. */
SELECT calib.certify_series(p_collection, calib._uuids(p_datasets, 'datasets'),
                            calib._instants(p_begins, 'begins'), p_close_open)
$$;

CREATE OR REPLACE FUNCTION calib.certify_series(
    p_collection text, p_datasets text, p_begins text, p_close_open text DEFAULT 'false')
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certify_series with every argument as text: datasets and begins as JSON arrays or
   PostgreSQL array literals (calib._document), close_open a boolean's text. */
SELECT calib.certify_series(
    p_collection,
    calib._uuids(calib._document(p_datasets, 'datasets', false), 'datasets'),
    calib._instants(calib._document(p_begins, 'begins', false), 'begins'),
    calib._parse_boolean(p_close_open, 'close_open'))
$$;

CREATE OR REPLACE FUNCTION calib.decertify(
    p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Remove validity inside p_timespan from every certification of p_dataset_type in
   CALIBRATION collection p_collection (only those data IDs when p_data_ids is given):
   a certification fully covered is removed, one straddling an end is shortened, one
   containing the span is split in two. Set-based: one DELETE, one INSERT of the remaining
   pieces (range difference as multiranges). Returns the number of certifications touched;
   nothing matching is a no-op (0).
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009
   bad timespan, KC008 bad data ID.
   Locks: the collection row, FOR NO KEY UPDATE. */
DECLARE
    v_replay jsonb;
    v_coll calib.collection := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type, true);
    v_span tstzrange := calib._timespan(p_timespan);
    v_keys integer[] := calib._data_id_keys(v_type, p_data_ids);
    v_n integer;
BEGIN
    PERFORM calib._operation('decertify');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('decertify');
        IF v_replay IS NOT NULL THEN
            RETURN (v_replay -> 'result')::integer;
        END IF;
    END IF;
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'decertify') IS NULL THEN END IF;
    WITH hit AS (
        DELETE FROM calib.certification AS c
        WHERE c.collection_id = v_coll.collection_id
          AND c.dataset_type_id = v_type.dataset_type_id
          AND c.validity && v_span
          AND (v_keys IS NULL OR c.data_id_key = ANY (v_keys))
        RETURNING c.collection_id, c.dataset_type_id, c.data_id_key, c.dataset_id, c.validity
    ), pieces AS (
        INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
        SELECT hit.collection_id, hit.dataset_type_id, hit.data_id_key, hit.dataset_id, piece
        FROM hit, unnest(tstzmultirange(hit.validity) - tstzmultirange(v_span)) AS piece
    )
    SELECT count(*) INTO v_n FROM hit;
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('decertify', to_jsonb(v_n));
    END IF;
    RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION calib.decertify(
    p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* decertify with the data IDs as one JSON array document (NULL or JSON null: all); same
   results and errors, KC016 for a document that is not an array. No default for
   p_data_ids: a three-argument call must keep reaching the typed form. */
SELECT calib.decertify(p_collection, p_dataset_type, p_timespan,
                       calib._data_ids(p_data_ids, 'data_ids'))
$$;

CREATE OR REPLACE FUNCTION calib.decertify(
    p_collection text, p_dataset_type text, p_timespan text, p_data_ids text DEFAULT NULL)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* decertify with every argument as text: the timespan a range of ISO 8601 instants with a
   UTC offset (calib._parse_timespan), the data IDs a JSON array or a PostgreSQL array
   literal (calib._document). */
SELECT calib.decertify(
    p_collection, p_dataset_type, calib._parse_timespan(p_timespan, 'timespan'),
    calib._data_ids(calib._document(p_data_ids, 'data_ids', true), 'data_ids'))
$$;

CREATE OR REPLACE FUNCTION calib.close_open_range(
    p_collection text, p_dataset_type text, p_end timestamptz, p_data_ids jsonb[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Give every certification of p_dataset_type in p_collection whose end is unbounded (only
   those data IDs when p_data_ids is given) the end p_end. Returns how many were closed.
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC009 if one of them begins at or after p_end (nothing is changed) or p_end is
   NULL / infinite; KC002/KC003/KC005/KC006/KC008 as decertify.
   Locks: the collection row, FOR NO KEY UPDATE. */
DECLARE
    v_replay jsonb;
    v_coll calib.collection := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type, true);
    v_keys integer[] := calib._data_id_keys(v_type, p_data_ids);
    v_bad record;
    v_n integer;
BEGIN
    PERFORM calib._operation('close_open_range');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('close_open_range');
        IF v_replay IS NOT NULL THEN
            RETURN (v_replay -> 'result')::integer;
        END IF;
    END IF;
    IF p_end IS NULL OR NOT isfinite(p_end) THEN
        IF calib._raise('KC009',
            format('close_open_range in %L needs a finite end, not %s', p_collection, coalesce(p_end::text, 'NULL')),
            jsonb_build_object('kind', 'close_open_range_end', 'collection', p_collection,
                               'dataset_type', p_dataset_type, 'end', p_end::text)) IS NULL THEN END IF;
    END IF;
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'close_open_range') IS NULL THEN END IF;
    /* Open ranges all overlap [p_end, infinity): the GiST index narrows the scan. */
    SELECT c.dataset_id, c.validity, di.value AS data_id INTO v_bad
    FROM calib.certification AS c JOIN calib.data_id AS di ON di.data_id_key = c.data_id_key
    WHERE c.collection_id = v_coll.collection_id
      AND c.dataset_type_id = v_type.dataset_type_id
      AND c.validity && tstzrange(p_end, NULL, '[)')
      AND upper_inf(c.validity) AND NOT lower_inf(c.validity) AND lower(c.validity) >= p_end
      AND (v_keys IS NULL OR c.data_id_key = ANY (v_keys))
    ORDER BY lower(c.validity), c.data_id_key
    LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC009',
            format('cannot close %L data ID %s in %L at %s: dataset %s begins at %s',
                   p_dataset_type, v_bad.data_id, p_collection, calib._ts_text(p_end),
                   v_bad.dataset_id, calib._ts_text(lower(v_bad.validity))),
            jsonb_build_object('kind', 'close_open_range_begins_after',
                               'collection', p_collection, 'dataset_type', p_dataset_type,
                               'data_id', v_bad.data_id, 'dataset', v_bad.dataset_id,
                               'timespan', calib._span_json(v_bad.validity),
                               'end', calib._ts_text(p_end))) IS NULL THEN END IF;
    END IF;
    UPDATE calib.certification AS c
    SET validity = tstzrange(lower(c.validity), p_end, '[)'),
        created_change = DEFAULT, created_operation = DEFAULT  -- a new version (history)
    WHERE c.collection_id = v_coll.collection_id
      AND c.dataset_type_id = v_type.dataset_type_id
      AND c.validity && tstzrange(p_end, NULL, '[)')
      AND upper_inf(c.validity)
      AND (v_keys IS NULL OR c.data_id_key = ANY (v_keys));
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('close_open_range', to_jsonb(v_n));
    END IF;
    RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION calib.close_open_range(
    p_collection text, p_dataset_type text, p_end timestamptz, p_data_ids jsonb)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* close_open_range with the data IDs as one JSON array document (NULL or JSON null: all);
   same results and errors, KC016 for a document that is not an array. No default for
   p_data_ids: a three-argument call must keep reaching the typed form. */
SELECT calib.close_open_range(p_collection, p_dataset_type, p_end,
                              calib._data_ids(p_data_ids, 'data_ids'))
$$;

CREATE OR REPLACE FUNCTION calib.close_open_range(
    p_collection text, p_dataset_type text, p_end text, p_data_ids text DEFAULT NULL)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* close_open_range with every argument as text: the end an ISO 8601 instant with a UTC
   offset (calib._parse_instant), the data IDs a JSON array or a PostgreSQL array literal. */
SELECT calib.close_open_range(
    p_collection, p_dataset_type, calib._parse_instant(p_end, 'end'),
    calib._data_ids(calib._document(p_data_ids, 'data_ids', true), 'data_ids'))
$$;

CREATE OR REPLACE FUNCTION calib.copy_collection(p_source text, p_destination text, p_doc text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Create p_destination with the type of p_source and all its associations: certifications
   with their timespans (CALIBRATION), tags (TAGGED) or chain children (CHAINED). Set-based:
   one INSERT ... SELECT. p_doc defaults to the source's doc. A snapshot's copy gets its
   source's associations as of the snapshot's epoch (revision 0014), in OPEN state.
   Errors: KC002 unknown source (snapshot_member_removed: a snapshot of a chain whose
   member has been removed since), KC003 source is a RUN, KC010 destination exists, KC014 bad
   destination name.
   Locks: for a chain, calib._lock_chains(); the source row FOR SHARE (waits for writers in
   flight, then copies their complete result); the new row is invisible until commit. A
   destination name that another open transaction is creating: wait for it to end, bounded
   (calib._bound_waits; 55P03, kind lock_timeout, wait collection_name). */
DECLARE
    v_replay jsonb;
    v_src calib.collection := calib._collection(p_source, ARRAY['TAGGED', 'CALIBRATION', 'CHAINED']);
    v_dst_id integer;
    v_old text;
    v_snap calib.snapshot;
    v_gone text;
BEGIN
    PERFORM calib._operation('copy_collection');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('copy_collection');
        IF v_replay IS NOT NULL THEN
            RETURN;
        END IF;
    END IF;
    p_destination := normalize(p_destination, NFC);  -- names are stored in NFC
    IF calib._check_name(p_destination, 'collection name') IS NULL THEN END IF;
    IF v_src.type = 'CHAINED' THEN
        IF calib._lock_chains() IS NULL THEN END IF;
        /* Look it up again: a concurrent remove may have committed while we waited. */
        v_src := calib._collection(p_source, ARRAY['CHAINED']);
    END IF;
    IF calib._lock_collections(ARRAY[v_src.collection_id], 'read') IS NULL THEN END IF;
    v_old := calib._bound_waits();
    BEGIN
        INSERT INTO calib.collection (name, type, doc)
        VALUES (p_destination, v_src.type, coalesce(p_doc, v_src.doc))
        ON CONFLICT ON CONSTRAINT collection_name_key DO NOTHING
        RETURNING collection_id INTO v_dst_id;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('collection_name',
            format('another transaction creating collection %L', p_destination),
            jsonb_build_object('collection', p_destination, 'source', p_source)) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF v_dst_id IS NULL THEN
        IF calib._raise('KC010', format('collection %L already exists', p_destination),
                             jsonb_build_object('kind', 'collection_exists',
                                                'collection', p_destination)) IS NULL THEN END IF;
    END IF;
    SELECT * INTO v_snap FROM calib.snapshot AS s WHERE s.collection_id = v_src.collection_id;
    IF FOUND THEN
        /* A snapshot (revision 0014) holds no rows: the copy gets its source's as of the
           snapshot's epoch (an ordinary, writable collection). A chain's children must
           still exist. */
        IF v_src.type = 'CALIBRATION' THEN
            INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
            SELECT v_dst_id, c.dataset_type_id, c.data_id_key, c.dataset_id, c.validity
            FROM calib.certification_history AS c WHERE c.collection_id = v_snap.source_id
              AND calib._visible(c.created_change, c.removed_change, v_snap.epoch);
        ELSIF v_src.type = 'TAGGED' THEN
            INSERT INTO calib.tag (collection_id, dataset_type_id, data_id_key, dataset_id)
            SELECT v_dst_id, t.dataset_type_id, t.data_id_key, t.dataset_id
            FROM calib.tag_version AS t WHERE t.collection_id = v_snap.source_id
              AND calib._visible(t.created_change, t.removed_change, v_snap.epoch);
        ELSE
            SELECT v.name INTO v_gone
            FROM calib.chain_version AS ch
            JOIN calib.collection_version AS v ON v.collection_id = ch.child_id
                 AND calib._visible(v.created_change, v.removed_change, v_snap.epoch)
            WHERE ch.parent_id = v_snap.source_id
              AND calib._visible(ch.created_change, ch.removed_change, v_snap.epoch)
              AND NOT EXISTS (SELECT FROM calib.collection AS k WHERE k.collection_id = ch.child_id)
            ORDER BY ch.position LIMIT 1;
            IF FOUND THEN
                IF calib._raise('KC002',
                    format('cannot copy snapshot %L: its chain member %L has been removed since',
                           p_source, v_gone),
                    jsonb_build_object('kind', 'snapshot_member_removed', 'collection', p_source,
                                       'member', v_gone)) IS NULL THEN END IF;
            END IF;
            INSERT INTO calib.collection_chain (parent_id, position, child_id)
            SELECT v_dst_id, ch.position, ch.child_id
            FROM calib.chain_version AS ch WHERE ch.parent_id = v_snap.source_id
              AND calib._visible(ch.created_change, ch.removed_change, v_snap.epoch);
        END IF;
    ELSIF v_src.type = 'CALIBRATION' THEN
        INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
        SELECT v_dst_id, c.dataset_type_id, c.data_id_key, c.dataset_id, c.validity
        FROM calib.certification AS c WHERE c.collection_id = v_src.collection_id;
    ELSIF v_src.type = 'TAGGED' THEN
        INSERT INTO calib.tag (collection_id, dataset_type_id, data_id_key, dataset_id)
        SELECT v_dst_id, t.dataset_type_id, t.data_id_key, t.dataset_id
        FROM calib.tag AS t WHERE t.collection_id = v_src.collection_id;
    ELSE
        INSERT INTO calib.collection_chain (parent_id, position, child_id)
        SELECT v_dst_id, ch.position, ch.child_id
        FROM calib.collection_chain AS ch WHERE ch.parent_id = v_src.collection_id;
    END IF;
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('copy_collection', NULL);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.set_collection_state(p_name text, p_state text)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Set the state of collection p_name: OPEN (every change allowed, the default), APPEND_ONLY
   (certify only at or after the latest begin of each calibration key, tag, insert_datasets,
   close_open and close_open_range; no decertify, untag, set_chain or removal) or FROZEN (no
   change at all, from any role, raw SQL included). Case-insensitive. Returns the previous
   state. Unfreezing (FROZEN to OPEN or APPEND_ONLY) is allowed to whoever may call this
   function (calib_admin): it is not itself refused by the state, nor by the writer list,
   which restricts changes of the collection's content, not its administration.
   Errors: KC002 unknown collection, KC015 NULL or unknown state, KC018 snapshot_frozen (a
   snapshot, calib.snapshot_collection, stays FROZEN).
   Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections): waits for the
   writers in flight, and a writer that comes after sees the new state. */
DECLARE
    v_replay jsonb;
    v_coll calib.collection := calib._collection(p_name);
    v_old text;
BEGIN
    PERFORM calib._operation('set_collection_state');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('set_collection_state');
        IF v_replay IS NOT NULL THEN
            RETURN v_replay ->> 'result';
        END IF;
    END IF;
    IF p_state IS NULL THEN
        IF calib._raise('KC015', 'collection state must not be NULL',
                        jsonb_build_object('kind', 'argument_null', 'what', 'collection state'))
            IS NULL THEN END IF;
    END IF;
    IF upper(p_state) NOT IN ('OPEN', 'APPEND_ONLY', 'FROZEN') THEN
        IF calib._raise('KC015',
            format('unknown collection state %L; expected OPEN, APPEND_ONLY or FROZEN', p_state),
            jsonb_build_object('kind', 'collection_state_unknown', 'state', p_state,
                               'collection', p_name)) IS NULL THEN END IF;
    END IF;
    IF upper(p_state) <> 'FROZEN'
       AND EXISTS (SELECT FROM calib.snapshot AS s WHERE s.collection_id = v_coll.collection_id) THEN
        IF calib._raise('KC018',
            format('collection %L is a snapshot: FROZEN by construction, it cannot become %s',
                   v_coll.name, upper(p_state)),
            jsonb_build_object('kind', 'snapshot_frozen', 'collection', v_coll.name,
                               'state', upper(p_state))) IS NULL THEN END IF;
    END IF;
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    SELECT c.state INTO v_old FROM calib.collection AS c
    WHERE c.collection_id = v_coll.collection_id;
    UPDATE calib.collection SET state = upper(p_state)
    WHERE collection_id = v_coll.collection_id AND state <> upper(p_state);
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('set_collection_state', to_jsonb(v_old));
    END IF;
    RETURN v_old;
END
$$;

CREATE OR REPLACE FUNCTION calib.set_collection_writers(p_name text, p_roles text[])
RETURNS text[]
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Only members of the roles p_roles (directly or through other roles, as pg_has_role
   MEMBER says; a superuser always) may change collection p_name from now on; NULL resets
   to the default, every role allowed to call the mutating functions. A role repeated is
   kept once, at its first position. Roles are stored by name: a role renamed or dropped
   later grants nothing (fail-closed); set the list again. Which role is checked: the
   session's SET ROLE, else its login (calib._caller). Returns the previous list (NULL for
   the default). Allowed on a FROZEN collection: the list is the collection's
   administration, not its content.
   Errors: KC002 unknown collection; KC015 an empty list, a NULL element, a role that does
   not exist.
   Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections). */
DECLARE
    v_replay jsonb;
    v_coll calib.collection := calib._collection(p_name);
    v_missing text;
    v_old text[];
BEGIN
    PERFORM calib._operation('set_collection_writers');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('set_collection_writers');
        IF v_replay IS NOT NULL THEN
            RETURN CASE WHEN jsonb_typeof(v_replay -> 'result') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(v_replay -> 'result')) END;
        END IF;
    END IF;
    IF p_roles IS NOT NULL THEN
        IF cardinality(p_roles) = 0 OR array_position(p_roles, NULL) IS NOT NULL THEN
            IF calib._raise('KC015',
                format('writers of %L must be NULL (every certifier) or a non-empty list of role names',
                       p_name),
                jsonb_build_object('kind', 'writers_invalid', 'collection', p_name))
                IS NULL THEN END IF;
        END IF;
        SELECT u.r INTO v_missing FROM unnest(p_roles) WITH ORDINALITY AS u(r, ord)
        WHERE NOT EXISTS (SELECT FROM pg_roles AS g WHERE g.rolname = u.r)
        ORDER BY u.ord LIMIT 1;
        IF FOUND THEN
            IF calib._raise('KC015',
                format('role %L (writer of %L) does not exist', v_missing, p_name),
                jsonb_build_object('kind', 'role_missing', 'role', v_missing,
                                   'collection', p_name)) IS NULL THEN END IF;
        END IF;
        p_roles := ARRAY(SELECT f.r FROM (SELECT DISTINCT ON (u.r) u.r, u.ord
                                          FROM unnest(p_roles) WITH ORDINALITY AS u(r, ord)
                                          ORDER BY u.r, u.ord) AS f
                         ORDER BY f.ord);
    END IF;
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    SELECT c.writers INTO v_old FROM calib.collection AS c
    WHERE c.collection_id = v_coll.collection_id;
    UPDATE calib.collection SET writers = p_roles WHERE collection_id = v_coll.collection_id;
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('set_collection_writers', to_jsonb(v_old));
    END IF;
    RETURN v_old;
END
$$;

CREATE OR REPLACE FUNCTION calib.set_collection_writers(p_name text, p_roles jsonb)
RETURNS text[]
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* set_collection_writers with the roles as one JSON array document of names (calib._names);
   NULL or JSON null resets to every certifier. */
BEGIN
    PERFORM calib._operation('set_collection_writers');  -- named in the history (revision 0014)
    RETURN calib.set_collection_writers(p_name, calib._names(p_roles, 'writers'));
END
$$;

CREATE OR REPLACE FUNCTION calib.set_collection_writers(p_name text, p_roles text)
RETURNS text[]
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* set_collection_writers with the roles as text: a JSON array or a PostgreSQL array
   literal; NULL resets to every certifier. */
BEGIN
    PERFORM calib._operation('set_collection_writers');  -- named in the history (revision 0014)
    RETURN calib.set_collection_writers(
        p_name, calib._names(calib._document(p_roles, 'writers', false), 'writers'));
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamptz)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The dataset of p_dataset_type with data ID p_data_id found by searching p_collection
   (chains flattened, in order) at instant p_at: the first member with any match decides;
   CALIBRATION members match certifications whose timespan contains p_at. NULL p_at skips
   CALIBRATION members. No row when nothing matches.
   Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002,
   KC005, KC008.
   Locks: none; read-only (STABLE), runs on a hot standby.

   PL/pgSQL rather than SQL only so that the statement's plan is cached per session (a
   SECURITY DEFINER SQL function is planned again on every call). */
DECLARE
    v record;
BEGIN
    v := calib._lookup_one(p_collection, p_dataset_type, p_data_id,
                           CASE WHEN p_at IS NULL THEN NULL ELSE tstzrange(p_at, p_at, '[]') END);
    IF v.dataset_id IS NOT NULL THEN
        dataset_id := v.dataset_id;
        dataset_type := v.dataset_type;
        data_id := v.data_id;
        run := v.run;
        RETURN NEXT;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_timespan tstzrange)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* As find(..., timestamptz), matching certifications that overlap p_timespan ([) bounds,
   validated; NULL skips CALIBRATION members). */
DECLARE
    v record;
BEGIN
    v := calib._lookup_one(p_collection, p_dataset_type, p_data_id,
                           CASE WHEN p_timespan IS NULL THEN NULL ELSE calib._timespan(p_timespan) END);
    IF v.dataset_id IS NOT NULL THEN
        dataset_id := v.dataset_id;
        dataset_type := v.dataset_type;
        data_id := v.data_id;
        run := v.run;
        RETURN NEXT;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id text, p_at text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find with every argument as text, the form untyped literals and drivers binding text
   reach (with two typed forms for p_at, an untyped call would be "not unique"): the data ID
   as JSON text (calib._json_text), p_at an instant, or a timespan when it starts with '['
   or '(' (or is 'empty'), read strictly by calibcert (calib._parse_instant /
   calib._parse_timespan: a time without a UTC offset is KC009). Then exactly the typed
   find. */
BEGIN
    RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type,
                                          calib._json_text(p_data_id, 'data_id'), p_at);
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find with a typed data ID and p_at as text (an untyped time next to a jsonb data ID):
   an instant, or a timespan when it starts with '[' or '(' (or is 'empty'), read strictly
   (calib._parse_instant / calib._parse_timespan). Then exactly the typed find. */
BEGIN
    IF left(ltrim(p_at, E' \t\r\n'), 1) IN ('[', '(') OR lower(btrim(p_at)) = 'empty' THEN
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id,
                                              calib._parse_timespan(p_at, 'timespan'));
    ELSE
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id,
                                              calib._parse_instant(p_at, 'at'));
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamptz, p_as_of bigint)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* find as of epoch p_as_of (calib.current_epoch(), calib.epoch_at()): the answer find
   gave at that epoch, through the chains and collections as they were then (a collection
   removed or renamed since is found by the name it had). NULL p_as_of is find now (the
   four-argument form, unchanged). Generic plans (plan_cache_mode): planned once per session;
   custom plans of calib._lookup's statements were made again on every call (1.1 ms instead
   of 0.55 ms per find as of an epoch).
   Errors: as find; KC015 as_of_range (negative, or beyond the current epoch); KC002 for a
   collection that did not exist at that epoch. */
BEGIN
    IF p_as_of IS NULL THEN
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id, p_at);
        RETURN;
    END IF;
    RETURN QUERY
    SELECT l.dataset_id, l.dataset_type, l.data_id, l.run
    FROM calib._lookup(p_collection, p_dataset_type, ARRAY[p_data_id],
                       ARRAY[CASE WHEN p_at IS NOT NULL THEN tstzrange(p_at, p_at, '[]') END],
                       p_as_of) AS l
    WHERE l.dataset_id IS NOT NULL;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_timespan tstzrange, p_as_of bigint)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* As find(..., tstzrange) as of epoch p_as_of (NULL: now). */
BEGIN
    IF p_as_of IS NULL THEN
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id, p_timespan);
        RETURN;
    END IF;
    RETURN QUERY
    SELECT l.dataset_id, l.dataset_type, l.data_id, l.run
    FROM calib._lookup(p_collection, p_dataset_type, ARRAY[p_data_id],
                       ARRAY[CASE WHEN p_timespan IS NULL THEN NULL ELSE calib._timespan(p_timespan) END],
                       p_as_of) AS l
    WHERE l.dataset_id IS NOT NULL;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at text, p_as_of bigint)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* find(..., jsonb, text) as of epoch p_as_of (NULL: now): p_at an instant, or a timespan
   when it starts with '[' or '(' (or is 'empty'), read strictly. */
BEGIN
    IF left(ltrim(p_at, E' \t\r\n'), 1) IN ('[', '(') OR lower(btrim(p_at)) = 'empty' THEN
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id,
                                              calib._parse_timespan(p_at, 'timespan'), p_as_of);
    ELSE
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id,
                                              calib._parse_instant(p_at, 'at'), p_as_of);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id text, p_at text, p_as_of text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* find as of an epoch with every argument as text (drivers binding text): p_as_of an epoch
   in decimal digits, or NULL / '' for now (calib._epoch_text). Then exactly the typed form.
   Errors: as find; KC015 epoch_text for an epoch that is not a decimal integer. */
BEGIN
    RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type,
                                          calib._json_text(p_data_id, 'data_id'), p_at,
                                          calib._epoch_text(p_as_of, 'as_of'));
END
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_at timestamptz[])
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find for many (data ID, instant) pairs in one call: one row per pair, in input order
   (ord = 1-based position), NULL dataset where nothing matched. A NULL instant skips
   CALIBRATION members for that pair.
   Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different
   lengths.
   Locks: none; read-only (STABLE), runs on a hot standby. */
SELECT l.ord, l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, p_data_ids,
                   ARRAY(SELECT CASE WHEN t IS NULL THEN NULL ELSE tstzrange(t, t, '[]') END
                         FROM unnest(p_at) WITH ORDINALITY AS u(t, o) ORDER BY o)) AS l
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_timespans tstzrange[])
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* As find_many(..., timestamptz[]) with a timespan per pair. A timespan that is a single
   instant written [t,t] is accepted as that instant (the Python client sends mixed
   instants and timespans this way); every other span must have [) bounds. */
SELECT l.ord, l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, p_data_ids,
                   ARRAY(SELECT CASE WHEN s IS NULL THEN NULL
                                     WHEN lower_inc(s) AND upper_inc(s) AND lower(s) = upper(s) THEN s
                                     ELSE calib._timespan(s) END
                         FROM unnest(p_timespans) WITH ORDINALITY AS u(s, o) ORDER BY o)) AS l
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb, p_at jsonb)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find_many with the data IDs and the times as JSON array documents: the times are ISO 8601
   instants with a UTC offset, or (when one of them starts with '[' or '(') all timespans
   as range strings; null for no time. Same results and errors as the typed forms; KC016 for
   a document that is not such an array, KC009 for a time without an offset. */
DECLARE
    v_spans boolean;
BEGIN
    v_spans := EXISTS (
        SELECT FROM jsonb_array_elements(calib._document_array(p_at, 'at')) AS u(e)
        WHERE jsonb_typeof(u.e) = 'string' AND left(ltrim(u.e #>> '{}'), 1) IN ('[', '('));
    IF v_spans THEN
        RETURN QUERY SELECT * FROM calib.find_many(p_collection, p_dataset_type,
            calib._data_ids(p_data_ids, 'data_ids'), calib._timespans(p_at, 'at'));
    ELSE
        RETURN QUERY SELECT * FROM calib.find_many(p_collection, p_dataset_type,
            calib._data_ids(p_data_ids, 'data_ids'), calib._instants(p_at, 'at'));
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids text, p_at text)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find_many with every argument as text: data IDs and times as JSON arrays or PostgreSQL
   array literals (calib._document), then as find_many(text, text, jsonb, jsonb). */
SELECT * FROM calib.find_many(p_collection, p_dataset_type,
                              calib._document(p_data_ids, 'data_ids', true),
                              calib._document(p_at, 'at', false))
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_at timestamptz[], p_as_of bigint)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find_many as of epoch p_as_of (NULL: now): the answers find gave at that epoch, through
   the chains as they were then.
   Errors: as find_many; KC015 as_of_range. */
SELECT l.ord, l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, p_data_ids,
                   ARRAY(SELECT CASE WHEN t IS NULL THEN NULL ELSE tstzrange(t, t, '[]') END
                         FROM unnest(p_at) WITH ORDINALITY AS u(t, o) ORDER BY o),
                   p_as_of) AS l
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_timespans tstzrange[], p_as_of bigint)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* As find_many(..., tstzrange[]) as of epoch p_as_of (NULL: now). */
SELECT l.ord, l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, p_data_ids,
                   ARRAY(SELECT CASE WHEN s IS NULL THEN NULL
                                     WHEN lower_inc(s) AND upper_inc(s) AND lower(s) = upper(s) THEN s
                                     ELSE calib._timespan(s) END
                         FROM unnest(p_timespans) WITH ORDINALITY AS u(s, o) ORDER BY o),
                   p_as_of) AS l
$$;

CREATE OR REPLACE FUNCTION calib.certifications(p_collection text, p_dataset_type text DEFAULT NULL)
RETURNS TABLE (collection text, dataset_id uuid, dataset_type text, data_id jsonb, run text, validity tstzrange)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Every certification in p_collection (through a chain: in every CALIBRATION member, in
   search order, each row naming the member it is stored in), optionally of one dataset
   type. Ordered by member, dataset type, data ID (interning order), begin.
   Errors: KC002 unknown collection, KC005 unknown dataset type.
   Locks: none; read-only. */
/* Check both names up front: in the query below the dataset-type check runs only for rows
   found, so an unknown type would pass silently on a collection without certifications. */
SELECT calib._collection(p_collection),
       CASE WHEN p_dataset_type IS NOT NULL THEN calib._dataset_type(p_dataset_type) END;
/* Snapshot members (revision 0014) hold no rows: theirs are their source's certifications
   as of the snapshot's epoch, through its chains as they were then (the second branch,
   which runs only for members with a snapshot_epoch). */
SELECT x.collection, x.dataset_id, x.dataset_type, x.data_id, x.run, x.validity
FROM (
    SELECT f.ord, 0::bigint AS sub, f.name AS collection, c.dataset_id, t.name AS dataset_type,
           c.data_id_key, di.value AS data_id, r.name AS run, c.validity
    FROM calib._flatten((calib._collection(p_collection)).collection_id) AS f
    JOIN calib.certification AS c ON c.collection_id = f.collection_id
    JOIN calib.dataset_type AS t ON t.dataset_type_id = c.dataset_type_id
    JOIN calib.data_id AS di ON di.data_id_key = c.data_id_key
    JOIN calib.dataset AS d ON d.dataset_id = c.dataset_id
    JOIN calib.collection AS r ON r.collection_id = d.run_id
    WHERE f.type = 'CALIBRATION'
      AND (p_dataset_type IS NULL
           OR c.dataset_type_id = (calib._dataset_type(p_dataset_type)).dataset_type_id)
    UNION ALL
    SELECT sp.rank, a.rank, a.member_name, c.dataset_id, t.name, c.data_id_key, di.value,
           r.name, c.validity
    FROM calib.search_path AS sp
    CROSS JOIN LATERAL calib._search_path_as_of(sp.snapshot_of, sp.snapshot_epoch) AS a
    JOIN calib.certification_history AS c ON c.collection_id = a.member_id
    JOIN calib.dataset_type AS t ON t.dataset_type_id = c.dataset_type_id
    JOIN calib.data_id AS di ON di.data_id_key = c.data_id_key
    JOIN calib.dataset AS d ON d.dataset_id = c.dataset_id
    JOIN calib.collection AS r ON r.collection_id = d.run_id
    WHERE sp.collection_id = (calib._collection(p_collection)).collection_id
      AND sp.snapshot_epoch IS NOT NULL AND a.member_type = 'CALIBRATION'
      AND calib._visible(c.created_change, c.removed_change, a.member_epoch)
      AND (p_dataset_type IS NULL
           OR c.dataset_type_id = (calib._dataset_type(p_dataset_type)).dataset_type_id)
) AS x
ORDER BY x.ord, x.sub, x.dataset_type, x.data_id_key, lower(x.validity) NULLS FIRST
$$;

CREATE OR REPLACE FUNCTION calib.certifications(p_collection text, p_dataset_type text, p_as_of bigint)
RETURNS TABLE (collection text, dataset_id uuid, dataset_type text, data_id jsonb, run text, validity tstzrange)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certifications as of epoch p_as_of (NULL: now): every certification p_collection held
   then, through its chains as they were then, each row naming the member it was in (a
   member reached through a snapshot: as of the snapshot's epoch, f.member_epoch).
   Errors: as certifications; KC015 as_of_range; KC002 for a collection that did not
   exist at that epoch. */
DECLARE
    v_epoch bigint := calib._as_of(p_as_of);
    v_coll_id integer;
    v_type_id integer;
BEGIN
    IF v_epoch IS NULL THEN
        RETURN QUERY SELECT * FROM calib.certifications(p_collection, p_dataset_type);
        RETURN;
    END IF;
    v_coll_id := calib._collection_as_of(p_collection, v_epoch);
    IF p_dataset_type IS NOT NULL THEN
        v_type_id := (calib._dataset_type(p_dataset_type)).dataset_type_id;
    END IF;
    RETURN QUERY
    SELECT f.member_name, c.dataset_id, t.name, di.value, r.name, c.validity
    FROM calib._search_path_as_of(v_coll_id, v_epoch) AS f
    JOIN calib.certification_history AS c ON c.collection_id = f.member_id
    JOIN calib.dataset_type AS t ON t.dataset_type_id = c.dataset_type_id
    JOIN calib.data_id AS di ON di.data_id_key = c.data_id_key
    JOIN calib.dataset AS d ON d.dataset_id = c.dataset_id
    JOIN calib.collection AS r ON r.collection_id = d.run_id
    WHERE f.member_type = 'CALIBRATION'
      AND calib._visible(c.created_change, c.removed_change, f.member_epoch)
      AND (v_type_id IS NULL OR c.dataset_type_id = v_type_id)
    ORDER BY f.rank, t.name, c.data_id_key, lower(c.validity) NULLS FIRST;
END
$$;

CREATE OR REPLACE FUNCTION calib._chain_as_of(p_parent_id integer, p_epoch bigint)
RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* The children of chain p_parent_id as of epoch p_epoch, by the names they had then (the
   as-of form of calib.get_chain); a snapshot's are its source's as of the snapshot's epoch
   (calib.snapshot; p_epoch is then not used).
   Arguments: p_parent_id a CHAINED collection's id (the caller resolved and checked it),
   p_epoch a checked epoch (calib._as_of).
   Returns: the names in chain order, an empty array for an empty chain.
   Locks: none; read-only.
   Errors: none of its own. Private. */
DECLARE
    v_snap calib.snapshot;
BEGIN
    SELECT * INTO v_snap FROM calib.snapshot AS s WHERE s.collection_id = p_parent_id;
    IF FOUND THEN
        p_parent_id := v_snap.source_id;
        p_epoch := v_snap.epoch;
    END IF;
    RETURN coalesce((
        SELECT array_agg(c.name ORDER BY ch.position)
        FROM calib.chain_version AS ch
        JOIN calib.collection_version AS c ON c.collection_id = ch.child_id
             AND calib._visible(c.created_change, c.removed_change, p_epoch)
        WHERE ch.parent_id = p_parent_id
          AND calib._visible(ch.created_change, ch.removed_change, p_epoch)), ARRAY[]::text[]);
END
$$;

CREATE OR REPLACE FUNCTION calib.get_chain(p_parent text)
RETURNS text[]
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The direct children of CHAINED collection p_parent, in order. A snapshot of a chain
   (revision 0014): its source's children as they were at the snapshot's epoch
   (calib._chain_as_of).
   Errors: KC002 unknown collection, KC003 not CHAINED.
   Locks: none. Read-only. */
DECLARE
    v_parent integer := (calib._collection(p_parent, ARRAY['CHAINED'])).collection_id;
BEGIN
    IF EXISTS (SELECT FROM calib.snapshot AS s WHERE s.collection_id = v_parent) THEN
        RETURN calib._chain_as_of(v_parent, NULL);
    END IF;
    RETURN coalesce((
        SELECT array_agg(c.name ORDER BY ch.position)
        FROM calib.collection_chain AS ch
        JOIN calib.collection AS c ON c.collection_id = ch.child_id
        WHERE ch.parent_id = v_parent), ARRAY[]::text[]);
END
$$;

CREATE OR REPLACE FUNCTION calib.get_chain(p_parent text, p_as_of bigint)
RETURNS text[]
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* get_chain as of epoch p_as_of (NULL: now): the children chain p_parent had then, by the
   names they had then (calib._chain_as_of).
   Errors: as get_chain; KC015 as_of_range; KC002 for a chain that did not exist then. */
DECLARE
    v_epoch bigint := calib._as_of(p_as_of);
BEGIN
    IF v_epoch IS NULL THEN
        RETURN calib.get_chain(p_parent);
    END IF;
    RETURN calib._chain_as_of(calib._collection_as_of(p_parent, v_epoch, ARRAY['CHAINED']), v_epoch);
END
$$;

DROP FUNCTION calib.list_collections(text);  -- its result gains the snapshot columns
CREATE OR REPLACE FUNCTION calib.list_collections(p_type text DEFAULT NULL)
RETURNS TABLE (name text, type text, doc text, state text, writers text[],
               snapshot_of text, snapshot_epoch bigint)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Every collection (optionally of one type: RUN, TAGGED, CALIBRATION or CHAINED, any
   case), by name, with its state (OPEN, APPEND_ONLY, FROZEN) and writer list (NULL: every
   certifier). A snapshot (calib.snapshot_collection, revision 0014) has the type of its
   source and names it: snapshot_of (the source's name at the snapshot's epoch, which it
   may no longer bear) and snapshot_epoch; both NULL for every other collection.
   Locks: none; read-only.
   Errors: none of its own. */
SELECT c.name, c.type, c.doc, c.state, c.writers, src.name, s.epoch
FROM calib.collection AS c
LEFT JOIN calib.snapshot AS s ON s.collection_id = c.collection_id
LEFT JOIN LATERAL (SELECT v.name FROM calib.collection_version AS v
                   WHERE v.collection_id = s.source_id
                     AND calib._visible(v.created_change, v.removed_change, s.epoch)) AS src ON true
WHERE p_type IS NULL OR c.type = upper(p_type)
ORDER BY c.name
$$;

CREATE OR REPLACE FUNCTION calib.list_collections(p_type text, p_as_of bigint)
RETURNS TABLE (name text, type text, doc text, state text, writers text[],
               snapshot_of text, snapshot_epoch bigint)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* list_collections as of epoch p_as_of (NULL: now, the one-argument form): every
   collection that existed then, with its name, type, state and writer list then
   (calib.collection_version), a snapshot with its source and epoch. A collection's doc
   has no history: its current doc, NULL for a collection removed since.
   Arguments: p_type (as list_collections), p_as_of an epoch (calib.current_epoch()).
   Locks: none; read-only.
   Errors: KC015 as_of_range. */
DECLARE
    v_epoch bigint := calib._as_of(p_as_of);
BEGIN
    IF v_epoch IS NULL THEN
        RETURN QUERY SELECT * FROM calib.list_collections(p_type);
        RETURN;
    END IF;
    RETURN QUERY
    SELECT v.name, v.type, c.doc, v.state, v.writers, src.name, s.epoch
    FROM calib.collection_version AS v
    LEFT JOIN calib.collection AS c ON c.collection_id = v.collection_id
    LEFT JOIN calib.snapshot AS s ON s.collection_id = v.collection_id
    LEFT JOIN LATERAL (SELECT w.name FROM calib.collection_version AS w
                       WHERE w.collection_id = s.source_id
                         AND calib._visible(w.created_change, w.removed_change, s.epoch)) AS src
        ON true
    WHERE (p_type IS NULL OR v.type = upper(p_type))
      AND calib._visible(v.created_change, v.removed_change, v_epoch)
    ORDER BY v.name;
END
$$;

CREATE OR REPLACE FUNCTION calib.query_datasets(p_collection text, p_dataset_type text, p_where jsonb DEFAULT NULL)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The datasets of p_dataset_type visible in a RUN, TAGGED or CHAINED collection without a
   time: for each data ID the first RUN / TAGGED member holding it decides (as find with no
   time); CALIBRATION members are skipped. p_where narrows by data-ID values (jsonb
   containment, e.g. '{"detector": 3}'). Ordered by data ID (interning order). This is how
   "certify all biases in this run" picks its datasets. A snapshot (revision 0014) holds
   its source's datasets and tags as of the snapshot's epoch.
   Errors: KC002, KC003 (a CALIBRATION collection itself), KC005, KC008 (p_where: a bad
   value, or one of the other type than its dimension's; calib._canonical_where).
   Locks: none; read-only. */
/* Check both names up front: below, the planner may never evaluate the CTE that calls
   _collection (nothing to join with), and an unknown collection would pass silently. */
SELECT calib._collection(p_collection, ARRAY['RUN', 'TAGGED', 'CHAINED']),
       calib._canonical_where(calib._dataset_type(p_dataset_type), p_where);
WITH chain AS (
    SELECT f.* FROM calib._flatten(
        (calib._collection(p_collection, ARRAY['RUN', 'TAGGED', 'CHAINED'])).collection_id) AS f
), ty AS (
    SELECT * FROM calib._dataset_type(p_dataset_type)
), w AS (
    SELECT calib._canonical_where(calib._dataset_type(p_dataset_type), p_where) AS v
), snap AS (
    /* Snapshot members (revision 0014): their source's members as of the snapshot's
       epoch, each read at its member_epoch. */
    SELECT sp.rank AS ord, a.rank AS sub, a.member_id, a.member_type, a.member_epoch
    FROM calib.search_path AS sp
    CROSS JOIN LATERAL calib._search_path_as_of(sp.snapshot_of, sp.snapshot_epoch) AS a
    WHERE sp.collection_id = (calib._collection(p_collection, ARRAY['RUN', 'TAGGED', 'CHAINED'])).collection_id
      AND sp.snapshot_epoch IS NOT NULL
), m AS (
    SELECT ch.ord, 0::bigint AS sub, d.dataset_id, d.data_id_key
    FROM chain AS ch JOIN calib.dataset AS d ON d.run_id = ch.collection_id
    WHERE ch.type = 'RUN' AND d.dataset_type_id = (SELECT dataset_type_id FROM ty)
    UNION ALL
    SELECT ch.ord, 0::bigint, t.dataset_id, t.data_id_key
    FROM chain AS ch JOIN calib.tag AS t ON t.collection_id = ch.collection_id
    WHERE ch.type = 'TAGGED' AND t.dataset_type_id = (SELECT dataset_type_id FROM ty)
    UNION ALL
    SELECT sn.ord, sn.sub, d.dataset_id, d.data_id_key
    FROM snap AS sn JOIN calib.dataset_version AS d ON d.run_id = sn.member_id
    WHERE sn.member_type = 'RUN' AND d.dataset_type_id = (SELECT dataset_type_id FROM ty)
      AND calib._visible(d.created_change, d.removed_change, sn.member_epoch)
    UNION ALL
    SELECT sn.ord, sn.sub, t.dataset_id, t.data_id_key
    FROM snap AS sn JOIN calib.tag_version AS t ON t.collection_id = sn.member_id
    WHERE sn.member_type = 'TAGGED' AND t.dataset_type_id = (SELECT dataset_type_id FROM ty)
      AND calib._visible(t.created_change, t.removed_change, sn.member_epoch)
), firsts AS (
    SELECT DISTINCT ON (m.data_id_key) m.dataset_id, m.data_id_key FROM m
    ORDER BY m.data_id_key, m.ord, m.sub
)
SELECT f.dataset_id, (SELECT name FROM ty), di.value, r.name
FROM firsts AS f
JOIN calib.data_id AS di ON di.data_id_key = f.data_id_key
JOIN calib.dataset AS d ON d.dataset_id = f.dataset_id
JOIN calib.collection AS r ON r.collection_id = d.run_id
WHERE p_where IS NULL OR di.value @> (SELECT v FROM w)
ORDER BY f.data_id_key
$$;

CREATE OR REPLACE FUNCTION calib.query_datasets(p_collection text, p_dataset_type text, p_where text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* query_datasets with the where clause as JSON text (a driver binding text): parsed by
   calib._json_text (KC016 if it is not JSON). No default: a two-argument call keeps
   reaching the typed form. */
SELECT * FROM calib.query_datasets(p_collection, p_dataset_type, calib._json_text(p_where, 'where'))
$$;

CREATE OR REPLACE FUNCTION calib.query_datasets(p_collection text, p_dataset_type text, p_where jsonb, p_as_of bigint)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* query_datasets as of epoch p_as_of (NULL: now, the three-argument form): the same rule
   (for each data ID the first RUN / TAGGED member of the search path holding it decides)
   applied to the collections, chains, datasets and tags visible then (a snapshot member
   read at its own epoch: calib._search_path_as_of's member_epoch); each dataset's RUN by
   the name it had then.
   Arguments: as query_datasets; p_as_of an epoch (calib.current_epoch()).
   Locks: none; read-only.
   Errors: as query_datasets, KC002 for a collection missing at that epoch; KC015
   as_of_range. */
DECLARE
    v_epoch bigint := calib._as_of(p_as_of);
    v_coll integer;
    v_type calib.dataset_type;
    v_where jsonb;
BEGIN
    IF v_epoch IS NULL THEN
        RETURN QUERY SELECT * FROM calib.query_datasets(p_collection, p_dataset_type, p_where);
        RETURN;
    END IF;
    v_coll := calib._collection_as_of(p_collection, v_epoch, ARRAY['RUN', 'TAGGED', 'CHAINED']);
    v_type := calib._dataset_type(p_dataset_type);
    v_where := calib._canonical_where(v_type, p_where);
    RETURN QUERY
    WITH m AS (
        SELECT p.rank, d.dataset_id, d.data_id_key
        FROM calib._search_path_as_of(v_coll, v_epoch) AS p
        JOIN calib.dataset_version AS d ON d.run_id = p.member_id
        WHERE p.member_type = 'RUN' AND d.dataset_type_id = v_type.dataset_type_id
          AND calib._visible(d.created_change, d.removed_change, p.member_epoch)
        UNION ALL
        SELECT p.rank, t.dataset_id, t.data_id_key
        FROM calib._search_path_as_of(v_coll, v_epoch) AS p
        JOIN calib.tag_version AS t ON t.collection_id = p.member_id
        WHERE p.member_type = 'TAGGED' AND t.dataset_type_id = v_type.dataset_type_id
          AND calib._visible(t.created_change, t.removed_change, p.member_epoch)
    ), firsts AS (
        SELECT DISTINCT ON (m.data_id_key) m.dataset_id, m.data_id_key
        FROM m ORDER BY m.data_id_key, m.rank
    )
    SELECT f.dataset_id, v_type.name, di.value,
           (SELECT r.name FROM calib.dataset_version AS d
            JOIN calib.collection_version AS r ON r.collection_id = d.run_id
            WHERE d.dataset_id = f.dataset_id
              AND calib._visible(d.created_change, d.removed_change, v_epoch)
              AND calib._visible(r.created_change, r.removed_change, v_epoch)
            LIMIT 1)
    FROM firsts AS f
    JOIN calib.data_id AS di ON di.data_id_key = f.data_id_key
    WHERE v_where IS NULL OR di.value @> v_where
    ORDER BY f.data_id_key;
END
$$;

DROP FUNCTION calib._digest_rows(integer, text);
CREATE OR REPLACE FUNCTION calib._digest_rows(p_collection_id integer, p_type text, p_as_of bigint)
RETURNS TABLE (sort_key text, line text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
/* The content lines of a collection's digest (README "Collection digests"), unsorted, each
   with the key calib.collection_digest sorts it by: the line itself (compared as UTF-8
   bytes, COLLATE "C"), or for a chain child its position, zero-padded. Every line is one
   JSON text with sorted keys and no spaces:
     CALIBRATION {"begin":B,"data_id":D,"dataset_id":"<uuid>","dataset_type":"<name>","end":E}
     TAGGED, RUN {"data_id":D,"dataset_id":"<uuid>","dataset_type":"<name>"}
     CHAINED     {"child":"<name>","position":N}   (N = 1, 2, ... in search order)
   B and E: calib._ts_text's text in quotes, or null for an unbounded side. D: the data ID
   as one JSON object, keys sorted by their UTF-8 bytes (COLLATE "C": code point order, as
   Python sorts str), each value as jsonb prints a scalar (an integer as its digits, a
   string quoted and escaped as JSON: \" \\ \b \f \n \r \t, \u00XX for the other control
   characters, every other character as itself), so the integer 1 and the string "1"
   differ. jsonb's own text (spaces, keys shorter first) is not this form.

   The stored rows are read in one place, CTEs stored and children: p_as_of NULL reads
   the current tables; an epoch reads the versions visible then (calib._visible; a
   chain's children by the names they had then). Nothing else depends on it.
   Set-based: each data ID is written once per key, not once per row; the instants are
   written with calib._ts_text's format spelled out, because a function with a SET clause
   is never inlined and two calls per certification were most of the time (bench/digest.py). */
WITH stored AS (
    SELECT c.data_id_key, c.dataset_id, c.validity FROM calib.certification AS c
    WHERE p_as_of IS NULL AND p_type = 'CALIBRATION' AND c.collection_id = p_collection_id
    UNION ALL
    SELECT g.data_id_key, g.dataset_id, NULL FROM calib.tag AS g
    WHERE p_as_of IS NULL AND p_type = 'TAGGED' AND g.collection_id = p_collection_id
    UNION ALL
    SELECT s.data_id_key, s.dataset_id, NULL FROM calib.dataset AS s
    WHERE p_as_of IS NULL AND p_type = 'RUN' AND s.run_id = p_collection_id
    UNION ALL
    SELECT c.data_id_key, c.dataset_id, c.validity FROM calib.certification_history AS c
    WHERE p_as_of IS NOT NULL AND p_type = 'CALIBRATION' AND c.collection_id = p_collection_id
      AND calib._visible(c.created_change, c.removed_change, p_as_of)
    UNION ALL
    SELECT g.data_id_key, g.dataset_id, NULL FROM calib.tag_version AS g
    WHERE p_as_of IS NOT NULL AND p_type = 'TAGGED' AND g.collection_id = p_collection_id
      AND calib._visible(g.created_change, g.removed_change, p_as_of)
    UNION ALL
    SELECT s.data_id_key, s.dataset_id, NULL FROM calib.dataset_version AS s
    WHERE p_as_of IS NOT NULL AND p_type = 'RUN' AND s.run_id = p_collection_id
      AND calib._visible(s.created_change, s.removed_change, p_as_of)
), children AS (
    SELECT l.name, row_number() OVER (ORDER BY l.position) AS n
    FROM (SELECT x.position, k.name
          FROM calib.collection_chain AS x
          JOIN calib.collection AS k ON k.collection_id = x.child_id
          WHERE p_as_of IS NULL AND p_type = 'CHAINED' AND x.parent_id = p_collection_id
          UNION ALL
          SELECT x.position, k.name
          FROM calib.chain_version AS x
          JOIN calib.collection_version AS k ON k.collection_id = x.child_id
          WHERE p_as_of IS NOT NULL AND p_type = 'CHAINED' AND x.parent_id = p_collection_id
            AND calib._visible(x.created_change, x.removed_change, p_as_of)
            AND calib._visible(k.created_change, k.removed_change, p_as_of)) AS l
), keys AS (
    SELECT di.data_id_key, to_json(t.name)::text AS dataset_type,
           '{' || coalesce(string_agg(to_json(e.key)::text || ':' || e.value::text, ','
                                      ORDER BY e.key COLLATE "C")
                           FILTER (WHERE e.key IS NOT NULL), '') || '}' AS data_id
    FROM (SELECT DISTINCT s.data_id_key FROM stored AS s) AS u
    JOIN calib.data_id AS di ON di.data_id_key = u.data_id_key
    JOIN calib.dataset_type AS t ON t.dataset_type_id = di.dataset_type_id
    LEFT JOIN LATERAL jsonb_each(di.value) AS e ON true
    GROUP BY di.data_id_key, t.name
)
SELECT l.line, l.line
FROM (SELECT CASE WHEN p_type = 'CALIBRATION' THEN
                  '{"begin":' || CASE WHEN lower_inf(s.validity) THEN 'null' ELSE
                      '"' || to_char(lower(s.validity) AT TIME ZONE 'UTC',
                                     'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') || '"' END
                  || ',"data_id":' || k.data_id || ',"dataset_id":"' || s.dataset_id::text
                  || '","dataset_type":' || k.dataset_type
                  || ',"end":' || CASE WHEN upper_inf(s.validity) THEN 'null' ELSE
                      '"' || to_char(upper(s.validity) AT TIME ZONE 'UTC',
                                     'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') || '"' END || '}'
             ELSE '{"data_id":' || k.data_id || ',"dataset_id":"' || s.dataset_id::text
                  || '","dataset_type":' || k.dataset_type || '}'
             END AS line
      FROM stored AS s JOIN keys AS k ON k.data_id_key = s.data_id_key) AS l
UNION ALL
SELECT lpad(ch.n::text, 10, '0'),
       '{"child":' || to_json(ch.name)::text || ',"position":' || ch.n::text || '}'
FROM children AS ch
$$;

CREATE OR REPLACE FUNCTION calib.collection_digest(p_collection text, p_as_of bigint)
RETURNS text
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
/* calib.collection_digest(p_collection) as of epoch p_as_of (NULL: now): the digest of the
   collection's content then, in the same canonical form (the 1-argument form's header
   says it exactly): the rows of calib._digest_rows read as of that epoch, the collection
   as named then.
   Arguments: p_collection, the collection's name (as named at p_as_of); p_as_of an epoch
   (calib.current_epoch()) or NULL for now.
   Returns: 'sha256:' followed by 64 lowercase hex digits.
   Locks: none; read-only, one snapshot, runs on a hot standby.
   Errors: KC002 unknown collection (at that epoch), KC015 NULL name or as_of_range.
   jit = off: as for calib.collection_stats, compiling costs more than it saves here. */
DECLARE
    v_epoch bigint := calib._as_of(p_as_of);
    v_id integer;
    v_type text;
    v_snapshot calib.snapshot;
BEGIN
    IF v_epoch IS NULL THEN
        SELECT c.collection_id, c.type INTO v_id, v_type FROM calib._collection(p_collection) AS c;
    ELSE
        v_id := calib._collection_as_of(p_collection, v_epoch);
        SELECT v.type INTO v_type FROM calib.collection_version AS v
        WHERE v.collection_id = v_id AND calib._visible(v.created_change, v.removed_change, v_epoch);
    END IF;
    /* A snapshot (calib.snapshot_collection) holds its source's content as of its epoch
       (never later than p_as_of: it existed then). */
    SELECT * INTO v_snapshot FROM calib.snapshot AS s WHERE s.collection_id = v_id;
    IF FOUND THEN
        v_id := v_snapshot.source_id;
        v_epoch := v_snapshot.epoch;
    END IF;
    RETURN 'sha256:' || encode(sha256(convert_to(
               '{"format":"calibcert-digest-v1","type":' || to_json(v_type)::text || '}'
               || coalesce((SELECT string_agg(E'\n' || r.line, '' ORDER BY r.sort_key COLLATE "C")
                            FROM calib._digest_rows(v_id, v_type, v_epoch) AS r), ''),
               'UTF8')), 'hex');
END
$$;

CREATE OR REPLACE FUNCTION calib.collection_digest(p_collection text)
RETURNS text
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The digest of a collection's current content: 'sha256:' and the lowercase hex SHA-256 of
   its canonical form, which README "Collection digests" specifies exactly (so that another
   implementation can recompute it). Equal for equal content on PostgreSQL and SQLite and
   after export/import; the collection's own name, doc, state and writers are not content,
   so a copy under another name has the same digest. A chain's digest covers the names of
   its children in order, not their content (each child has a digest of its own).
   Arguments: p_collection, the collection's name.
   Returns: 'sha256:' followed by 64 lowercase hex digits.
   Locks: none; read-only, one snapshot, runs on a hot standby.
   Errors: KC002 unknown collection, KC015 NULL name.

   The form: UTF-8 text, lines joined by "\n" (none after the last):
     line 1  {"format":"calibcert-digest-v1","type":"<collection type>"}
     then    the content lines of calib._digest_rows, sorted by their UTF-8 bytes
             (COLLATE "C"); a chain's children in search order.
   The SQLite twin (backends/sqlite/collection_digest.py) and tests/test_digest.py's
   few-line independent implementation compute the same form.
   The whole form is one text value (string_agg, then sha256 of its bytes): PostgreSQL's
   1 GB limit on a value bounds it to roughly 5 million certifications.
   The work is the two-argument form's (as of NULL: now). */
SELECT calib.collection_digest(p_collection, NULL::bigint)
$$;

CREATE OR REPLACE FUNCTION calib.history(p_collection text, p_dataset_type text DEFAULT NULL, p_data_id jsonb DEFAULT NULL, p_since bigint DEFAULT NULL, p_until bigint DEFAULT NULL)
RETURNS TABLE (epoch bigint, committed_at timestamptz, db_role text, app_user text, reason text,
               operation text, collection text, dataset_type text, data_id jsonb, dataset_id uuid,
               validity_before tstzrange, validity_after tstzrange, detail jsonb,
               request_id text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The changes of collection p_collection (every collection that ever bore that name,
   removed ones included), oldest first: one row per changed certification, tag, dataset
   (of a RUN), collection row or chain position per change. Each row: the change's epoch
   and commit time, database role, client user and reason (calib.user, calib.reason), the
   operation (the public function, 'sql' for raw SQL, 'upgrade' for what existed at
   revision 0014), the collection's name; for certifications the dataset type, data ID,
   dataset and validity before/after (certify: before NULL; removal by decertify: after
   NULL; a shortened or split certification: both, a split's other piece a row with
   before NULL); for tags and datasets the same columns with NULL validity. Collection-level
   rows (detail.what = 'collection': registration = before NULL, removal = after NULL,
   state or writer changes = both; 'chain': a chain position's child before/after) have
   NULL dataset columns and appear only when neither p_dataset_type nor p_data_id is
   given. Within a change: certifications, tags, datasets by dataset type and data ID,
   what went before what came, by begin. The caller's own uncommitted change is shown
   with a NULL epoch.
   Arguments: p_dataset_type / p_data_id narrow to one dataset type / data ID (a data ID
   needs its dataset type); p_since / p_until keep epochs in [since, until].
   Pruned history (calib.prune_history): a p_since below the history horizon is refused
   (the changes before it are incomplete); without p_since the rows start at the horizon.
   The last column is the change's request id (setting calib.request_id), NULL without.
   Errors: KC002 a name no collection ever had, KC005 unknown dataset type, KC008 invalid
   data ID, KC015 data ID without dataset type, KC015 as_of_pruned.
   Locks: none; read-only, runs on a hot standby. */
DECLARE
    v_ids integer[];
    v_type calib.dataset_type;
    v_key integer;
    v_horizon bigint := (SELECT h.earliest_epoch FROM calib.history_horizon AS h);
BEGIN
    IF p_collection IS NULL THEN
        IF calib._raise('KC015', 'collection name must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'collection name')) IS NULL THEN END IF;
    END IF;
    IF p_since < v_horizon THEN
        IF calib._raise('KC015',
            format('epoch %s was pruned: history is kept from epoch %s on (calib.prune_history)',
                   p_since, v_horizon),
            jsonb_build_object('kind', 'as_of_pruned', 'as_of', p_since,
                               'earliest', v_horizon)) IS NULL THEN END IF;
    END IF;
    p_collection := normalize(p_collection, NFC);
    v_ids := ARRAY(SELECT DISTINCT v.collection_id FROM calib.collection_version AS v
                   WHERE v.name = p_collection);
    IF cardinality(v_ids) = 0 THEN
        IF calib._raise('KC002', format('collection %L does not exist and never did', p_collection),
            jsonb_build_object('kind', 'collection_never', 'collection', p_collection)) IS NULL THEN END IF;
    END IF;
    IF p_dataset_type IS NOT NULL THEN
        v_type := calib._dataset_type(p_dataset_type);
    END IF;
    IF p_data_id IS NOT NULL THEN
        IF p_dataset_type IS NULL THEN
            IF calib._raise('KC015', 'history of a data ID needs its dataset type',
                jsonb_build_object('kind', 'history_data_id_type', 'collection', p_collection)) IS NULL THEN END IF;
        END IF;
        SELECT di.data_id_key INTO v_key FROM calib.data_id AS di
        WHERE di.dataset_type_id = v_type.dataset_type_id
          AND di.value = (calib._canonical_data_ids(v_type, ARRAY[p_data_id]))[1];
        IF v_key IS NULL THEN
            RETURN;  -- a data ID never stored was never changed
        END IF;
    END IF;
    RETURN QUERY
    WITH cert AS (
        SELECT coalesce(a.created_change, b.removed_change) AS change_id,
               coalesce(a.created_operation, b.removed_operation) AS op,
               coalesce(a.collection_id, b.collection_id) AS collection_id,
               coalesce(a.dataset_type_id, b.dataset_type_id) AS dataset_type_id,
               coalesce(a.data_id_key, b.data_id_key) AS data_id_key,
               coalesce(a.dataset_id, b.dataset_id) AS dataset_id,
               b.validity AS before, a.validity AS after
        FROM (SELECT * FROM calib.certification_history AS v
              WHERE v.collection_id = ANY (v_ids)) AS a
        FULL JOIN (SELECT * FROM calib.certification_version AS v
                   WHERE v.collection_id = ANY (v_ids)) AS b
          ON b.certification_id = a.certification_id AND b.removed_change = a.created_change
    ), items AS (
        SELECT c.change_id, c.op, c.collection_id, c.dataset_type_id, c.data_id_key,
               c.dataset_id, c.before, c.after, NULL::jsonb AS detail, 1 AS kind
        FROM cert AS c
        UNION ALL
        SELECT v.created_change, v.created_operation, v.collection_id, v.dataset_type_id,
               v.data_id_key, v.dataset_id, NULL, NULL,
               jsonb_build_object('what', 'tag', 'tagged', true), 2
        FROM calib.tag_version AS v WHERE v.collection_id = ANY (v_ids)
        UNION ALL
        SELECT v.removed_change, v.removed_operation, v.collection_id, v.dataset_type_id,
               v.data_id_key, v.dataset_id, NULL, NULL,
               jsonb_build_object('what', 'tag', 'tagged', false), 2
        FROM calib.tag_version AS v WHERE v.collection_id = ANY (v_ids) AND v.removed_change IS NOT NULL
        UNION ALL
        SELECT v.created_change, v.created_operation, v.run_id, v.dataset_type_id,
               v.data_id_key, v.dataset_id, NULL, NULL,
               jsonb_build_object('what', 'dataset', 'present', true), 3
        FROM calib.dataset_version AS v WHERE v.run_id = ANY (v_ids)
        UNION ALL
        SELECT v.removed_change, v.removed_operation, v.run_id, v.dataset_type_id,
               v.data_id_key, v.dataset_id, NULL, NULL,
               jsonb_build_object('what', 'dataset', 'present', false), 3
        FROM calib.dataset_version AS v WHERE v.run_id = ANY (v_ids) AND v.removed_change IS NOT NULL
        UNION ALL
        SELECT coalesce(a.created_change, b.removed_change), coalesce(a.created_operation, b.removed_operation),
               coalesce(a.collection_id, b.collection_id), NULL, NULL, NULL, NULL, NULL,
               jsonb_build_object('what', 'collection',
                   'before', CASE WHEN b.collection_id IS NOT NULL THEN jsonb_build_object(
                       'name', b.name, 'type', b.type, 'state', b.state, 'writers', b.writers) END,
                   'after', CASE WHEN a.collection_id IS NOT NULL THEN jsonb_build_object(
                       'name', a.name, 'type', a.type, 'state', a.state, 'writers', a.writers) END), 0
        FROM (SELECT * FROM calib.collection_version AS v WHERE v.collection_id = ANY (v_ids)) AS a
        FULL JOIN (SELECT * FROM calib.collection_version AS v
                   WHERE v.collection_id = ANY (v_ids) AND v.removed_change IS NOT NULL) AS b
          ON b.collection_id = a.collection_id AND b.removed_change = a.created_change
        WHERE v_type IS NULL
        UNION ALL
        SELECT coalesce(a.created_change, b.removed_change), coalesce(a.created_operation, b.removed_operation),
               coalesce(a.parent_id, b.parent_id), NULL, NULL, NULL, NULL, NULL,
               jsonb_build_object('what', 'chain', 'position', coalesce(a.position, b.position),
                   'child_before', (SELECT n.name FROM calib.collection_version AS n
                                    WHERE n.collection_id = b.child_id
                                    ORDER BY n.created_change DESC LIMIT 1),
                   'child_after', (SELECT n.name FROM calib.collection_version AS n
                                   WHERE n.collection_id = a.child_id
                                   ORDER BY n.created_change DESC LIMIT 1)), 0
        FROM (SELECT * FROM calib.chain_version AS v WHERE v.parent_id = ANY (v_ids)) AS a
        FULL JOIN (SELECT * FROM calib.chain_version AS v
                   WHERE v.parent_id = ANY (v_ids) AND v.removed_change IS NOT NULL) AS b
          ON b.parent_id = a.parent_id AND b.position = a.position
             AND b.removed_change = a.created_change
        WHERE v_type IS NULL
    )
    SELECT ch.epoch, ch.committed_at, ch.db_role, ch.app_user, ch.reason, i.op, p_collection,
           t.name, di.value, i.dataset_id, i.before, i.after, i.detail, ch.request_id
    FROM items AS i
    JOIN calib.change AS ch ON ch.change_id = i.change_id
    LEFT JOIN calib.dataset_type AS t ON t.dataset_type_id = i.dataset_type_id
    LEFT JOIN calib.data_id AS di ON di.data_id_key = i.data_id_key
    WHERE (v_type IS NULL OR i.dataset_type_id = v_type.dataset_type_id)
      AND (v_key IS NULL OR i.data_id_key = v_key)
      AND (p_since IS NULL OR ch.epoch >= p_since)
      AND (p_until IS NULL OR ch.epoch <= p_until)
      AND (ch.epoch IS NULL OR ch.epoch >= v_horizon)  -- what is left of pruned changes
    ORDER BY ch.epoch NULLS LAST, ch.change_id, i.kind, t.name, i.data_id_key,
             i.after IS NOT NULL, lower(coalesce(i.after, i.before)) NULLS FIRST,
             i.detail::text;
END
$$;

CREATE OR REPLACE FUNCTION calib.history(p_collection text, p_dataset_type text, p_data_id text, p_since text, p_until text)
RETURNS TABLE (epoch bigint, committed_at timestamptz, db_role text, app_user text, reason text,
               operation text, collection text, dataset_type text, data_id jsonb, dataset_id uuid,
               validity_before tstzrange, validity_after tstzrange, detail jsonb,
               request_id text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* history with every argument as text (drivers binding text): the data ID as JSON text
   (calib._json_text), the epochs in decimal digits (calib._epoch_text); NULL or '' for
   none. Then exactly the typed form. */
BEGIN
    RETURN QUERY SELECT * FROM calib.history(
        p_collection, p_dataset_type,
        CASE WHEN p_data_id IS NULL OR btrim(p_data_id) = '' THEN NULL
             ELSE calib._json_text(p_data_id, 'data_id') END,
        calib._epoch_text(p_since, 'since'), calib._epoch_text(p_until, 'until'));
END
$$;

CREATE OR REPLACE FUNCTION calib._revision()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
/* The schema revision these functions belong to: calib.check_integrity compares it with
   calib.alembic_version. Every later revision re-creates this function with its own number
   (tests/test_health.py fails when an installed database answers another revision than
   calibcert.schema.HEAD_REVISION). */
SELECT '0014'::text
$$;

-- CREATE OR REPLACE: a revision can run this whole file again (migrations/sources/).
/* History (revision 0014): every versioned table's changes go into its version table
   (calib._record_versions), for every writer; statement-level with transition tables (one
   trigger per event, as PostgreSQL wants them). At COMMIT, the change row gets its epoch
   (calib._stamp_epoch, deferred constraint trigger). README "History and time travel". */
/* PostgreSQL has no CREATE OR REPLACE for constraint triggers: created once. */
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger
                   WHERE tgrelid = 'calib.change'::regclass AND tgname = 'change_epoch') THEN
        CREATE CONSTRAINT TRIGGER change_epoch
            AFTER INSERT ON calib.change
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION calib._stamp_epoch();
    END IF;
END
$$;
/* Certifications (see calib.certification_version): a current row carries its creating
   change. On INSERT the column defaults fill it, row by row without a function call once
   this transaction has its change (calib._change() runs for the first row only); an UPDATE
   by the functions sets both columns to DEFAULT. calib._certification_statement checks,
   once per statement, that the remembered change is this transaction's own (a caller who
   sets calib._change by hand gets a new one) and names the operation; calib._stamp_row
   stamps a row that arrives with anything else (raw SQL naming its own values, an UPDATE
   that left them alone). With triggers off (session_replication_role = replica, a
   superuser's restore) the defaults still give the transaction's change, operation 'sql'
   unless an earlier statement named one. Only the old rows of an UPDATE or DELETE are copied, into the
   closed versions. The columns themselves: schema/certification_history.sql. */
ALTER TABLE calib.certification
    ALTER COLUMN created_change SET DEFAULT coalesce(
        nullif(pg_catalog.current_setting('calib._change', true), '')::bigint, calib._change()),
    ALTER COLUMN created_change SET NOT NULL,
    ALTER COLUMN created_operation SET DEFAULT
        coalesce(pg_catalog.current_setting('calib._row_operation', true), 'sql'),
    ALTER COLUMN created_operation SET NOT NULL;
CREATE OR REPLACE TRIGGER certification_versions_statement
    BEFORE INSERT OR UPDATE ON calib.certification
    FOR EACH STATEMENT EXECUTE FUNCTION calib._certification_statement();
CREATE OR REPLACE TRIGGER certification_versions_row
    BEFORE INSERT OR UPDATE ON calib.certification
    FOR EACH ROW
    WHEN (NEW.created_change IS DISTINCT FROM
              nullif(pg_catalog.current_setting('calib._change', true), '')::bigint
          OR NEW.created_operation IS DISTINCT FROM
              pg_catalog.current_setting('calib._row_operation', true))
    EXECUTE FUNCTION calib._stamp_row();
CREATE OR REPLACE TRIGGER certification_versions_update
    AFTER UPDATE ON calib.certification REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER certification_versions_delete
    AFTER DELETE ON calib.certification REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER certification_versions_truncate
    BEFORE TRUNCATE ON calib.certification
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_versions_insert
    AFTER INSERT ON calib.collection REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_versions_update
    AFTER UPDATE ON calib.collection REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_versions_delete
    AFTER DELETE ON calib.collection REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_versions_truncate
    AFTER TRUNCATE ON calib.collection
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_chain_versions_insert
    AFTER INSERT ON calib.collection_chain REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_chain_versions_update
    AFTER UPDATE ON calib.collection_chain REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_chain_versions_delete
    AFTER DELETE ON calib.collection_chain REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_chain_versions_truncate
    AFTER TRUNCATE ON calib.collection_chain
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER tag_versions_insert
    AFTER INSERT ON calib.tag REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER tag_versions_update
    AFTER UPDATE ON calib.tag REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER tag_versions_delete
    AFTER DELETE ON calib.tag REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER tag_versions_truncate
    AFTER TRUNCATE ON calib.tag
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER dataset_versions_insert
    AFTER INSERT ON calib.dataset REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER dataset_versions_update
    AFTER UPDATE ON calib.dataset REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER dataset_versions_delete
    AFTER DELETE ON calib.dataset REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER dataset_versions_truncate
    AFTER TRUNCATE ON calib.dataset
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();

-- explain:
CREATE OR REPLACE FUNCTION calib._member_candidates(p_collection_id integer, p_data_id_key integer, p_span tstzrange, p_epoch bigint)
RETURNS TABLE (rank bigint, member_id integer, member_name text, member_type text,
               dataset_id uuid, validity tstzrange, created_change bigint)
LANGUAGE plpgsql STABLE
ROWS 5
SET search_path = pg_catalog, pg_temp
AS $$
/* Every member of the search path of collection p_collection_id, in rank order, with every
   match it holds for data ID key p_data_id_key (calib.explain): one row per match, or one
   row with NULL dataset_id when it holds none. The matches are exactly those of the
   branches of calib.probe (p_epoch NULL: the current tables, the stored search path) and
   calib._probe_as_of (p_epoch: the versions visible then, calib._visible, along
   calib._search_path_as_of), predicate for predicate, but not cut to the first two of the
   first matching member: explain shows them all. Which member decides is not decided here:
   calib.explain asks calib.probe / calib._probe_as_of themselves, so that it explains
   exactly what find decided (tests/test_pg_explain.py compares the two on random cases).
   created_change: the change that created the matching certification, dataset (RUN) or
   tag version (calib.change; its epoch is NULL while uncommitted).
   Arguments: p_collection_id and p_data_id_key internal ids (a NULL key matches nothing),
   p_span the time (NULL skips CALIBRATION members: no matches), p_epoch a checked epoch
   (calib._as_of) or NULL for now.
   Locks: none; read-only.
   Errors: none of its own (calib.explain resolves names to ids first and raises).
   PL/pgSQL so that both statements are planned once per session. */
BEGIN
    IF p_epoch IS NULL THEN
        RETURN QUERY
        SELECT m.rank::bigint, m.member_id, mc.name, m.member_type,
               x.dataset_id, x.validity, x.created_change
        FROM calib.search_path AS m
        JOIN calib.collection AS mc ON mc.collection_id = m.member_id
        LEFT JOIN LATERAL (
            SELECT c.dataset_id, c.validity, c.created_change FROM calib.certification AS c
            WHERE m.member_type = 'CALIBRATION' AND p_span IS NOT NULL
              AND c.collection_id = m.member_id
              AND c.data_id_key = p_data_id_key
              AND c.validity && p_span
            UNION ALL
            SELECT d.dataset_id, NULL::tstzrange,
                   (SELECT v.created_change FROM calib.dataset_version AS v
                    WHERE v.dataset_id = d.dataset_id AND v.removed_change IS NULL)
            FROM calib.dataset AS d
            WHERE m.member_type = 'RUN'
              AND d.run_id = m.member_id
              AND d.data_id_key = p_data_id_key
            UNION ALL
            SELECT t.dataset_id, NULL::tstzrange,
                   (SELECT v.created_change FROM calib.tag_version AS v
                    WHERE v.collection_id = t.collection_id AND v.data_id_key = t.data_id_key
                      AND v.dataset_id = t.dataset_id AND v.removed_change IS NULL)
            FROM calib.tag AS t
            WHERE m.member_type = 'TAGGED'
              AND t.collection_id = m.member_id
              AND t.data_id_key = p_data_id_key) AS x ON true
        WHERE m.collection_id = p_collection_id
        ORDER BY m.rank, lower(x.validity) NULLS FIRST, x.dataset_id;
        RETURN;
    END IF;
    RETURN QUERY
    SELECT m.rank, m.member_id, m.member_name, m.member_type,
           x.dataset_id, x.validity, x.created_change
    FROM calib._search_path_as_of(p_collection_id, p_epoch) AS m
    LEFT JOIN LATERAL (
        SELECT c.dataset_id, c.validity, c.created_change FROM calib.certification_history AS c
        WHERE m.member_type = 'CALIBRATION' AND p_span IS NOT NULL
          AND c.collection_id = m.member_id
          AND c.data_id_key = p_data_id_key
          AND c.validity && p_span
          AND calib._visible(c.created_change, c.removed_change, p_epoch)
        UNION ALL
        SELECT d.dataset_id, NULL::tstzrange, d.created_change FROM calib.dataset_version AS d
        WHERE m.member_type = 'RUN'
          AND d.run_id = m.member_id
          AND d.data_id_key = p_data_id_key
          AND calib._visible(d.created_change, d.removed_change, p_epoch)
        UNION ALL
        SELECT t.dataset_id, NULL::tstzrange, t.created_change FROM calib.tag_version AS t
        WHERE m.member_type = 'TAGGED'
          AND t.collection_id = m.member_id
          AND t.data_id_key = p_data_id_key
          AND calib._visible(t.created_change, t.removed_change, p_epoch)) AS x ON true
    ORDER BY m.rank, lower(x.validity) NULLS FIRST, x.dataset_id;
END
$$;

CREATE OR REPLACE FUNCTION calib._explain(p_collection text, p_dataset_type text, p_data_id jsonb, p_span tstzrange, p_as_of bigint)
RETURNS TABLE (rank bigint, member text, member_type text, outcome text, dataset_id uuid,
               timespan tstzrange, epoch bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* The body of calib.explain (its forms differ only in how the time is given): p_span is
   the lookup's time as calib._lookup takes it (an instant t is [t,t]; NULL skips
   CALIBRATION members). Names, the as-of epoch and the data ID are resolved and checked
   by the same helpers and in the same order as calib._lookup, so that explain raises
   exactly find's errors. The deciding member, its dataset and whether it is ambiguous come
   from calib.probe (now) or calib._probe_as_of (as of p_as_of) themselves, the rule find
   applies; calib._member_candidates only lists what each member holds. Outcomes: members
   before the deciding one 'no match', the deciding one 'match' (one row) or 'ambiguous'
   (one row per match), later members 'skipped' (not searched); with no time, CALIBRATION
   members are 'skipped' too (find never searches them); when nothing matches every
   searched member is 'no match'. Dataset, timespan (CALIBRATION matches only) and the
   epoch that created the match (NULL: the caller's own uncommitted change) are given on the
   deciding member's rows only.
   Errors: those of find (KC002, KC005, KC008, KC015 as_of_range, KC002 collection_missing_as_of),
   never KC011: an ambiguous match is an answer here.
   Locks: none; read-only. */
DECLARE
    v_epoch bigint := calib._as_of(p_as_of);
    v_coll_id integer := CASE WHEN p_as_of IS NULL THEN (calib._collection(p_collection)).collection_id
                              ELSE calib._collection_as_of(p_collection, v_epoch) END;
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type);
    v_value jsonb;
    v_key integer;
    v_member integer;
    v_ambiguous boolean;
BEGIN
    v_value := (calib._canonical_data_ids(v_type, ARRAY[p_data_id]))[1];
    SELECT di.data_id_key INTO v_key FROM calib.data_id AS di
    WHERE di.dataset_type_id = v_type.dataset_type_id AND di.value = v_value;
    /* A data ID never stored (NULL key) matches nothing: no probe, as in calib._lookup. */
    IF v_key IS NOT NULL AND v_epoch IS NULL THEN
        SELECT p.member_id, p.ambiguous INTO v_member, v_ambiguous
        FROM calib.probe(v_coll_id, v_key, p_span) AS p;
    ELSIF v_key IS NOT NULL THEN
        SELECT p.member_id, p.ambiguous INTO v_member, v_ambiguous
        FROM calib._probe_as_of(v_coll_id, v_key, p_span, v_epoch) AS p;
    END IF;
    RETURN QUERY
    WITH c AS (
        SELECT m.rank, m.member_id, m.member_name, m.member_type, m.dataset_id, m.validity,
               m.created_change,
               row_number() OVER (PARTITION BY m.rank
                                  ORDER BY lower(m.validity) NULLS FIRST, m.dataset_id) AS n
        FROM calib._member_candidates(v_coll_id, v_key, p_span, v_epoch) AS m
    )
    SELECT c.rank, c.member_name, c.member_type,
           CASE WHEN c.member_id = v_member
                    THEN CASE WHEN v_ambiguous THEN 'ambiguous' ELSE 'match' END
                WHEN c.member_type = 'CALIBRATION' AND p_span IS NULL THEN 'skipped'
                WHEN v_member IS NULL
                     OR c.rank < (SELECT d.rank FROM c AS d WHERE d.member_id = v_member LIMIT 1)
                    THEN 'no match'
                ELSE 'skipped' END,
           CASE WHEN c.member_id = v_member THEN c.dataset_id END,
           CASE WHEN c.member_id = v_member THEN c.validity END,
           CASE WHEN c.member_id = v_member THEN ch.epoch END
    FROM c
    LEFT JOIN calib.change AS ch ON ch.change_id = c.created_change
    WHERE c.n = 1 OR c.member_id = v_member
    ORDER BY c.rank, c.n;
END
$$;

CREATE OR REPLACE FUNCTION calib.explain(p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamptz, p_as_of bigint DEFAULT NULL)
RETURNS TABLE (rank bigint, member text, member_type text, outcome text, dataset_id uuid,
               timespan tstzrange, epoch bigint)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Why find(p_collection, p_dataset_type, p_data_id, p_at, p_as_of) answers what it
   answers: one row per member of the collection's search path (as of p_as_of when given),
   in search order. outcome: 'no match' (searched, nothing there), 'match' (the deciding
   member: its dataset), 'ambiguous' (the deciding member holds more than one match, find
   raises KC011: one row per match), 'skipped' (not searched: after the deciding member, or
   a CALIBRATION member when p_at is NULL). On the deciding member's rows: dataset_id,
   timespan (the matching certification's validity; NULL for RUN and TAGGED members) and
   epoch (of the change that created the certification, tag or RUN dataset; NULL for the
   caller's own uncommitted change). The decision is find's own (calib.probe /
   calib._probe_as_of); see calib._explain.
   Arguments: as find; p_as_of an epoch (NULL: now).
   Returns: the rows above, by rank (and, for 'ambiguous', by the matches' begin).
   Errors: as find (KC002, KC005, KC008, KC015), KC015 as_of_range, KC002 for a collection
   that did not exist at p_as_of; never KC011.
   Locks: none; read-only (STABLE), runs on a hot standby. */
BEGIN
    RETURN QUERY SELECT * FROM calib._explain(
        p_collection, p_dataset_type, p_data_id,
        CASE WHEN p_at IS NULL THEN NULL ELSE tstzrange(p_at, p_at, '[]') END, p_as_of);
END
$$;

CREATE OR REPLACE FUNCTION calib.explain(p_collection text, p_dataset_type text, p_data_id jsonb, p_timespan tstzrange, p_as_of bigint DEFAULT NULL)
RETURNS TABLE (rank bigint, member text, member_type text, outcome text, dataset_id uuid,
               timespan tstzrange, epoch bigint)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* explain of find(..., tstzrange): certifications overlapping p_timespan match ([) bounds,
   validated; NULL skips CALIBRATION members). Only a timespan can make a deciding member
   'ambiguous' (certifications of one data ID never overlap within a collection).
   Arguments: as find's timespan form; p_as_of an epoch (NULL: now).
   Returns: as explain(..., timestamptz).
   Errors: as find's timespan form (KC009 for a bad timespan); never KC011.
   Locks: none; read-only. */
BEGIN
    RETURN QUERY SELECT * FROM calib._explain(
        p_collection, p_dataset_type, p_data_id,
        CASE WHEN p_timespan IS NULL THEN NULL ELSE calib._timespan(p_timespan) END, p_as_of);
END
$$;

CREATE OR REPLACE FUNCTION calib.explain(p_collection text, p_dataset_type text, p_data_id text, p_at text, p_as_of text DEFAULT NULL)
RETURNS TABLE (rank bigint, member text, member_type text, outcome text, dataset_id uuid,
               timespan tstzrange, epoch bigint)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* explain with every argument as text (untyped literals, drivers binding text), read as
   find's all-text form reads them: the data ID as JSON text (calib._json_text), p_at an
   instant, or a timespan when it starts with '[' or '(' (or is 'empty'), read strictly;
   p_as_of an epoch in decimal digits, NULL or '' for now (calib._epoch_text).
   Arguments: as above. Returns: as explain(..., timestamptz).
   Errors: as find's all-text form; KC015 epoch_text.
   Locks: none; read-only. */
DECLARE
    v_data_id jsonb := calib._json_text(p_data_id, 'data_id');
    v_as_of bigint := calib._epoch_text(p_as_of, 'as_of');
BEGIN
    IF left(ltrim(p_at, E' \t\r\n'), 1) IN ('[', '(') OR lower(btrim(p_at)) = 'empty' THEN
        RETURN QUERY SELECT * FROM calib.explain(p_collection, p_dataset_type, v_data_id,
                                                 calib._parse_timespan(p_at, 'timespan'), v_as_of);
    ELSE
        RETURN QUERY SELECT * FROM calib.explain(p_collection, p_dataset_type, v_data_id,
                                                 calib._parse_instant(p_at, 'at'), v_as_of);
    END IF;
END
$$;

-- retention: prune_history and the history horizon; request ids (calib.change.request_id,
-- results) and their replay (calib._request, calib._request_result; the mutating functions
-- above call them); history shows the request id (issue 16, items 8 and 11).
/* Retention and request ids (revision 0014; README "Retention and request ids"; issue 16,
   items 8 and 11).

   calib.history_horizon: one row, the earliest epoch whose state is still kept. 0 until
   calib.prune_history(before) raises it to before; calib._as_of refuses an as-of epoch
   below it (KC015 as_of_pruned), and calib.history refuses a since below it, instead of
   answering from versions that are gone. The row is locked FOR UPDATE by prune_history
   only (two prunes take turns); readers read it in the same snapshot as the versions
   they then read (every as-of path is STABLE: one snapshot for the whole call), so a
   concurrent prune is seen entirely or not at all.

   calib.change.request_id: the caller's request id (setting calib.request_id), unique
   among changes: a committed change keeps it for good, an uncommitted one holds it in the
   unique index, so a second transaction that claims the same id waits (bounded) for the
   first to commit (then it replays the first's results) or to roll back (then it goes on).
   calib.change.results: what each mutating call of that change returned, in call order
   ([{"op": "certify", "result": 3}, ...]), kept only for changes with a request id, so
   that a retried transaction returns the same results call by call (calib._request). */
ALTER TABLE calib.change ADD COLUMN request_id text, ADD COLUMN results jsonb;
CREATE UNIQUE INDEX change_request_id_key ON calib.change (request_id)
    WHERE request_id IS NOT NULL;

CREATE TABLE calib.history_horizon (
    only_row       boolean NOT NULL DEFAULT true,
    earliest_epoch bigint NOT NULL DEFAULT 0,
    pruned_at      timestamptz,
    CONSTRAINT history_horizon_pkey PRIMARY KEY (only_row),
    CONSTRAINT history_horizon_one_row CHECK (only_row),
    CONSTRAINT history_horizon_epoch_check CHECK (earliest_epoch >= 0)
);
INSERT INTO calib.history_horizon DEFAULT VALUES;
COMMENT ON TABLE calib.history_horizon IS
    'One row: the earliest epoch whose state is still kept (calib.prune_history raises it); '
    'as-of reads and history below it are refused (as_of_pruned).';

CREATE OR REPLACE FUNCTION calib._request(p_operation text)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Idempotent retries (README "Retention and request ids"): called first by every
   mutating function when the setting calib.request_id is not empty (the functions test
   the setting inline, so that a call without one pays nothing). A request id names one
   change (transaction); a retried transaction carrying it replays the first one's
   results call by call.
   - This transaction already holds the id (its change was claimed by an earlier call):
     NULL, the call runs (and records its result: calib._request_result).
   - A committed change holds it: replay. Returns {"op", "result"} of the call at the same
     position in that change (the n-th mutating call of this transaction gets the n-th
     result); the caller returns that result and changes nothing. The change must be the
     caller's own role's (calib._caller()): another role's id is refused without showing
     its result. A call that does not match (another operation, or more calls than the
     change made) is refused: the retry is not the same request.
   - Nobody holds it: this transaction's change is created now and claims the id (the
     unique index change_request_id_key). If an uncommitted transaction holds it, the
     claim waits for it (bounded by calib.lock_timeout): it committed -> replay as above;
     it rolled back -> the claim succeeds and the call runs. Under REPEATABLE READ or
     SERIALIZABLE a change committed after the snapshot cannot be read: 40001, retry.
   The setting must be in place before the transaction's first change: a transaction
   whose change has no or another request id is refused (request_id_late).
   Arguments: p_operation: the public function's name, as calib._operation has it.
   Returns: NULL (run the call) or the recorded {"op", "result"} to return.
   Errors: KC015 request_id_invalid (longer than 200 characters), KC015 request_id_late,
   KC015 request_id_foreign (another role's change), KC015 request_id_mismatch,
   40001 (the holder committed after this transaction's snapshot), 55P03 (wait
   'request_id') when the holder does not end within calib.lock_timeout.
   Locks: this transaction's change row; waits for a concurrent holder of the same id. */
DECLARE
    v_id text := nullif(current_setting('calib.request_id', true), '');
    v_mine text := current_setting('calib._change', true);
    v_change calib.change;
    v_n integer;
    v_old text;
    v_claimed boolean := false;
    v_step jsonb;
BEGIN
    IF v_id IS NULL THEN
        RETURN NULL;
    END IF;
    IF length(v_id) > 200 THEN
        IF calib._raise('KC015',
            format('request id must be at most 200 characters, not %s', length(v_id)),
            jsonb_build_object('kind', 'request_id_invalid', 'length', length(v_id))) IS NULL THEN END IF;
    END IF;
    /* Replaying already (an earlier call of this transaction found the id committed). */
    v_n := nullif(current_setting('calib._replay_call', true), '')::integer;
    IF v_n IS NULL THEN
        /* This transaction's own change, if it has one (the same check as calib._change). */
        IF v_mine ~ '^[0-9]{1,18}$' THEN
            SELECT * INTO v_change FROM calib.change AS c
            WHERE c.change_id = v_mine::bigint AND c.xid = pg_current_xact_id();
            IF FOUND THEN
                IF v_change.request_id IS DISTINCT FROM v_id THEN
                    IF calib._raise('KC015',
                        format('request id %L set after this transaction''s first change: set calib.request_id before the first call', v_id),
                        jsonb_build_object('kind', 'request_id_late', 'request_id', v_id)) IS NULL THEN END IF;
                END IF;
                RETURN NULL;  -- ours: the call runs
            END IF;
        END IF;
        SELECT * INTO v_change FROM calib.change AS c
        WHERE c.request_id = v_id AND c.epoch IS NOT NULL;
        IF NOT FOUND THEN
            v_old := calib._bound_waits();
            BEGIN
                /* The claim: a concurrent holder makes this UPDATE wait on the unique index
                   until it ends. */
                v_mine := calib._change()::text;  -- its own statement: the UPDATE's
                -- snapshot would not see a row its WHERE clause inserted
                UPDATE calib.change SET request_id = v_id WHERE change_id = v_mine::bigint;
                v_claimed := true;
            EXCEPTION
                WHEN unique_violation THEN
                    NULL;  -- the holder committed: undone (change row and setting), replay below
                WHEN lock_not_available THEN
                    IF calib._lock_timeout('request_id',
                        format('request id %L, held by a transaction that has not ended', v_id),
                        jsonb_build_object('request_id', v_id)) IS NULL THEN END IF;
            END;
            PERFORM set_config('lock_timeout', v_old, true);
            IF v_claimed THEN
                RETURN NULL;
            END IF;
            /* A new statement: in READ COMMITTED it sees the holder's commit. */
            SELECT * INTO v_change FROM calib.change AS c
            WHERE c.request_id = v_id AND c.epoch IS NOT NULL;
            IF NOT FOUND THEN
                IF calib._raise('40001',
                    format('request id %L was committed by another transaction after this transaction''s snapshot; retry', v_id),
                    jsonb_build_object('kind', 'request_id_snapshot', 'request_id', v_id)) IS NULL THEN END IF;
            END IF;
        END IF;
        IF v_change.db_role IS DISTINCT FROM calib._caller() THEN
            IF calib._raise('KC015',
                format('request id %L belongs to a change of another role: choose another request id', v_id),
                jsonb_build_object('kind', 'request_id_foreign', 'request_id', v_id)) IS NULL THEN END IF;
        END IF;
        v_n := 0;
    ELSE
        SELECT * INTO v_change FROM calib.change AS c
        WHERE c.request_id = v_id AND c.epoch IS NOT NULL;
    END IF;
    v_step := v_change.results -> v_n;
    IF v_step IS NULL OR v_step ->> 'op' IS DISTINCT FROM p_operation THEN
        IF calib._raise('KC015',
            format('request id %L was committed at epoch %s, whose call %s was %s, not %s: a retry must repeat the same calls',
                   v_id, v_change.epoch, v_n + 1, coalesce(v_step ->> 'op', 'none'), p_operation),
            jsonb_build_object('kind', 'request_id_mismatch', 'request_id', v_id,
                               'epoch', v_change.epoch, 'call', v_n + 1,
                               'recorded', v_step ->> 'op', 'operation', p_operation)) IS NULL THEN END IF;
    END IF;
    PERFORM set_config('calib._replay_call', (v_n + 1)::text, true);
    RETURN v_step;
END
$$;

CREATE OR REPLACE FUNCTION calib._request_result(p_operation text, p_result jsonb)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Records what a mutating call returned, for a retry of its request (calib._request):
   appends {"op": p_operation, "result": p_result} to the results of this transaction's
   change when that change carries the request id in calib.request_id (the functions call
   it only when the setting is not empty). A replaying transaction has no change of its
   own with the id: nothing is recorded.
   Arguments: p_operation: the function's name; p_result: its result as jsonb (null for
   void).
   Errors: none. Locks: this transaction's change row (already its own). */
DECLARE
    v_mine text := current_setting('calib._change', true);
    v_id text := nullif(current_setting('calib.request_id', true), '');
BEGIN
    IF v_id IS NULL OR v_mine !~ '^[0-9]{1,18}$' THEN
        RETURN;
    END IF;
    UPDATE calib.change AS c
    SET results = coalesce(c.results, '[]'::jsonb)
                  || jsonb_build_array(jsonb_build_object('op', p_operation,
                                                          'result', coalesce(p_result, 'null'::jsonb)))
    WHERE c.change_id = v_mine::bigint AND c.xid = pg_current_xact_id() AND c.request_id = v_id;
END
$$;

CREATE OR REPLACE FUNCTION calib.prune_history(p_before bigint)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Retention (README "Retention and request ids"): drops the history older than epoch
   p_before. Deleted: every closed version (of certification_version, collection_version,
   chain_version, tag_version, dataset_version) whose removing change has an epoch below
   p_before -- no as-of read at an epoch >= p_before can see it (calib._visible: it was gone
   by then) and history from p_before on never shows it --, then every change row below
   p_before that no version and no current certification refers to any more. Versions
   still visible at p_before (current ones, or closed at or after p_before) stay with the
   changes that created them, so as-of reads at every epoch >= p_before answer exactly as
   before (tests/test_pg_retention.py replays them all). The history horizon
   (calib.history_horizon) becomes p_before: as-of reads and history since an epoch below
   it are then refused (as_of_pruned) instead of answered wrongly. The horizon never moves
   back: a p_before at or below it drops nothing. A change's request id goes with its
   row: a retry of a pruned request is no longer recognised.
   Arguments: p_before: 0 <= p_before <= calib.current_epoch().
   Returns: the number of versions dropped.
   Errors: KC015 argument_null, KC015 prune_range (p_before out of range), KC015
   prune_snapshot (a snapshot reads an epoch below p_before), 55P03 (wait
   'history_horizon') when another prune holds the horizon beyond calib.lock_timeout.
   Locks: the calib.history_horizon row FOR UPDATE (prunes take turns; a wait bounded by
   calib.lock_timeout); ROW EXCLUSIVE on the version tables and calib.change, like any
   writer, and the deleted rows, which nobody writes any more (closed versions, changes
   nothing refers to). No table lock: lookups (current and as-of) and writers go on. The
   work is linear in the history dropped plus one pass over the current certifications;
   to keep each transaction short, prune in steps of increasing p_before. */
DECLARE
    v_horizon bigint;
    v_current bigint := calib.current_epoch();
    v_changes bigint[];
    v_n bigint;
    v_total bigint := 0;
    v_old text;
    v_snapshot bigint;
BEGIN
    IF p_before IS NULL THEN
        IF calib._raise('KC015', 'prune_history needs an epoch (before) and got NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'before')) IS NULL THEN END IF;
    END IF;
    IF p_before < 0 OR p_before > v_current THEN
        IF calib._raise('KC015',
            format('prune_history before epoch %s is out of range: epochs run from 0 to the current epoch %s',
                   p_before, v_current),
            jsonb_build_object('kind', 'prune_range', 'before', p_before,
                               'current', v_current)) IS NULL THEN END IF;
    END IF;
    /* A snapshot reads its source as of its epoch, for as long as it exists or can still be
       read as of an epoch >= p_before (removed at or after it): its versions must stay. */
    SELECT min(s.epoch) INTO v_snapshot FROM calib.snapshot AS s
    WHERE s.epoch < p_before
      AND EXISTS (SELECT FROM calib.collection_version AS v
                  LEFT JOIN calib.change AS r ON r.change_id = v.removed_change
                  WHERE v.collection_id = s.collection_id
                    AND (v.removed_change IS NULL OR r.epoch IS NULL OR r.epoch >= p_before));
    IF v_snapshot IS NOT NULL THEN
        IF calib._raise('KC015',
            format('prune_history before epoch %s would drop what a snapshot reads (epoch %s): '
                   'remove the snapshot first, or prune before epoch %s at most',
                   p_before, v_snapshot, v_snapshot),
            jsonb_build_object('kind', 'prune_snapshot', 'before', p_before,
                               'snapshot_epoch', v_snapshot)) IS NULL THEN END IF;
    END IF;
    v_old := calib._bound_waits();
    BEGIN
        SELECT h.earliest_epoch INTO v_horizon FROM calib.history_horizon AS h FOR UPDATE;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('history_horizon', 'the history horizon, held by another prune_history',
                               '{}') IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF p_before <= v_horizon THEN
        RETURN 0;
    END IF;
    v_changes := ARRAY(SELECT c.change_id FROM calib.change AS c WHERE c.epoch < p_before);
    /* Closed versions whose removal committed before p_before: through the removed_change
       indexes. A current version (removed_change NULL) and one closed by an uncommitted
       change (no epoch) are never among them. */
    DELETE FROM calib.certification_version AS v WHERE v.removed_change = ANY (v_changes);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_total := v_total + v_n;
    DELETE FROM calib.collection_version AS v WHERE v.removed_change = ANY (v_changes);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_total := v_total + v_n;
    DELETE FROM calib.chain_version AS v WHERE v.removed_change = ANY (v_changes);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_total := v_total + v_n;
    DELETE FROM calib.tag_version AS v WHERE v.removed_change = ANY (v_changes);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_total := v_total + v_n;
    DELETE FROM calib.dataset_version AS v WHERE v.removed_change = ANY (v_changes);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_total := v_total + v_n;
    /* The changes nothing refers to any more (one anti-join per reference: a hash
       anti-join each, so one pass over every table rather than a probe per change). A new reference to an old change only ever
       comes from an existing one (a current certification copied into its version table
       when closed), which this statement's snapshot sees, so no concurrent writer can
       need a row deleted here. */
    DELETE FROM calib.change AS c
    WHERE c.change_id = ANY (v_changes)
      AND NOT EXISTS (SELECT FROM calib.certification AS x WHERE x.created_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.certification_version AS x WHERE x.created_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.certification_version AS x WHERE x.removed_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.collection_version AS x WHERE x.created_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.collection_version AS x WHERE x.removed_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.chain_version AS x WHERE x.created_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.chain_version AS x WHERE x.removed_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.tag_version AS x WHERE x.created_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.tag_version AS x WHERE x.removed_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.dataset_version AS x WHERE x.created_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.dataset_version AS x WHERE x.removed_change = c.change_id);
    UPDATE calib.history_horizon SET earliest_epoch = p_before, pruned_at = clock_timestamp();
    RETURN v_total;
END
$$;

-- snapshots:
CREATE OR REPLACE FUNCTION calib._snapshot_ids(p_source_id integer, p_data_id_key integer, p_span tstzrange, p_epoch bigint)
RETURNS uuid[]
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* What a snapshot member answers in calib.probe (revision 0014): the lookup rule applied to
   its source as of the snapshot's epoch (calib._probe_as_of): the deciding member's
   dataset, twice when it has more than one match (so that probe's ids[2] says
   "ambiguous"), NULL when no member matches.
   Arguments: p_source_id the snapshot's source (calib.snapshot.source_id), p_data_id_key
   the data ID's key, p_span the time (NULL skips CALIBRATION members), p_epoch the
   snapshot's epoch.
   Returns: NULL, one dataset id, or the same id twice.
   Locks: none; read-only.
   Errors: none of its own.
   Why a function of its own, not calib._probe_as_of inlined into calib.probe: an inlined
   branch puts the version tables and their indexes into every cached lookup plan, and
   each execution then locks and opens them even when no member is a snapshot (measured:
   +100 us on a find through a chain of 3 members); a call in a one-time-filtered branch
   costs nothing until a snapshot is met. SECURITY DEFINER: calib.probe runs with its
   caller's rights, so the reader role is granted this one read-only helper (an as-of
   lookup, which readers may make anyway) rather than the as-of rule's own helpers.
   force_generic_plan: planned once per session, like calib._probe_all_as_of. */
BEGIN
    RETURN (SELECT CASE WHEN p.ambiguous THEN ARRAY[p.dataset_id, p.dataset_id]
                        ELSE ARRAY[p.dataset_id] END
            FROM calib._probe_as_of(p_source_id, p_data_id_key, p_span, p_epoch) AS p);
END
$$;

CREATE OR REPLACE FUNCTION calib.probe(p_collection_id integer, p_data_id_key integer, p_span tstzrange)
RETURNS TABLE (member_id integer, dataset_id uuid, ambiguous boolean)
LANGUAGE sql STABLE
AS $$
/* The lookup rule, the one place it is written on PostgreSQL. The collection's stored
   search path (calib.search_path: itself, or a chain's members flattened) is searched in
   rank order and the first member with any match for the data ID key decides: RUN and
   TAGGED members match by data ID for all time, CALIBRATION members by certifications
   overlapping p_span (an instant t is the range [t,t]; a NULL span skips them). One row
   for the deciding member: its dataset, and ambiguous = it has more than one match (the
   caller raises KC011); no row when no member matches.
   Arguments: p_collection_id and p_data_id_key internal ids (calib.collection,
   calib.data_id), p_span the time (NULL skips CALIBRATION members).
   Locks: none; read-only.
   Errors: none of its own (callers resolve names to ids first and raise).

   Used by calib._lookup, calib._lookup_one and the Python client's prepared find, all of
   which resolve names to ids first and raise the errors. Inline-only: LANGUAGE sql without
   SET search_path, so that PostgreSQL inlines it into the calling statement and plans it
   with that statement's cached plan (a SET clause forbids inlining; the body would then be
   planned again on every call). Its body is therefore parsed under the caller's
   search_path: every name in it is schema-qualified, operators included. SECURITY INVOKER:
   it reads with the caller's own table rights, so granting it to calib_reader and
   calib_writer gives them nothing they cannot SELECT already.
   Per member one probe of each kind, gated by the stored member_type; ARRAY(... LIMIT 2)
   is computed once per member (OFFSET 0 keeps the planner from copying it into each use).
   A snapshot member (snapshot_epoch set, revision 0014) is its source as of the snapshot's
   epoch: calib._snapshot_ids applies the same rule (calib._probe_as_of) to the versions
   visible then (its dataset, twice when ambiguous, so that ids[2] says so). The condition
   on m.snapshot_epoch is a one-time filter: for every other member that branch is never
   run, and the plan holds no version table (see calib._snapshot_ids for why). A snapshot
   has no rows of its own, so the three branches above find nothing for it. */
SELECT m.member_id, x.ids[1], x.ids[2] IS NOT NULL
FROM calib.search_path AS m
CROSS JOIN LATERAL (
    SELECT ARRAY(
        SELECT c.dataset_id FROM calib.certification AS c
        WHERE m.member_type OPERATOR(pg_catalog.=) 'CALIBRATION' AND p_span IS NOT NULL
          AND c.collection_id OPERATOR(pg_catalog.=) m.member_id
          AND c.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
          AND c.validity OPERATOR(pg_catalog.&&) p_span
        UNION ALL
        SELECT d.dataset_id FROM calib.dataset AS d
        WHERE m.member_type OPERATOR(pg_catalog.=) 'RUN'
          AND d.run_id OPERATOR(pg_catalog.=) m.member_id
          AND d.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
        UNION ALL
        SELECT t.dataset_id FROM calib.tag AS t
        WHERE m.member_type OPERATOR(pg_catalog.=) 'TAGGED'
          AND t.collection_id OPERATOR(pg_catalog.=) m.member_id
          AND t.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
        UNION ALL
        SELECT pg_catalog.unnest(calib._snapshot_ids(m.snapshot_of, p_data_id_key, p_span,
                                                     m.snapshot_epoch))
        WHERE m.snapshot_epoch IS NOT NULL
        LIMIT 2) AS ids
    OFFSET 0) AS x
WHERE m.collection_id OPERATOR(pg_catalog.=) p_collection_id AND x.ids[1] IS NOT NULL
ORDER BY m.rank
LIMIT 1
$$;

CREATE OR REPLACE FUNCTION calib._refresh_search_paths(p_collection_ids integer[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* Recompute calib.search_path for the collections p_collection_ids and for every chain
   above them (walked up through collection_chain.child_id), from the chains as they are
   now. The one place where the chain walk lives: a CHAINED collection gets its non-CHAINED
   members depth-first in chain order (position paths sort lexicographically in exactly that
   order), chains expanded, each collection once at its first occurrence, ranked 1..n; any
   other collection gets itself (rank 1); an id without a collection gets nothing. A
   snapshot (calib.snapshot, revision 0014), CHAINED or not, is one member with its source
   and epoch (it has no chain rows to walk): calib.probe reads it as of that epoch. A path
   changes only if some chain at or below it changed, so the triggers on collection_chain
   pass the parents a statement changed. Call it with every collection id for an initial
   fill.
   Errors: KC004 when the chains reachable from p_collection_ids contain a cycle (only a raw
   writer can store one: set_chain refuses cycles before writing); 40001 when the caller's
   snapshot predates another chain change (REPEATABLE READ / SERIALIZABLE: see
   calib.search_path_generation); 55P03 when the chain lock is not granted in time.
   Locks: calib._lock_chains() (held to the end of the transaction), so that no other
   transaction changes chains between this walk and commit. A raw writer of
   collection_chain already holds ROW EXCLUSIVE on it when its trigger asks for this lock:
   two raw writers that skip the protocol (set_chain, remove_collection and copy_collection
   take the chain lock before writing) can deadlock here, and PostgreSQL then rolls one of
   them back (40P01); neither stores a path computed from a stale chain graph.
   force_generic_plan: PostgreSQL otherwise planned the recursive statements afresh on each
   call (custom plans looked cheaper), about half of a refresh (420 -> 215 us for a
   three-member chain). */
DECLARE
    v_ids integer[];
    v_cycle record;
BEGIN
    IF coalesce(cardinality(p_collection_ids), 0) = 0 THEN
        RETURN;
    END IF;
    IF calib._lock_chains() IS NULL THEN END IF;
    INSERT INTO calib.search_path_generation AS g (generation) VALUES (1)
    ON CONFLICT ON CONSTRAINT search_path_generation_pkey
    DO UPDATE SET generation = g.generation + 1;

    /* The given collections and every chain above them (UNION: ends even on a cycle). */
    v_ids := ARRAY(
        WITH RECURSIVE up (collection_id) AS (
            SELECT u FROM unnest(p_collection_ids) AS u WHERE u IS NOT NULL
            UNION
            SELECT ch.parent_id
            FROM up JOIN calib.collection_chain AS ch ON ch.child_id = up.collection_id
        )
        SELECT up.collection_id FROM up);
    DELETE FROM calib.search_path WHERE collection_id = ANY (v_ids);

    /* One walk down from each collection; a path that meets a collection already on it is
       a cycle: it is not followed, and reported below (the insert is then rolled back). */
    WITH RECURSIVE walk (root_id, parent_id, collection_id, path) AS (
        SELECT c.collection_id, NULL::integer, c.collection_id, ARRAY[]::integer[]
        FROM calib.collection AS c
        WHERE c.collection_id = ANY (v_ids)
        UNION ALL
        SELECT w.root_id, ch.parent_id, ch.child_id, w.path || ch.position
        FROM walk AS w JOIN calib.collection_chain AS ch ON ch.parent_id = w.collection_id
    ) CYCLE collection_id SET looped USING visited,
    stored AS (
        INSERT INTO calib.search_path (collection_id, rank, member_id, member_type,
                                       snapshot_of, snapshot_epoch)
        SELECT f.root_id, row_number() OVER (PARTITION BY f.root_id ORDER BY f.path),
               c.collection_id, c.type, s.source_id, s.epoch
        FROM (SELECT DISTINCT ON (w.root_id, w.collection_id) w.root_id, w.collection_id, w.path
              FROM walk AS w WHERE NOT w.looped
              ORDER BY w.root_id, w.collection_id, w.path) AS f
        JOIN calib.collection AS c ON c.collection_id = f.collection_id
        LEFT JOIN calib.snapshot AS s ON s.collection_id = c.collection_id
        WHERE c.type <> 'CHAINED' OR s.collection_id IS NOT NULL
    )
    SELECT p.name AS parent, k.name AS child INTO v_cycle
    FROM walk AS w
    JOIN calib.collection AS p ON p.collection_id = w.parent_id
    JOIN calib.collection AS k ON k.collection_id = w.collection_id
    WHERE w.looped
    ORDER BY w.root_id, w.path
    LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC004',
            format('making %L a child of chain %L would create a cycle', v_cycle.child,
                   v_cycle.parent),
            jsonb_build_object('kind', 'chain_cycle', 'collection', v_cycle.parent,
                               'child', v_cycle.child)) IS NULL THEN END IF;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.check_integrity()
RETURNS TABLE ("check" text, detail jsonb)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
/* Re-verifies every invariant of calibcert from the tables themselves, trusting no
   constraint or trigger (a superuser can drop or bypass those): one row per violation, no
   row when the database is healthy. Check names and detail keys: README "Integrity check
   and statistics"; the SQLite twin (sql/sqlite/functions/check_integrity.sql) reports the
   same checks under the same names. Set-based (one pass per check, no per-row loop), so it
   stays fast on a large database.
   Arguments: none.
   Returns: rows (check, detail), ordered by check, then detail.
   Locks: none; read-only, one snapshot (STABLE), runs on a hot standby.
   Errors: none of its own.

   jit = off: the statement is large and costed high on a big database, and PostgreSQL's
   JIT compilation of it took 6.7 s of a 7.4 s check of 10^5 certifications (0.6 s
   without; bench/health.py). */
BEGIN
    RETURN QUERY
    WITH problems (name, detail) AS (
        /* The revision stored by alembic (or by install.sql) is the one these functions
           belong to. */
        SELECT 'schema_revision',
               jsonb_build_object('expected', calib._revision(),
                                  'found', (SELECT coalesce(jsonb_agg(v.version_num::text
                                                            ORDER BY v.version_num), '[]')
                                            FROM calib.alembic_version AS v))
        WHERE (SELECT array_agg(v.version_num::text) FROM calib.alembic_version AS v)
              IS DISTINCT FROM ARRAY[calib._revision()]

        /* Every internal reference points at an existing row (what the foreign keys say),
           grouped by the missing key. */
        UNION ALL
        SELECT 'missing_reference',
               jsonb_build_object('table', m.tbl, 'references', m.ref, 'key', m.key,
                                  'rows', m.n)
        FROM (
            SELECT 'collection_chain' AS tbl, 'collection' AS ref,
                   jsonb_build_object('parent_id', ch.parent_id) AS key, count(*) AS n
            FROM calib.collection_chain AS ch
            WHERE NOT EXISTS (SELECT FROM calib.collection AS c
                              WHERE c.collection_id = ch.parent_id)
            GROUP BY ch.parent_id
            UNION ALL
            SELECT 'collection_chain', 'collection',
                   jsonb_build_object('child_id', ch.child_id), count(*)
            FROM calib.collection_chain AS ch
            WHERE NOT EXISTS (SELECT FROM calib.collection AS c
                              WHERE c.collection_id = ch.child_id)
            GROUP BY ch.child_id
            UNION ALL
            SELECT 'data_id', 'dataset_type',
                   jsonb_build_object('dataset_type_id', di.dataset_type_id), count(*)
            FROM calib.data_id AS di
            WHERE NOT EXISTS (SELECT FROM calib.dataset_type AS t
                              WHERE t.dataset_type_id = di.dataset_type_id)
            GROUP BY di.dataset_type_id
            UNION ALL
            SELECT 'dataset', 'collection', jsonb_build_object('run_id', d.run_id), count(*)
            FROM calib.dataset AS d
            WHERE NOT EXISTS (SELECT FROM calib.collection AS c WHERE c.collection_id = d.run_id)
            GROUP BY d.run_id
            UNION ALL
            SELECT 'dataset', 'data_id',
                   jsonb_build_object('data_id_key', d.data_id_key,
                                      'dataset_type_id', d.dataset_type_id), count(*)
            FROM calib.dataset AS d
            WHERE NOT EXISTS (SELECT FROM calib.data_id AS di
                              WHERE di.data_id_key = d.data_id_key
                                AND di.dataset_type_id = d.dataset_type_id)
            GROUP BY d.data_id_key, d.dataset_type_id
            UNION ALL
            SELECT 'tag', 'collection', jsonb_build_object('collection_id', g.collection_id),
                   count(*)
            FROM calib.tag AS g
            WHERE NOT EXISTS (SELECT FROM calib.collection AS c
                              WHERE c.collection_id = g.collection_id)
            GROUP BY g.collection_id
            UNION ALL
            SELECT 'tag', 'dataset',
                   jsonb_build_object('dataset_id', g.dataset_id,
                                      'dataset_type_id', g.dataset_type_id,
                                      'data_id_key', g.data_id_key), count(*)
            FROM calib.tag AS g
            WHERE NOT EXISTS (SELECT FROM calib.dataset AS d
                              WHERE d.dataset_id = g.dataset_id
                                AND d.dataset_type_id = g.dataset_type_id
                                AND d.data_id_key = g.data_id_key)
            GROUP BY g.dataset_id, g.dataset_type_id, g.data_id_key
            UNION ALL
            SELECT 'certification', 'collection',
                   jsonb_build_object('collection_id', ce.collection_id), count(*)
            FROM calib.certification AS ce
            WHERE NOT EXISTS (SELECT FROM calib.collection AS c
                              WHERE c.collection_id = ce.collection_id)
            GROUP BY ce.collection_id
            UNION ALL
            SELECT 'certification', 'dataset',
                   jsonb_build_object('dataset_id', ce.dataset_id,
                                      'dataset_type_id', ce.dataset_type_id,
                                      'data_id_key', ce.data_id_key), count(*)
            FROM calib.certification AS ce
            WHERE NOT EXISTS (SELECT FROM calib.dataset AS d
                              WHERE d.dataset_id = ce.dataset_id
                                AND d.dataset_type_id = ce.dataset_type_id
                                AND d.data_id_key = ce.data_id_key)
            GROUP BY ce.dataset_id, ce.dataset_type_id, ce.data_id_key
        ) AS m

        /* Each kind of row lives in the kind of collection made for it (the type is read
           from collection, not from the pinning columns of the row itself). */
        UNION ALL
        SELECT 'dataset_outside_run',
               jsonb_build_object('collection', c.name, 'type', c.type, 'rows', count(*))
        FROM calib.dataset AS d JOIN calib.collection AS c ON c.collection_id = d.run_id
        WHERE c.type <> 'RUN'
        GROUP BY c.name, c.type
        UNION ALL
        SELECT 'tag_outside_tagged',
               jsonb_build_object('collection', c.name, 'type', c.type, 'rows', count(*))
        FROM calib.tag AS g JOIN calib.collection AS c ON c.collection_id = g.collection_id
        WHERE c.type <> 'TAGGED'
        GROUP BY c.name, c.type
        UNION ALL
        SELECT 'certification_outside_calibration',
               jsonb_build_object('collection', c.name, 'type', c.type, 'rows', count(*))
        FROM calib.certification AS ce
        JOIN calib.collection AS c ON c.collection_id = ce.collection_id
        WHERE c.type <> 'CALIBRATION'
        GROUP BY c.name, c.type
        UNION ALL
        SELECT 'chain_outside_chained',
               jsonb_build_object('collection', c.name, 'type', c.type, 'rows', count(*))
        FROM calib.collection_chain AS ch
        JOIN calib.collection AS c ON c.collection_id = ch.parent_id
        WHERE c.type <> 'CHAINED'
        GROUP BY c.name, c.type

        /* Only calibration dataset types are certified. */
        UNION ALL
        SELECT 'certification_not_calibration_type',
               jsonb_build_object('collection', c.name, 'dataset_type', t.name,
                                  'rows', count(*))
        FROM calib.certification AS ce
        JOIN calib.dataset_type AS t ON t.dataset_type_id = ce.dataset_type_id
        LEFT JOIN calib.collection AS c ON c.collection_id = ce.collection_id
        WHERE NOT t.is_calibration
        GROUP BY c.name, t.name

        /* A TAGGED collection holds at most one dataset per (dataset type, data ID), read
           from the datasets themselves. */
        UNION ALL
        SELECT 'tag_duplicate_data_id',
               jsonb_build_object('collection', c.name, 'dataset_type', t.name,
                                  'data_id', di.value, 'datasets', x.ids)
        FROM (SELECT g.collection_id, d.dataset_type_id, d.data_id_key,
                     jsonb_agg(d.dataset_id::text ORDER BY d.dataset_id::text) AS ids
              FROM calib.tag AS g JOIN calib.dataset AS d ON d.dataset_id = g.dataset_id
              GROUP BY g.collection_id, d.dataset_type_id, d.data_id_key
              HAVING count(*) > 1) AS x
        LEFT JOIN calib.collection AS c ON c.collection_id = x.collection_id
        LEFT JOIN calib.dataset_type AS t ON t.dataset_type_id = x.dataset_type_id
        LEFT JOIN calib.data_id AS di ON di.data_id_key = x.data_id_key

        /* No two certifications of one calibration key (collection, data ID) overlap. One
           sort per key: a certification that begins before the latest end of those sorted
           before it overlaps one of them; only those (few) are paired with what they
           overlap. */
        UNION ALL
        SELECT 'certification_overlap',
               jsonb_build_object('collection', c.name, 'dataset_type', t.name,
                                  'data_id', di.value,
                                  'dataset', a.dataset_id::text,
                                  'timespan', calib._span_json(a.validity),
                                  'other_dataset', b.dataset_id::text,
                                  'other_timespan', calib._span_json(b.validity))
        FROM (SELECT s.* FROM (
                  SELECT ce.certification_id, ce.collection_id, ce.data_id_key,
                         ce.dataset_type_id, ce.validity, ce.dataset_id,
                         max(coalesce(upper(ce.validity), 'infinity')) OVER (
                             PARTITION BY ce.collection_id, ce.data_id_key
                             ORDER BY coalesce(lower(ce.validity), '-infinity'),
                                      ce.certification_id
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before_end
                  FROM calib.certification AS ce) AS s
              WHERE s.before_end > coalesce(lower(s.validity), '-infinity')) AS b
        JOIN calib.certification AS a
          ON a.collection_id = b.collection_id AND a.data_id_key = b.data_id_key
         AND a.validity && b.validity
         AND (coalesce(lower(a.validity), '-infinity'), a.certification_id)
             < (coalesce(lower(b.validity), '-infinity'), b.certification_id)
        LEFT JOIN calib.collection AS c ON c.collection_id = b.collection_id
        LEFT JOIN calib.dataset_type AS t ON t.dataset_type_id = b.dataset_type_id
        LEFT JOIN calib.data_id AS di ON di.data_id_key = b.data_id_key

        /* Chains are acyclic: a chain that reaches itself through its children. */
        UNION ALL
        SELECT 'chain_cycle', jsonb_build_object('collection', c.name)
        FROM (WITH RECURSIVE reach (start_id, collection_id) AS (
                  SELECT ch.parent_id, ch.child_id FROM calib.collection_chain AS ch
                  UNION
                  SELECT r.start_id, ch.child_id
                  FROM reach AS r JOIN calib.collection_chain AS ch
                    ON ch.parent_id = r.collection_id)
              SELECT DISTINCT r.start_id FROM reach AS r
              WHERE r.start_id = r.collection_id) AS y
        JOIN calib.collection AS c ON c.collection_id = y.start_id

        /* Stored search paths equal a fresh flattening (the walk of
           calib._refresh_search_paths, cycles not followed), compared member by member
           with rank and type; the detail lists both as [name, type] pairs. */
        UNION ALL
        SELECT 'search_path_mismatch',
               jsonb_build_object('collection', coalesce(c.name, p.collection_id::text),
                                  'stored', coalesce(p.stored_names, '[]'),
                                  'expected', coalesce(p.fresh_names, '[]'))
        FROM (
            SELECT coalesce(st.collection_id, fr.collection_id) AS collection_id,
                   st.names AS stored_names, fr.names AS fresh_names
            FROM (SELECT sp.collection_id,
                         jsonb_agg(jsonb_build_array(sp.rank, sp.member_id, sp.member_type)
                                   ORDER BY sp.rank) AS members,
                         jsonb_agg(jsonb_build_array(coalesce(m.name, sp.member_id::text),
                                                     sp.member_type) ORDER BY sp.rank)
                             AS names
                  FROM calib.search_path AS sp
                  LEFT JOIN calib.collection AS m ON m.collection_id = sp.member_id
                  GROUP BY sp.collection_id) AS st
            FULL JOIN (
                WITH RECURSIVE walk (root_id, collection_id, path) AS (
                    SELECT c0.collection_id, c0.collection_id, ARRAY[]::integer[]
                    FROM calib.collection AS c0
                    UNION ALL
                    SELECT w.root_id, ch.child_id, w.path || ch.position
                    FROM walk AS w
                    JOIN calib.collection_chain AS ch ON ch.parent_id = w.collection_id
                ) CYCLE collection_id SET looped USING visited,
                ranked AS (
                    SELECT f.root_id, c1.collection_id, c1.name, c1.type,
                           row_number() OVER (PARTITION BY f.root_id ORDER BY f.path) AS rank
                    FROM (SELECT DISTINCT ON (w.root_id, w.collection_id)
                                 w.root_id, w.collection_id, w.path
                          FROM walk AS w WHERE NOT w.looped
                          ORDER BY w.root_id, w.collection_id, w.path) AS f
                    JOIN calib.collection AS c1 ON c1.collection_id = f.collection_id
                    WHERE c1.type <> 'CHAINED'
                       OR EXISTS (SELECT FROM calib.snapshot AS s1
                                  WHERE s1.collection_id = c1.collection_id))
                SELECT r.root_id AS collection_id,
                       jsonb_agg(jsonb_build_array(r.rank, r.collection_id, r.type)
                                 ORDER BY r.rank) AS members,
                       jsonb_agg(jsonb_build_array(r.name, r.type) ORDER BY r.rank) AS names
                FROM ranked AS r GROUP BY r.root_id) AS fr
              ON fr.collection_id = st.collection_id
            WHERE st.members IS DISTINCT FROM fr.members) AS p
        LEFT JOIN calib.collection AS c ON c.collection_id = p.collection_id

        /* A data ID has exactly its dataset type's dimensions as keys. */
        UNION ALL
        SELECT 'data_id_dimensions',
               jsonb_build_object('dataset_type', t.name, 'data_id', di.value,
                                  'dimensions', to_jsonb(t.dimensions))
        FROM calib.data_id AS di
        JOIN calib.dataset_type AS t ON t.dataset_type_id = di.dataset_type_id
        WHERE ARRAY(SELECT k FROM jsonb_object_keys(di.value) AS k ORDER BY k)
              IS DISTINCT FROM ARRAY(SELECT u FROM unnest(t.dimensions) AS u ORDER BY u)

        /* Every data-ID value has the type calib.dimension fixes for its dimension
           (integer or string; a dimension missing there expects null), grouped by
           dimension and type found, with the first such data ID as example. */
        UNION ALL
        SELECT 'dimension_value_type',
               jsonb_build_object('dimension', v.dim, 'expected', dm.value_type,
                                  'found', v.found, 'data_ids', count(*),
                                  'example', (array_agg(v.value ORDER BY v.data_id_key))[1])
        FROM (SELECT di.data_id_key, di.value, e.key AS dim,
                     CASE WHEN jsonb_typeof(e.value) = 'string' THEN 'string'
                          WHEN jsonb_typeof(e.value) = 'number'
                               AND e.value::text !~ '[.eE]' THEN 'integer'
                          ELSE jsonb_typeof(e.value) END AS found
              FROM calib.data_id AS di, jsonb_each(di.value) AS e) AS v
        LEFT JOIN calib.dimension AS dm ON dm.name = v.dim
        WHERE dm.value_type IS DISTINCT FROM v.found
        GROUP BY v.dim, dm.value_type, v.found
    )
    SELECT p.name, p.detail FROM problems AS p ORDER BY p.name, p.detail::text;
END
$$;

CREATE OR REPLACE FUNCTION calib._frozen_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* The FROZEN rule for every writer, the table owner's raw SQL included (triggers in
   sql/schema/frozen.sql): no row of a FROZEN collection is inserted, changed or deleted.
   The functions refuse first, with the operation's name (calib._check_change); this is
   what holds when a statement does not go through them.
   Three uses:
   - table collection, FOR EACH ROW, BEFORE UPDATE OR DELETE: a FROZEN collection is not
     removed, renamed, retyped or re-documented; changing only its state or writers is
     allowed (that is how an admin unfreezes it: calib.set_collection_state). A snapshot
     (revision 0014) is the other way round: it may be deleted, and never unfrozen.
   - tables certification, tag, dataset and collection_chain, AFTER each statement, with
     its transition table (new_rows or old_rows; one trigger per event, as PostgreSQL
     wants), joined on the column that holds the collection (collection_id, run_id,
     parent_id). One query per statement, however many rows, and none while no collection
     is FROZEN. A chain's child is not
     guarded: putting a FROZEN collection into a chain, or taking it out, changes the
     chain, not the child.
   - TRUNCATE of any of these tables while a collection is FROZEN.
   Errors: KC018 collection_frozen (operation: the statement and table). */
DECLARE
    v_name text;
BEGIN
    IF TG_LEVEL = 'ROW' THEN
        IF OLD.state = 'FROZEN'
           AND (TG_OP = 'DELETE'
                OR (NEW.collection_id, NEW.name, NEW.type, NEW.doc)
                   IS DISTINCT FROM (OLD.collection_id, OLD.name, OLD.type, OLD.doc)) THEN
            v_name := OLD.name;
        END IF;
        /* A snapshot (calib.snapshot) is FROZEN by construction: it may be removed, never
           unfrozen. */
        IF EXISTS (SELECT FROM calib.snapshot AS s WHERE s.collection_id = OLD.collection_id) THEN
            v_name := CASE WHEN TG_OP = 'DELETE' THEN NULL
                           WHEN NEW.state <> 'FROZEN' THEN OLD.name ELSE v_name END;
        END IF;
    ELSIF TG_OP = 'TRUNCATE' THEN
        SELECT c.name INTO v_name FROM calib.collection AS c WHERE c.state = 'FROZEN'
        ORDER BY c.name LIMIT 1;
    ELSIF EXISTS (SELECT FROM calib.collection AS c WHERE c.state = 'FROZEN') THEN
        /* Static statements, one per table (PL/pgSQL keeps their plans per trigger table;
           a dynamic EXECUTE was planned on every statement, doubling a one-dataset
           certify); the EXISTS above, on the partial index collection_frozen_idx, spares
           the transition tables while nothing is frozen. */
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            CASE TG_TABLE_NAME
            WHEN 'certification', 'tag' THEN
                SELECT c.name INTO v_name FROM new_rows AS r
                JOIN calib.collection AS c ON c.collection_id = r.collection_id
                WHERE c.state = 'FROZEN' ORDER BY c.name LIMIT 1;
            WHEN 'dataset' THEN
                SELECT c.name INTO v_name FROM new_rows AS r
                JOIN calib.collection AS c ON c.collection_id = r.run_id
                WHERE c.state = 'FROZEN' ORDER BY c.name LIMIT 1;
            ELSE
                SELECT c.name INTO v_name FROM new_rows AS r
                JOIN calib.collection AS c ON c.collection_id = r.parent_id
                WHERE c.state = 'FROZEN' ORDER BY c.name LIMIT 1;
            END CASE;
        END IF;
        IF v_name IS NULL AND TG_OP IN ('UPDATE', 'DELETE') THEN
            CASE TG_TABLE_NAME
            WHEN 'certification', 'tag' THEN
                SELECT c.name INTO v_name FROM old_rows AS r
                JOIN calib.collection AS c ON c.collection_id = r.collection_id
                WHERE c.state = 'FROZEN' ORDER BY c.name LIMIT 1;
            WHEN 'dataset' THEN
                SELECT c.name INTO v_name FROM old_rows AS r
                JOIN calib.collection AS c ON c.collection_id = r.run_id
                WHERE c.state = 'FROZEN' ORDER BY c.name LIMIT 1;
            ELSE
                SELECT c.name INTO v_name FROM old_rows AS r
                JOIN calib.collection AS c ON c.collection_id = r.parent_id
                WHERE c.state = 'FROZEN' ORDER BY c.name LIMIT 1;
            END CASE;
        END IF;
    END IF;
    IF v_name IS NOT NULL THEN
        IF calib._raise('KC018',
            format('collection %L is FROZEN: %s refused', v_name,
                   lower(TG_OP) || ' on table calib.' || TG_TABLE_NAME),
            jsonb_build_object('kind', 'collection_frozen', 'collection', v_name,
                               'operation', lower(TG_OP) || ' on table calib.' || TG_TABLE_NAME))
            IS NULL THEN END IF;
    END IF;
    IF TG_LEVEL = 'ROW' AND TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION calib._check_change(
    p_collection_id integer, p_operation text,
    p_keys integer[] DEFAULT NULL, p_begins timestamptz[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* May the caller make change p_operation to collection p_collection_id now? The one place
   the writer list and the collection states are checked, called by every mutating
   function right after it locked the collection row (calib._lock_collections): the state
   and writers read here are then those of the locked row, so a set_collection_state
   committed concurrently is seen either wholly before or wholly after the change.
   Rules, in this order:
   1. writers: when the collection has a writer list, the caller (calib._caller) must be a
      member (pg_has_role MEMBER, so also through intermediate roles; a superuser is a
      member of every role) of one of the roles still existing; KC017 otherwise.
   2. FROZEN: every operation is refused (KC018), but the removal of a snapshot (FROZEN
      by construction, never unfrozen: calib.snapshot_collection). The FROZEN triggers
      (sql/schema/frozen.sql) refuse the raw table writes as well; this gives the precise
      error first.
   3. APPEND_ONLY: decertify, untag, remove_collection and set_chain are refused (KC018);
      certify / certify_series (p_keys, p_begins: the calibration key and begin of each
      item, NULL begin = unbounded below) only where each begin is at or after the latest
      begin stored for its key in the collection. tag, insert_datasets, close_open and
      close_open_range add or end ranges and are allowed.
   Errors: KC017 access_denied; KC018 collection_frozen, collection_append_only,
   append_only_begin. */
DECLARE
    v_coll calib.collection;
    v_caller text;
    v_bad record;
BEGIN
    SELECT * INTO v_coll FROM calib.collection WHERE collection_id = p_collection_id;
    IF v_coll.writers IS NOT NULL THEN
        v_caller := calib._caller();
        IF NOT EXISTS (SELECT FROM unnest(v_coll.writers) AS w(name)
                       JOIN pg_roles AS r ON r.rolname = w.name
                       WHERE pg_has_role(v_caller, r.oid, 'MEMBER')) THEN
            IF calib._raise('KC017',
                format('role %L may not change collection %L: only members of %s may (%s refused)',
                       v_caller, v_coll.name, array_to_string(v_coll.writers, ', '), p_operation),
                jsonb_build_object('kind', 'access_denied', 'collection', v_coll.name,
                                   'role', v_caller, 'writers', to_jsonb(v_coll.writers),
                                   'operation', p_operation)) IS NULL THEN END IF;
        END IF;
    END IF;
    IF v_coll.state = 'FROZEN'
       AND NOT (p_operation = 'remove_collection'
                AND EXISTS (SELECT FROM calib.snapshot AS s
                            WHERE s.collection_id = p_collection_id)) THEN
        IF calib._raise('KC018',
            format('collection %L is FROZEN: %s refused', v_coll.name, p_operation),
            jsonb_build_object('kind', 'collection_frozen', 'collection', v_coll.name,
                               'operation', p_operation)) IS NULL THEN END IF;
    END IF;
    IF v_coll.state = 'APPEND_ONLY' THEN
        IF p_operation IN ('decertify', 'untag', 'remove_collection', 'set_chain') THEN
            IF calib._raise('KC018',
                format('collection %L is APPEND_ONLY: %s refused', v_coll.name, p_operation),
                jsonb_build_object('kind', 'collection_append_only', 'collection', v_coll.name,
                                   'operation', p_operation)) IS NULL THEN END IF;
        END IF;
        IF p_keys IS NOT NULL THEN
            /* The APPEND_ONLY begin rule (its SQLite twin: backends/sqlite/states.py). An
               unbounded begin is -infinity on both sides of the comparison. */
            SELECT u.ord, u.b, l.latest, di.value AS data_id, t.name AS type_name INTO v_bad
            FROM unnest(p_keys, p_begins) WITH ORDINALITY AS u(k, b, ord)
            CROSS JOIN LATERAL (
                SELECT max(coalesce(lower(c.validity), '-infinity')) AS latest
                FROM calib.certification AS c
                WHERE c.collection_id = p_collection_id AND c.data_id_key = u.k) AS l
            JOIN calib.data_id AS di ON di.data_id_key = u.k
            JOIN calib.dataset_type AS t ON t.dataset_type_id = di.dataset_type_id
            WHERE coalesce(u.b, '-infinity') < l.latest
            ORDER BY u.ord LIMIT 1;
            IF FOUND THEN
                IF calib._raise('KC018',
                    format('collection %L is APPEND_ONLY: %s refused: %L data ID %s begins at %s, before the latest begin %s',
                           v_coll.name, p_operation, v_bad.type_name, v_bad.data_id,
                           coalesce(calib._ts_text(v_bad.b), '-infinity'),
                           CASE WHEN isfinite(v_bad.latest) THEN calib._ts_text(v_bad.latest)
                                ELSE '-infinity' END),
                    jsonb_build_object('kind', 'append_only_begin', 'collection', v_coll.name,
                                       'operation', p_operation, 'dataset_type', v_bad.type_name,
                                       'data_id', v_bad.data_id,
                                       'begin', calib._ts_text(v_bad.b),
                                       'latest', CASE WHEN isfinite(v_bad.latest)
                                                      THEN calib._ts_text(v_bad.latest) END))
                    IS NULL THEN END IF;
            END IF;
        END IF;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.snapshot_collection(p_source text, p_name text, p_as_of bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Create collection p_name that reads as p_source did at epoch p_as_of (NULL: the current
   epoch at the call, calib.current_epoch(): what is committed, not the caller's own
   uncommitted changes), in O(1): one collection row (the source's type then, state
   FROZEN) and one calib.snapshot row (source id, epoch); no certification, tag, dataset or
   chain row is copied. Every read of it (find, find_many, certifications, get_chain,
   collection_digest, as a chain member) is an as-of read of the source (calib.probe's
   snapshot branch, calib._probe_as_of). It refuses every write (FROZEN by construction:
   calib._check_change and the FROZEN triggers; set_collection_state refuses to unfreeze
   it); remove_collection (admin) removes it. The source is taken as named at that epoch,
   so a collection removed (or renamed away) since can still be snapshotted as it was; a
   snapshot keeps reading its source's versions after the source is removed. A snapshot of
   a snapshot reads what the first one reads (same source, same epoch).
   Arguments: p_source the collection to read (any type), p_name the new collection's name
   (calib._check_name rules), p_as_of the epoch (0 .. current_epoch(); NULL: current).
   Returns: the epoch the snapshot reads its source at.
   Locks: the new name in the unique index collection_name_key (a second transaction
   creating the same name waits for the first to end, bounded: calib._bound_waits; 55P03,
   kind lock_timeout, wait collection_name). None on the source: the state at a committed
   epoch never changes. Its history: a change with operation snapshot_collection.
   Errors: KC002 collection_missing_as_of (no collection of that name at the epoch), KC010
   collection_exists, KC014 bad name, KC015 as_of_range / NULL source or name. */
DECLARE
    v_epoch bigint := coalesce(calib._as_of(p_as_of), calib.current_epoch());
    v_src_id integer;
    v_type text;
    v_id integer;
    v_old text;
    v_inner calib.snapshot;
BEGIN
    PERFORM calib._operation('snapshot_collection');  -- named in the history
    IF p_name IS NULL THEN
        IF calib._raise('KC015', 'collection name must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'collection name')) IS NULL THEN END IF;
    END IF;
    p_name := normalize(p_name, NFC);  -- names are stored in NFC
    IF calib._check_name(p_name, 'collection name') IS NULL THEN END IF;
    v_src_id := calib._collection_as_of(p_source, v_epoch);
    SELECT v.type INTO v_type FROM calib.collection_version AS v
    WHERE v.collection_id = v_src_id AND calib._visible(v.created_change, v.removed_change, v_epoch);
    /* A snapshot of a snapshot: the first one's source and epoch (a source is never a
       snapshot, so reads follow one indirection, never a chain of them). */
    SELECT * INTO v_inner FROM calib.snapshot AS s WHERE s.collection_id = v_src_id;
    IF FOUND THEN
        v_src_id := v_inner.source_id;
        v_epoch := v_inner.epoch;
    END IF;
    v_old := calib._bound_waits();
    BEGIN
        INSERT INTO calib.collection (name, type, state) VALUES (p_name, v_type, 'FROZEN')
        ON CONFLICT ON CONSTRAINT collection_name_key DO NOTHING
        RETURNING collection_id INTO v_id;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('collection_name',
            format('another transaction creating collection %L', p_name),
            jsonb_build_object('collection', p_name, 'source', p_source)) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF v_id IS NULL THEN
        IF calib._raise('KC010', format('collection %L already exists', p_name),
                        jsonb_build_object('kind', 'collection_exists',
                                           'collection', p_name)) IS NULL THEN END IF;
    END IF;
    INSERT INTO calib.snapshot (collection_id, source_id, epoch) VALUES (v_id, v_src_id, v_epoch);
    /* Its own search path: the one member, itself, with the source and epoch. Written here
       rather than by calib._refresh_search_paths, which would take the chain lock: no chain
       can list a collection before it commits, so its path is this one row (check_integrity
       compares it with the walk). */
    DELETE FROM calib.search_path WHERE collection_id = v_id;
    INSERT INTO calib.search_path (collection_id, rank, member_id, member_type, snapshot_of, snapshot_epoch)
    VALUES (v_id, 1, v_id, v_type, v_src_id, v_epoch);
    RETURN v_epoch;
END
$$;

CREATE OR REPLACE FUNCTION calib.snapshot_collection(p_source text, p_name text, p_as_of text)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* snapshot_collection with every argument as text (drivers binding text): p_as_of an
   epoch in decimal digits, or NULL / '' for the current epoch (calib._epoch_text). Then
   exactly the typed form. No default: a two-argument call reaches the typed form.
   Arguments, Returns, Locks: as the typed form.
   Errors: as the typed form; KC015 epoch_text for an epoch that is not a decimal integer. */
BEGIN
    RETURN calib.snapshot_collection(p_source, p_name, calib._epoch_text(p_as_of, 'as_of'));
END
$$;

-- revert:
CREATE OR REPLACE FUNCTION calib._revert_conflict(
    p_kind text, p_epoch bigint, p_later bigint, p_what text, p_collection_id integer,
    p_key integer DEFAULT NULL, p_dataset uuid DEFAULT NULL, p_validity tstzrange DEFAULT NULL,
    p_extra jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* Raise the RevertConflictError (KC019) of calib.revert: the later change p_later (a
   change_id; its epoch is named, NULL for the caller's own uncommitted change) stands in
   the way of reverting epoch p_epoch at a row of p_what ('certification', 'tag',
   'dataset', 'chain position', 'collection') in collection p_collection_id (the name it
   bears or bore). The one place the conflict's details are built, so that every kind
   names the same facts: epoch, later_epoch, what, collection, row (the row as people read
   it), and for dataset rows dataset_type, data_id, dataset (and validity).
   Arguments: p_kind one of revert_row_changed (a row the change created was changed or
   removed since), revert_in_use (a dataset or collection the change created is used by a
   later row), revert_occupied (a later row holds the place of a row to restore),
   revert_target_removed (the collection, dataset or child a restored row needs was removed
   since; p_extra.missing says which); p_extra: more facts (position, child, missing).
   Errors: KC019 always. Locks: none. */
DECLARE
    v_name text;
    v_later bigint;
    v_type text;
    v_data_id jsonb;
    v_row text;
BEGIN
    SELECT coalesce((SELECT c.name FROM calib.collection AS c WHERE c.collection_id = p_collection_id),
                    (SELECT v.name FROM calib.collection_version AS v WHERE v.collection_id = p_collection_id
                     ORDER BY v.created_change DESC LIMIT 1)) INTO v_name;
    SELECT ch.epoch INTO v_later FROM calib.change AS ch WHERE ch.change_id = p_later;
    IF p_key IS NOT NULL THEN
        SELECT t.name, di.value INTO v_type, v_data_id
        FROM calib.data_id AS di JOIN calib.dataset_type AS t ON t.dataset_type_id = di.dataset_type_id
        WHERE di.data_id_key = p_key;
        v_row := format('%s data ID %s, dataset %s', v_type, v_data_id::text, p_dataset)
                 || CASE WHEN p_validity IS NULL THEN ''
                         ELSE ' over ' || calib._span_text(calib._span_json(p_validity)) END;
    ELSIF p_extra ? 'position' THEN
        v_row := format('%s (child %L)', p_extra->>'position', p_extra->>'child');
    ELSE
        v_row := quote_literal(v_name);
    END IF;
    IF calib._raise('KC019',
        format('cannot revert epoch %s: %s %s in %L %s', p_epoch, p_what, v_row, v_name,
               CASE p_kind
               WHEN 'revert_row_changed' THEN 'was changed or removed since, by epoch '
               WHEN 'revert_in_use' THEN 'is in use since epoch '
               WHEN 'revert_occupied' THEN 'cannot be restored: its place was taken by epoch '
               ELSE format('cannot be restored: its %s was removed by epoch ', p_extra->>'missing')
               END || coalesce(v_later::text, 'NULL (this transaction)')),
        jsonb_build_object('kind', CASE p_kind WHEN 'revert_row_changed' THEN 'revert_row_changed'
                                               WHEN 'revert_in_use' THEN 'revert_in_use'
                                               WHEN 'revert_occupied' THEN 'revert_occupied'
                                               ELSE 'revert_target_removed' END,
                           'epoch', p_epoch, 'later_epoch', v_later, 'what', p_what,
                           'collection', v_name, 'row', v_row, 'missing', p_extra->'missing')
        || CASE WHEN p_key IS NULL THEN '{}'::jsonb ELSE jsonb_build_object(
               'dataset_type', v_type, 'data_id', v_data_id, 'dataset', p_dataset,
               'validity', calib._span_json(p_validity)) END
        || coalesce(p_extra, '{}')) IS NULL THEN END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib._revert_actions(p_change bigint)
RETURNS TABLE (action text, collection text, dataset_type text, data_id jsonb, dataset uuid,
               validity tstzrange, detail jsonb)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* What reverting change p_change (a change_id) does, one row per row it removes or
   restores, in the order calib._revert_apply does it: the rows the change created are
   removed (certifications, tags, chain positions, datasets, then registered collections),
   then what it removed is restored (collections, datasets, chain positions, tags,
   certifications), and last the collections whose state or writers it changed get them
   back. Read before anything is written, so calib.revert returns the same rows with and
   without p_dry_run. Rows the change created that a later change closed are not listed:
   they make the revert fail (KC019).
   Columns: action ('remove certification', 'restore certification', 'remove tag',
   'restore tag', 'remove dataset', 'restore dataset', 'remove chain position',
   'restore chain position', 'remove collection', 'restore collection', 'restore collection
   settings'), the collection's name, for dataset rows the dataset type, data ID and
   dataset (and the validity of a certification), detail: {position, child} of a chain
   position, {type, state, writers} of a collection (the values it gets back).
   Errors: none. Locks: none. */
WITH items AS (
    SELECT 1 AS step, 'remove certification' AS action, c.collection_id, c.data_id_key,
           c.dataset_id, c.validity, NULL::jsonb AS detail
    FROM calib.certification AS c WHERE c.created_change = p_change
    UNION ALL
    SELECT 2, 'remove tag', v.collection_id, v.data_id_key, v.dataset_id, NULL, NULL
    FROM calib.tag_version AS v WHERE v.created_change = p_change AND v.removed_change IS NULL
    UNION ALL
    SELECT 3, 'remove chain position', v.parent_id, NULL, NULL, NULL,
           jsonb_build_object('position', v.position, 'child', (
               SELECT n.name FROM calib.collection_version AS n WHERE n.collection_id = v.child_id
               ORDER BY n.created_change DESC LIMIT 1))
    FROM calib.chain_version AS v WHERE v.created_change = p_change AND v.removed_change IS NULL
    UNION ALL
    SELECT 4, 'remove dataset', v.run_id, v.data_id_key, v.dataset_id, NULL, NULL
    FROM calib.dataset_version AS v WHERE v.created_change = p_change AND v.removed_change IS NULL
    UNION ALL
    SELECT CASE WHEN o.collection_id IS NULL THEN 5 ELSE 11 END,
           CASE WHEN o.collection_id IS NULL THEN 'remove collection'
                ELSE 'restore collection settings' END,
           v.collection_id, NULL, NULL, NULL,
           CASE WHEN o.collection_id IS NOT NULL THEN jsonb_build_object(
               'type', o.type, 'state', o.state, 'writers', o.writers) END
    FROM calib.collection_version AS v
    LEFT JOIN calib.collection_version AS o
      ON o.collection_id = v.collection_id AND o.removed_change = p_change
    WHERE v.created_change = p_change AND v.removed_change IS NULL
    UNION ALL
    SELECT 6, 'restore collection', o.collection_id, NULL, NULL, NULL,
           jsonb_build_object('type', o.type, 'state', o.state, 'writers', o.writers)
    FROM calib.collection_version AS o
    WHERE o.removed_change = p_change
      AND NOT EXISTS (SELECT FROM calib.collection_version AS v
                      WHERE v.collection_id = o.collection_id AND v.created_change = p_change)
    UNION ALL
    SELECT 7, 'restore dataset', v.run_id, v.data_id_key, v.dataset_id, NULL, NULL
    FROM calib.dataset_version AS v WHERE v.removed_change = p_change
    UNION ALL
    SELECT 8, 'restore chain position', v.parent_id, NULL, NULL, NULL,
           jsonb_build_object('position', v.position, 'child', (
               SELECT n.name FROM calib.collection_version AS n WHERE n.collection_id = v.child_id
               ORDER BY n.created_change DESC LIMIT 1))
    FROM calib.chain_version AS v WHERE v.removed_change = p_change
    UNION ALL
    SELECT 9, 'restore tag', v.collection_id, v.data_id_key, v.dataset_id, NULL, NULL
    FROM calib.tag_version AS v WHERE v.removed_change = p_change
    UNION ALL
    SELECT 10, 'restore certification', v.collection_id, v.data_id_key, v.dataset_id,
           v.validity, NULL
    FROM calib.certification_version AS v WHERE v.removed_change = p_change
)
SELECT i.action,
       (SELECT n.name FROM calib.collection_version AS n WHERE n.collection_id = i.collection_id
        ORDER BY n.created_change DESC LIMIT 1),
       t.name, di.value, i.dataset_id, i.validity, i.detail
FROM items AS i
LEFT JOIN calib.data_id AS di ON di.data_id_key = i.data_id_key
LEFT JOIN calib.dataset_type AS t ON t.dataset_type_id = di.dataset_type_id
ORDER BY i.step, 2, t.name, i.data_id_key, lower(i.validity) NULLS FIRST, (i.detail->>'position')::integer
$$;

CREATE OR REPLACE FUNCTION calib._revert_apply(p_change bigint, p_epoch bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* Write the inverse of change p_change (epoch p_epoch) as part of the caller's change
   (calib.revert). Every check is made right before the write it guards and every failure
   raises, so the whole revert is one atomic statement: it changes everything or nothing.
   Order (the order of calib._revert_actions):
   1. locks: calib._lock_chains() when the change touched a chain or registered / removed a
      collection, then the rows of every touched collection that exists now, ascending
      (calib._lock_collections); then the writer list and state of each (calib._check_change
      with operation 'revert'; an APPEND_ONLY collection refuses a revert too, which removes
      or rewrites what is there), except collections whose only change was their state or
      writers: that is administration, not content, as for set_collection_state.
   2. what the change created is removed: its certifications, tags, chain positions,
      datasets (unless used since: revert_in_use), registered collections (unless holding
      content or in a chain since: revert_in_use). A created row that a later change closed
      is revert_row_changed.
   3. what it removed is restored as it was (the same ids): collections (unless the name is
      taken: revert_occupied), datasets, chain positions (then no cycle: revert_chain_cycle),
      tags, certifications (an overlap with a later one: KC001 revert_overlap). A restored
      row whose collection, dataset or child was removed since: revert_target_removed; whose
      place a later row holds: revert_occupied.
   4. collections whose state or writers it changed get their old values back.
   Errors: KC019 (calib._revert_conflict), KC001 revert_overlap, KC017/KC018 from
   calib._check_change, KC018 collection_append_only, 55P03, KC002 (the locks).
   Locks: as in 1. */
DECLARE
    v_ids integer[];
    v_content integer[];
    v_id integer;
    v_bad record;
    v_conflicts jsonb;
    v_name text;
BEGIN
    /* 1. Which collections, then the locks. */
    v_content := ARRAY(
        SELECT c.collection_id FROM calib.certification AS c WHERE c.created_change = p_change
        UNION SELECT v.collection_id FROM calib.certification_version AS v
              WHERE v.created_change = p_change OR v.removed_change = p_change
        UNION SELECT v.collection_id FROM calib.tag_version AS v
              WHERE v.created_change = p_change OR v.removed_change = p_change
        UNION SELECT v.run_id FROM calib.dataset_version AS v
              WHERE v.created_change = p_change OR v.removed_change = p_change
        UNION SELECT v.parent_id FROM calib.chain_version AS v
              WHERE v.created_change = p_change OR v.removed_change = p_change
        /* registered or removed by the change (not only its settings changed) */
        UNION SELECT v.collection_id FROM calib.collection_version AS v
              WHERE (v.created_change = p_change OR v.removed_change = p_change)
                AND NOT (EXISTS (SELECT FROM calib.collection_version AS a
                                 WHERE a.collection_id = v.collection_id AND a.created_change = p_change)
                         AND EXISTS (SELECT FROM calib.collection_version AS b
                                     WHERE b.collection_id = v.collection_id AND b.removed_change = p_change)));
    v_ids := ARRAY(
        SELECT c.collection_id FROM calib.collection AS c
        WHERE c.collection_id = ANY (v_content)
           OR c.collection_id IN (SELECT v.collection_id FROM calib.collection_version AS v
                                  WHERE v.created_change = p_change OR v.removed_change = p_change)
        ORDER BY 1);
    IF EXISTS (SELECT FROM calib.chain_version AS v WHERE v.created_change = p_change OR v.removed_change = p_change)
       OR EXISTS (SELECT FROM calib.collection_version AS v
                  WHERE (v.created_change = p_change OR v.removed_change = p_change)
                    AND v.collection_id = ANY (v_content)) THEN
        IF calib._lock_chains() IS NULL THEN END IF;
    END IF;
    IF cardinality(v_ids) > 0 THEN
        IF calib._lock_collections(v_ids) IS NULL THEN END IF;
    END IF;
    /* A snapshot is FROZEN by construction and its content is its source's: a revert can
       only remove it (the change created it) or bring it back, both of which an admin
       may do as remove_collection does; so its state is not checked. */
    FOR v_id IN SELECT c.collection_id FROM calib.collection AS c
                WHERE c.collection_id = ANY (v_content)
                  AND NOT EXISTS (SELECT FROM calib.snapshot AS s
                                  WHERE s.collection_id = c.collection_id)
                ORDER BY 1 LOOP
        IF calib._check_change(v_id, 'revert') IS NULL THEN END IF;
        SELECT c.name INTO v_bad FROM calib.collection AS c
        WHERE c.collection_id = v_id AND c.state = 'APPEND_ONLY';
        IF FOUND THEN
            IF calib._raise('KC018', format('collection %L is APPEND_ONLY: revert refused', v_bad.name),
                jsonb_build_object('kind', 'collection_append_only', 'collection', v_bad.name,
                                   'operation', 'revert')) IS NULL THEN END IF;
        END IF;
    END LOOP;

    /* 2. Remove what the change created, checking it was not changed since. */
    SELECT v.* INTO v_bad FROM calib.certification_version AS v
    WHERE v.created_change = p_change ORDER BY v.removed_change LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_row_changed', p_epoch, v_bad.removed_change, 'certification',
            v_bad.collection_id, v_bad.data_id_key, v_bad.dataset_id, v_bad.validity) IS NULL THEN END IF;
    END IF;
    DELETE FROM calib.certification AS c WHERE c.created_change = p_change;

    SELECT v.* INTO v_bad FROM calib.tag_version AS v
    WHERE v.created_change = p_change AND v.removed_change IS NOT NULL ORDER BY v.removed_change LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_row_changed', p_epoch, v_bad.removed_change, 'tag',
            v_bad.collection_id, v_bad.data_id_key, v_bad.dataset_id) IS NULL THEN END IF;
    END IF;
    DELETE FROM calib.tag AS t USING calib.tag_version AS v
    WHERE v.created_change = p_change AND v.removed_change IS NULL
      AND t.collection_id = v.collection_id AND t.data_id_key = v.data_id_key;

    SELECT v.*, (SELECT n.name FROM calib.collection_version AS n WHERE n.collection_id = v.child_id
                 ORDER BY n.created_change DESC LIMIT 1) AS child INTO v_bad
    FROM calib.chain_version AS v
    WHERE v.created_change = p_change AND v.removed_change IS NOT NULL ORDER BY v.removed_change LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_row_changed', p_epoch, v_bad.removed_change, 'chain position',
            v_bad.parent_id, p_extra => jsonb_build_object('position', v_bad.position, 'child', v_bad.child))
            IS NULL THEN END IF;
    END IF;
    DELETE FROM calib.collection_chain AS c USING calib.chain_version AS v
    WHERE v.created_change = p_change AND v.removed_change IS NULL
      AND c.parent_id = v.parent_id AND c.position = v.position;

    SELECT v.* INTO v_bad FROM calib.dataset_version AS v
    WHERE v.created_change = p_change AND v.removed_change IS NOT NULL ORDER BY v.removed_change LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_row_changed', p_epoch, v_bad.removed_change, 'dataset',
            v_bad.run_id, v_bad.data_id_key, v_bad.dataset_id) IS NULL THEN END IF;
    END IF;
    /* A dataset is removed only while nothing refers to it (the certifications and tags
       the change made are gone by now; later ones hold it). */
    SELECT v.run_id, v.data_id_key, v.dataset_id, u.change_id INTO v_bad
    FROM calib.dataset_version AS v
    CROSS JOIN LATERAL (
        SELECT c.created_change AS change_id FROM calib.certification AS c WHERE c.dataset_id = v.dataset_id
        UNION ALL
        SELECT t.created_change FROM calib.tag_version AS t
        WHERE t.dataset_id = v.dataset_id AND t.removed_change IS NULL
        LIMIT 1) AS u
    WHERE v.created_change = p_change AND v.removed_change IS NULL
    ORDER BY v.dataset_id LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_in_use', p_epoch, v_bad.change_id, 'dataset',
            v_bad.run_id, v_bad.data_id_key, v_bad.dataset_id) IS NULL THEN END IF;
    END IF;
    DELETE FROM calib.dataset AS d USING calib.dataset_version AS v
    WHERE v.created_change = p_change AND v.removed_change IS NULL AND d.dataset_id = v.dataset_id;

    /* Collections: a version the change opened and a later change closed (a removal, or
       a state or writer change since) stands in the way of both a removal and a settings
       restore. */
    SELECT v.* INTO v_bad FROM calib.collection_version AS v
    WHERE v.created_change = p_change AND v.removed_change IS NOT NULL ORDER BY v.removed_change LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_row_changed', p_epoch, v_bad.removed_change, 'collection',
            v_bad.collection_id) IS NULL THEN END IF;
    END IF;
    /* Registered by the change: removed unless it holds content, or is in a chain, since. */
    SELECT v.collection_id, u.change_id INTO v_bad
    FROM calib.collection_version AS v
    CROSS JOIN LATERAL (
        SELECT c.created_change AS change_id FROM calib.certification AS c WHERE c.collection_id = v.collection_id
        UNION ALL
        SELECT t.created_change FROM calib.tag_version AS t
        WHERE t.collection_id = v.collection_id AND t.removed_change IS NULL
        UNION ALL
        SELECT d.created_change FROM calib.dataset_version AS d
        WHERE d.run_id = v.collection_id AND d.removed_change IS NULL
        UNION ALL
        SELECT h.created_change FROM calib.chain_version AS h
        WHERE (h.parent_id = v.collection_id OR h.child_id = v.collection_id) AND h.removed_change IS NULL
        LIMIT 1) AS u
    WHERE v.created_change = p_change AND v.removed_change IS NULL
      AND NOT EXISTS (SELECT FROM calib.collection_version AS o
                      WHERE o.collection_id = v.collection_id AND o.removed_change = p_change)
    ORDER BY v.collection_id LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_in_use', p_epoch, v_bad.change_id, 'collection',
            v_bad.collection_id) IS NULL THEN END IF;
    END IF;
    DELETE FROM calib.collection AS c USING calib.collection_version AS v
    WHERE v.created_change = p_change AND v.removed_change IS NULL AND c.collection_id = v.collection_id
      AND NOT EXISTS (SELECT FROM calib.collection_version AS o
                      WHERE o.collection_id = v.collection_id AND o.removed_change = p_change);

    /* 3. Restore what the change removed, as it was. */
    SELECT o.collection_id, c.collection_id AS holder INTO v_bad
    FROM calib.collection_version AS o
    JOIN calib.collection AS c ON c.name = o.name
    WHERE o.removed_change = p_change
      AND NOT EXISTS (SELECT FROM calib.collection_version AS v
                      WHERE v.collection_id = o.collection_id AND v.created_change = p_change)
    ORDER BY o.name LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_occupied', p_epoch,
            (SELECT v.created_change FROM calib.collection_version AS v
             WHERE v.collection_id = v_bad.holder ORDER BY v.created_change LIMIT 1),
            'collection', v_bad.collection_id) IS NULL THEN END IF;
    END IF;
    INSERT INTO calib.collection (collection_id, name, type, state, writers) OVERRIDING SYSTEM VALUE
    SELECT o.collection_id, o.name, o.type, o.state, o.writers
    FROM calib.collection_version AS o
    WHERE o.removed_change = p_change
      AND NOT EXISTS (SELECT FROM calib.collection_version AS v
                      WHERE v.collection_id = o.collection_id AND v.created_change = p_change)
    ORDER BY o.collection_id;
    /* A restored snapshot (its calib.snapshot row outlives the collection) reads its source
       again: its own search path is the one row calib.snapshot_collection writes, with the
       source and epoch (the path the insert above made has neither). */
    DELETE FROM calib.search_path AS sp USING calib.snapshot AS s, calib.collection_version AS o
    WHERE sp.collection_id = s.collection_id AND o.collection_id = s.collection_id
      AND o.removed_change = p_change
      AND NOT EXISTS (SELECT FROM calib.collection_version AS v
                      WHERE v.collection_id = o.collection_id AND v.created_change = p_change);
    INSERT INTO calib.search_path (collection_id, rank, member_id, member_type, snapshot_of, snapshot_epoch)
    SELECT s.collection_id, 1, s.collection_id, o.type, s.source_id, s.epoch
    FROM calib.snapshot AS s JOIN calib.collection_version AS o ON o.collection_id = s.collection_id
    WHERE o.removed_change = p_change
      AND NOT EXISTS (SELECT FROM calib.collection_version AS v
                      WHERE v.collection_id = o.collection_id AND v.created_change = p_change);

    /* Restored rows need their collection (and dataset, child) to exist still, or to be
       restored by this revert (collections are back by now; datasets come next). */
    SELECT x.what, x.collection_id, x.data_id_key, x.dataset_id, x.validity, x.missing, x.extra,
           (SELECT max(v.removed_change) FROM calib.collection_version AS v
            WHERE v.collection_id = x.gone_collection) AS gone_c,
           (SELECT max(v.removed_change) FROM calib.dataset_version AS v
            WHERE v.dataset_id = x.gone_dataset) AS gone_d INTO v_bad
    FROM (
        SELECT 'dataset' AS what, v.run_id AS collection_id, v.data_id_key, v.dataset_id,
               NULL::tstzrange AS validity, 'collection' AS missing, NULL::jsonb AS extra,
               v.run_id AS gone_collection, NULL::uuid AS gone_dataset
        FROM calib.dataset_version AS v
        WHERE v.removed_change = p_change
          AND NOT EXISTS (SELECT FROM calib.collection AS c WHERE c.collection_id = v.run_id)
        UNION ALL
        SELECT 'chain position', v.parent_id, NULL, NULL, NULL,
               CASE WHEN p.collection_id IS NULL THEN 'collection' ELSE 'child collection' END,
               jsonb_build_object('position', v.position, 'child', (
                   SELECT n.name FROM calib.collection_version AS n WHERE n.collection_id = v.child_id
                   ORDER BY n.created_change DESC LIMIT 1)),
               CASE WHEN p.collection_id IS NULL THEN v.parent_id ELSE v.child_id END, NULL
        FROM calib.chain_version AS v
        LEFT JOIN calib.collection AS p ON p.collection_id = v.parent_id
        LEFT JOIN calib.collection AS k ON k.collection_id = v.child_id
        WHERE v.removed_change = p_change AND (p.collection_id IS NULL OR k.collection_id IS NULL)
        UNION ALL
        SELECT 'tag', v.collection_id, v.data_id_key, v.dataset_id, NULL,
               CASE WHEN c.collection_id IS NULL THEN 'collection' ELSE 'dataset' END, NULL,
               v.collection_id, v.dataset_id
        FROM calib.tag_version AS v
        LEFT JOIN calib.collection AS c ON c.collection_id = v.collection_id
        LEFT JOIN calib.dataset AS d ON d.dataset_id = v.dataset_id
        WHERE v.removed_change = p_change
          AND (c.collection_id IS NULL
               OR (d.dataset_id IS NULL  -- and not one this revert restores
                   AND NOT EXISTS (SELECT FROM calib.dataset_version AS r
                                   WHERE r.dataset_id = v.dataset_id AND r.removed_change = p_change)))
        UNION ALL
        SELECT 'certification', v.collection_id, v.data_id_key, v.dataset_id, v.validity,
               CASE WHEN c.collection_id IS NULL THEN 'collection' ELSE 'dataset' END, NULL,
               v.collection_id, v.dataset_id
        FROM calib.certification_version AS v
        LEFT JOIN calib.collection AS c ON c.collection_id = v.collection_id
        LEFT JOIN calib.dataset AS d ON d.dataset_id = v.dataset_id
        WHERE v.removed_change = p_change
          AND (c.collection_id IS NULL
               OR (d.dataset_id IS NULL  -- and not one this revert restores
                   AND NOT EXISTS (SELECT FROM calib.dataset_version AS r
                                   WHERE r.dataset_id = v.dataset_id AND r.removed_change = p_change)))
    ) AS x
    LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_target_removed', p_epoch,
            CASE WHEN v_bad.missing = 'dataset' THEN v_bad.gone_d ELSE v_bad.gone_c END,
            v_bad.what, v_bad.collection_id, v_bad.data_id_key, v_bad.dataset_id, v_bad.validity,
            coalesce(v_bad.extra, '{}') || jsonb_build_object('missing', v_bad.missing)) IS NULL THEN END IF;
    END IF;

    SELECT v.run_id, v.data_id_key, v.dataset_id, h.created_change AS holder INTO v_bad
    FROM calib.dataset_version AS v
    JOIN calib.dataset_version AS h
      ON h.removed_change IS NULL AND (h.dataset_id = v.dataset_id
                                       OR (h.run_id = v.run_id AND h.data_id_key = v.data_id_key))
    WHERE v.removed_change = p_change ORDER BY v.dataset_id LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_occupied', p_epoch, v_bad.holder, 'dataset',
            v_bad.run_id, v_bad.data_id_key, v_bad.dataset_id) IS NULL THEN END IF;
    END IF;
    INSERT INTO calib.dataset (dataset_id, dataset_type_id, data_id_key, run_id)
    SELECT v.dataset_id, v.dataset_type_id, v.data_id_key, v.run_id
    FROM calib.dataset_version AS v WHERE v.removed_change = p_change;

    SELECT v.parent_id, v.position, h.created_change AS holder,
           (SELECT n.name FROM calib.collection_version AS n WHERE n.collection_id = v.child_id
            ORDER BY n.created_change DESC LIMIT 1) AS child INTO v_bad
    FROM calib.chain_version AS v
    JOIN calib.chain_version AS h
      ON h.removed_change IS NULL AND h.parent_id = v.parent_id
         AND (h.position = v.position OR h.child_id = v.child_id)
    WHERE v.removed_change = p_change ORDER BY v.parent_id, v.position LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_occupied', p_epoch, v_bad.holder, 'chain position',
            v_bad.parent_id, p_extra => jsonb_build_object('position', v_bad.position, 'child', v_bad.child))
            IS NULL THEN END IF;
    END IF;
    /* A restored position must not close a loop that later chain changes opened:
       checked on the chains as they will be (the current ones and the restored ones). */
    WITH RECURSIVE edges (parent_id, child_id) AS (
        SELECT ch.parent_id, ch.child_id FROM calib.collection_chain AS ch
        UNION
        SELECT v.parent_id, v.child_id FROM calib.chain_version AS v WHERE v.removed_change = p_change
    ), reach (start_id, collection_id) AS (
        SELECT v.parent_id, v.child_id
        FROM calib.chain_version AS v WHERE v.removed_change = p_change
        UNION
        SELECT r.start_id, e.child_id
        FROM reach AS r JOIN edges AS e ON e.parent_id = r.collection_id
    )
    SELECT c.name AS parent INTO v_bad
    FROM reach AS r JOIN calib.collection AS c ON c.collection_id = r.start_id
    WHERE r.collection_id = r.start_id ORDER BY c.name LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC019',
            format('cannot revert epoch %s: restoring the chain %L would create a cycle', p_epoch, v_bad.parent),
            jsonb_build_object('kind', 'revert_chain_cycle', 'epoch', p_epoch,
                               'collection', v_bad.parent)) IS NULL THEN END IF;
    END IF;
    INSERT INTO calib.collection_chain (parent_id, position, child_id)
    SELECT v.parent_id, v.position, v.child_id
    FROM calib.chain_version AS v WHERE v.removed_change = p_change;

    SELECT v.collection_id, v.data_id_key, v.dataset_id, h.created_change AS holder INTO v_bad
    FROM calib.tag_version AS v
    JOIN calib.tag_version AS h
      ON h.removed_change IS NULL AND h.collection_id = v.collection_id
         AND (h.data_id_key = v.data_id_key OR h.dataset_id = v.dataset_id)
    WHERE v.removed_change = p_change ORDER BY v.collection_id, v.data_id_key LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_occupied', p_epoch, v_bad.holder, 'tag',
            v_bad.collection_id, v_bad.data_id_key, v_bad.dataset_id) IS NULL THEN END IF;
    END IF;
    INSERT INTO calib.tag (collection_id, dataset_type_id, data_id_key, dataset_id)
    SELECT v.collection_id, v.dataset_type_id, v.data_id_key, v.dataset_id
    FROM calib.tag_version AS v WHERE v.removed_change = p_change;

    BEGIN
        INSERT INTO calib.certification (certification_id, collection_id, dataset_type_id,
                                         data_id_key, dataset_id, validity) OVERRIDING SYSTEM VALUE
        SELECT v.certification_id, v.collection_id, v.dataset_type_id, v.data_id_key,
               v.dataset_id, v.validity
        FROM calib.certification_version AS v WHERE v.removed_change = p_change;
    EXCEPTION WHEN exclusion_violation THEN
        /* The restored rows were rolled back to this block's start: list what they would
           overlap among the current certifications, with the epoch that made each. */
        SELECT jsonb_agg(jsonb_build_object(
                   'dataset_type', t.name, 'data_id', di.value, 'dataset', x.dataset_id,
                   'timespan', calib._span_json(x.validity),
                   'conflicting_dataset', x.other, 'conflicting_timespan', calib._span_json(x.other_span),
                   'conflicting_epoch', x.other_epoch)
                   ORDER BY t.name, x.data_id_key, lower(x.validity) NULLS FIRST),
               min(x.collection) INTO v_conflicts, v_name
        FROM (SELECT v.collection_id, v.data_id_key, v.dataset_id, v.validity,
                     c.dataset_id AS other, c.validity AS other_span, ch.epoch AS other_epoch,
                     k.name AS collection
              FROM calib.certification_version AS v
              JOIN calib.certification AS c
                ON c.collection_id = v.collection_id AND c.data_id_key = v.data_id_key
                   AND c.validity && v.validity
              JOIN calib.collection AS k ON k.collection_id = v.collection_id
              LEFT JOIN calib.change AS ch ON ch.change_id = c.created_change
              WHERE v.removed_change = p_change
              LIMIT 100) AS x
        JOIN calib.data_id AS di ON di.data_id_key = x.data_id_key
        JOIN calib.dataset_type AS t ON t.dataset_type_id = di.dataset_type_id;
        IF calib._raise('KC001',
            format('cannot revert epoch %s: restoring %s data ID %s, dataset %s over %s in %L overlaps dataset %s over %s, certified by epoch %s',
                   p_epoch, v_conflicts->0->>'dataset_type', v_conflicts->0->'data_id',
                   v_conflicts->0->>'dataset', calib._span_text(v_conflicts->0->'timespan'),
                   v_name, v_conflicts->0->>'conflicting_dataset',
                   calib._span_text(v_conflicts->0->'conflicting_timespan'),
                   coalesce(v_conflicts->0->>'conflicting_epoch', 'NULL (this transaction)')),
            jsonb_build_object('kind', 'revert_overlap', 'epoch', p_epoch,
                               'collection', v_name, 'conflicts', v_conflicts)) IS NULL THEN END IF;
    END;

    /* 4. The old state and writers of collections the change reconfigured. */
    UPDATE calib.collection AS c SET state = o.state, writers = o.writers
    FROM calib.collection_version AS o
    JOIN calib.collection_version AS v
      ON v.collection_id = o.collection_id AND v.created_change = p_change AND v.removed_change IS NULL
    WHERE o.removed_change = p_change AND c.collection_id = o.collection_id;
END
$$;

CREATE OR REPLACE FUNCTION calib.revert(p_epoch bigint, p_dry_run boolean DEFAULT false)
RETURNS TABLE (action text, collection text, dataset_type text, data_id jsonb, dataset uuid,
               validity tstzrange, detail jsonb)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Undo the change committed as epoch p_epoch by writing its inverse as a new change
   (operation 'revert'; history is kept, and a revert can itself be reverted): the
   certifications, tags, chain positions, datasets and collections it created are removed,
   those it removed or changed are restored as they were (same ids, validity, state and
   writers), collections whose state or writers it changed get them back. A later change
   that makes this impossible fails the whole call and nothing is changed: a row the change
   created has since been changed or removed, a dataset or collection it created is used
   since, a row to restore has lost its place, its collection or its dataset (KC019
   RevertConflictError, naming the epoch and the later epoch in the way), or a restored
   certification would overlap a later one (KC001, kind revert_overlap). What is not
   versioned is not reverted: dataset types, interned data IDs, a collection's doc.
   The change's reason is 'revert of epoch N' unless calib.reason is set. Role:
   calib_admin (README "Revert": a change can span collections, chains and collection
   registrations, which only admins make).
   Arguments: p_epoch an epoch of calib.change; p_dry_run true: everything is done and
   checked, then rolled back (a conflict raises just the same), nothing is written.
   Returns: what it does (or would do), calib._revert_actions: one row per row removed or
   restored (action, collection, dataset_type, data_id, dataset, validity, detail), in the
   order it is done.
   Errors: KC015 NULL epoch or no change with that epoch (revert_epoch_missing) or one
   below the history horizon (as_of_pruned), KC019,
   KC001, KC017/KC018 a touched collection's writer list or state (FROZEN, APPEND_ONLY);
   55P03 a lock wait ran out.
   Locks: calib._lock_chains() when chains or collection registrations are touched, then
   every touched collection's row in ascending id (calib._lock_collections), before any
   check (calib._revert_apply). */
DECLARE
    v_change bigint;
    v_reason text := coalesce(current_setting('calib.reason', true), '');
    v_done boolean := false;
BEGIN
    PERFORM calib._operation('revert');  -- named in the history
    IF p_epoch IS NULL THEN
        IF calib._raise('KC015', 'epoch must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'epoch')) IS NULL THEN END IF;
    END IF;
    /* A change below the history horizon (calib.prune_history) lost the closed versions a
       revert would restore: refused (as_of_pruned) rather than half done. */
    IF p_epoch >= 0 AND p_epoch <= calib.current_epoch() AND calib._as_of(p_epoch) IS NULL THEN
    END IF;
    SELECT c.change_id INTO v_change FROM calib.change AS c WHERE c.epoch = p_epoch;
    IF NOT FOUND THEN
        IF calib._raise('KC015',
            format('epoch %s is not a committed change: nothing to revert (current epoch %s)',
                   p_epoch, calib.current_epoch()),
            jsonb_build_object('kind', 'revert_epoch_missing', 'epoch', p_epoch,
                               'current', calib.current_epoch())) IS NULL THEN END IF;
    END IF;
    /* What it does, read before anything is written. */
    RETURN QUERY SELECT * FROM calib._revert_actions(v_change);
    IF v_reason = '' THEN
        PERFORM set_config('calib.reason', format('revert of epoch %s', p_epoch), true);
    END IF;
    IF p_dry_run THEN
        /* Do it all, then undo it: the dry run meets exactly the checks and conflicts of
           the real call. The signal is a KC019 of its own kind, caught right here. */
        BEGIN
            IF calib._revert_apply(v_change, p_epoch) IS NULL THEN END IF;
            v_done := true;
            IF calib._raise('KC019', 'dry run of revert: rolled back',
                jsonb_build_object('kind', 'revert_dry_run', 'epoch', p_epoch)) IS NULL THEN END IF;
        EXCEPTION WHEN SQLSTATE 'KC019' THEN
            IF NOT v_done THEN
                RAISE;
            END IF;
        END;
    ELSE
        IF calib._revert_apply(v_change, p_epoch) IS NULL THEN END IF;
    END IF;
    IF v_reason = '' THEN
        PERFORM set_config('calib.reason', v_reason, true);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.revert(p_epoch text, p_dry_run text)
RETURNS TABLE (action text, collection text, dataset_type text, data_id jsonb, dataset uuid,
               validity tstzrange, detail jsonb)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* revert with both arguments as text (drivers binding text): the epoch in decimal digits
   (calib._epoch_text), dry_run as PostgreSQL reads a boolean (NULL or '': false). Then
   exactly the typed form. */
BEGIN
    PERFORM calib._operation('revert');  -- named in the history
    RETURN QUERY SELECT * FROM calib.revert(
        calib._epoch_text(p_epoch, 'epoch'),
        coalesce(calib._parse_boolean(nullif(btrim(p_dry_run), ''), 'dry_run'), false));
END
$$;

-- Generated by migrations/comments.py from the headers in sql/functions/ (do not
-- edit: edit the header, then run python migrations/comments.py). One COMMENT
-- per public function overload: purpose, arguments, returns, locks, errors.
-- CREATE OR REPLACE keeps a function's comment; a revision that changes a
-- header runs this file again.
COMMENT ON FUNCTION calib.certifications(text, text) IS
    'Every certification in p_collection (through a chain: in every CALIBRATION member, in search order, each row naming the member it is stored in), optionally of one dataset type. Ordered by member, dataset type, data ID (interning order), begin.
Arguments: p_collection text, p_dataset_type text DEFAULT NULL
Locks: none; read-only.
Errors: KC002 unknown collection, KC005 unknown dataset type.';
COMMENT ON FUNCTION calib.certifications(text, text, bigint) IS
    'certifications as of epoch p_as_of (NULL: now): every certification p_collection held then, through its chains as they were then, each row naming the member it was in (a member reached through a snapshot: as of the snapshot''s epoch, f.member_epoch).
Arguments: p_collection text, p_dataset_type text, p_as_of bigint
Locks: none; read-only.
Errors: as certifications; KC015 as_of_range; KC002 for a collection that did not exist at that epoch.';
COMMENT ON FUNCTION calib.certify(text, uuid[], tstzrange, boolean) IS
    'Certify each dataset of p_datasets into CALIBRATION collection p_collection over p_timespan ([) bounds; +-infinity or a missing bound = unbounded). All or nothing: any overlap with a stored certification of the same calibration key (collection, dataset type, data ID), or between two datasets of this call, stores nothing. p_close_open: a stored certification of the same key with an unbounded end that begins before the new begin is first closed at the new begin; every other overlap still fails. Returns the number of certifications stored.
Arguments: p_collection text, p_datasets uuid[], p_timespan tstzrange, p_close_open boolean DEFAULT false
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC017 caller not a writer, KC018 refused by the collection''s state, KC002/KC003 collection unknown or not CALIBRATION, KC009 bad timespan, KC007 unknown dataset, KC006 non-calibration type, KC001 conflict (detail lists every conflict), 55P03 lock timeout.';
COMMENT ON FUNCTION calib.certify(text, jsonb, tstzrange, boolean) IS
    'certify with the datasets as one JSON array document of UUID strings (''["<uuid>", ...]''); the same results and errors, plus KC016 for a document that is not such an array (calib._uuids).
Arguments: p_collection text, p_datasets jsonb, p_timespan tstzrange, p_close_open boolean DEFAULT false
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC017 caller not a writer, KC018 refused by the collection''s state, KC002/KC003 collection unknown or not CALIBRATION, KC009 bad timespan, KC007 unknown dataset, KC006 non-calibration type, KC001 conflict (detail lists every conflict), 55P03 lock timeout.';
COMMENT ON FUNCTION calib.certify(text, text, text, text) IS
    'certify with every argument as text, the form that untyped literals and drivers binding text reach: datasets a JSON array or a PostgreSQL array literal (calib._document), the timespan a range of ISO 8601 instants with a UTC offset (calib._parse_timespan: a time without one is KC009), close_open a boolean''s text.
Arguments: p_collection text, p_datasets text, p_timespan text, p_close_open text DEFAULT ''false''
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC017 caller not a writer, KC018 refused by the collection''s state, KC002/KC003 collection unknown or not CALIBRATION, KC009 bad timespan, KC007 unknown dataset, KC006 non-calibration type, KC001 conflict (detail lists every conflict), 55P03 lock timeout.';
COMMENT ON FUNCTION calib.certify_series(text, uuid[], timestamptz[], boolean) IS
    'Certify a series given by begins only: item i is (p_datasets[i], p_begins[i]); each item''s end is the next begin of the same calibration key, the last one is unbounded. A NULL or -infinity begin means unbounded below. Then exactly as calib.certify. Returns the number of certifications stored.
Arguments: p_collection text, p_datasets uuid[], p_begins timestamptz[], p_close_open boolean DEFAULT false
Locks: the collection row, FOR NO KEY UPDATE.
Errors: as certify; KC001 also for two items of one key with the same begin; KC015 arrays of different lengths; KC009 a begin of +infinity.';
COMMENT ON FUNCTION calib.certify_series(text, jsonb, jsonb, boolean) IS
    'certify_series with datasets and begins as JSON array documents: UUID strings, and ISO 8601 instants with a UTC offset (calib._uuids, calib._instants). Same results and errors; KC016 for a document that is not such an array, KC009 for a time without an offset.
Arguments: p_collection text, p_datasets jsonb, p_begins jsonb, p_close_open boolean DEFAULT false
Locks: the collection row, FOR NO KEY UPDATE.
Errors: as certify; KC001 also for two items of one key with the same begin; KC015 arrays of different lengths; KC009 a begin of +infinity.';
COMMENT ON FUNCTION calib.certify_series(text, text, text, text) IS
    'certify_series with every argument as text: datasets and begins as JSON arrays or PostgreSQL array literals (calib._document), close_open a boolean''s text.
Arguments: p_collection text, p_datasets text, p_begins text, p_close_open text DEFAULT ''false''
Locks: the collection row, FOR NO KEY UPDATE.
Errors: as certify; KC001 also for two items of one key with the same begin; KC015 arrays of different lengths; KC009 a begin of +infinity.';
COMMENT ON FUNCTION calib.check_integrity() IS
    'Re-verifies every invariant of calibcert from the tables themselves, trusting no constraint or trigger (a superuser can drop or bypass those): one row per violation, no row when the database is healthy. Check names and detail keys: README "Integrity check and statistics"; the SQLite twin (sql/sqlite/functions/check_integrity.sql) reports the same checks under the same names. Set-based (one pass per check, no per-row loop), so it stays fast on a large database.
Arguments: none.
Returns: rows (check, detail), ordered by check, then detail.
Locks: none; read-only, one snapshot (STABLE), runs on a hot standby.
Errors: none of its own.';
COMMENT ON FUNCTION calib.close_open_range(text, text, timestamptz, jsonb[]) IS
    'Give every certification of p_dataset_type in p_collection whose end is unbounded (only those data IDs when p_data_ids is given) the end p_end. Returns how many were closed.
Arguments: p_collection text, p_dataset_type text, p_end timestamptz, p_data_ids jsonb[] DEFAULT NULL
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC009 if one of them begins at or after p_end (nothing is changed) or p_end is NULL / infinite; KC002/KC003/KC005/KC006/KC008 as decertify.';
COMMENT ON FUNCTION calib.close_open_range(text, text, timestamptz, jsonb) IS
    'close_open_range with the data IDs as one JSON array document (NULL or JSON null: all); same results and errors, KC016 for a document that is not an array. No default for p_data_ids: a three-argument call must keep reaching the typed form.
Arguments: p_collection text, p_dataset_type text, p_end timestamptz, p_data_ids jsonb
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC009 if one of them begins at or after p_end (nothing is changed) or p_end is NULL / infinite; KC002/KC003/KC005/KC006/KC008 as decertify.';
COMMENT ON FUNCTION calib.close_open_range(text, text, text, text) IS
    'close_open_range with every argument as text: the end an ISO 8601 instant with a UTC offset (calib._parse_instant), the data IDs a JSON array or a PostgreSQL array literal.
Arguments: p_collection text, p_dataset_type text, p_end text, p_data_ids text DEFAULT NULL
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC009 if one of them begins at or after p_end (nothing is changed) or p_end is NULL / infinite; KC002/KC003/KC005/KC006/KC008 as decertify.';
COMMENT ON FUNCTION calib.collection_digest(text, bigint) IS
    'calib.collection_digest(p_collection) as of epoch p_as_of (NULL: now): the digest of the collection''s content then, in the same canonical form (the 1-argument form''s header says it exactly): the rows of calib._digest_rows read as of that epoch, the collection as named then.
Arguments: p_collection, the collection''s name (as named at p_as_of); p_as_of an epoch (calib.current_epoch()) or NULL for now.
Returns: ''sha256:'' followed by 64 lowercase hex digits.
Locks: none; read-only, one snapshot, runs on a hot standby.
Errors: KC002 unknown collection (at that epoch), KC015 NULL name or as_of_range. jit = off: as for calib.collection_stats, compiling costs more than it saves here.';
COMMENT ON FUNCTION calib.collection_digest(text) IS
    'The digest of a collection''s current content: ''sha256:'' and the lowercase hex SHA-256 of its canonical form, which README "Collection digests" specifies exactly (so that another implementation can recompute it). Equal for equal content on PostgreSQL and SQLite and after export/import; the collection''s own name, doc, state and writers are not content, so a copy under another name has the same digest. A chain''s digest covers the names of its children in order, not their content (each child has a digest of its own).
Arguments: p_collection, the collection''s name.
Returns: ''sha256:'' followed by 64 lowercase hex digits.
Locks: none; read-only, one snapshot, runs on a hot standby.
Errors: KC002 unknown collection, KC015 NULL name.';
COMMENT ON FUNCTION calib.collection_stats() IS
    'Statistics of every collection, by name: its state (OPEN, APPEND_ONLY, FROZEN), datasets (RUN: the datasets it holds), tagged (TAGGED: tag rows), certifications, calibration_keys (distinct data IDs certified) and open_ended (certifications without an end) of a CALIBRATION collection, its earliest_begin and latest_end (NULL when some certification is unbounded on that side, or when there is none), children (CHAINED: direct children). A count that does not apply to the collection''s type is 0. Each table is read once, grouped by collection.
Arguments: none.
Returns: one row per collection, ordered by name.
Locks: none; read-only, one snapshot, runs on a hot standby.
Errors: none of its own.';
COMMENT ON FUNCTION calib.copy_collection(text, text, text) IS
    'Create p_destination with the type of p_source and all its associations: certifications with their timespans (CALIBRATION), tags (TAGGED) or chain children (CHAINED). Set-based: one INSERT ... SELECT. p_doc defaults to the source''s doc. A snapshot''s copy gets its source''s associations as of the snapshot''s epoch (revision 0014), in OPEN state.
Arguments: p_source text, p_destination text, p_doc text DEFAULT NULL
Locks: for a chain, calib._lock_chains(); the source row FOR SHARE (waits for writers in flight, then copies their complete result); the new row is invisible until commit. A destination name that another open transaction is creating: wait for it to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait collection_name).
Errors: KC002 unknown source (snapshot_member_removed: a snapshot of a chain whose member has been removed since), KC003 source is a RUN, KC010 destination exists, KC014 bad destination name.';
COMMENT ON FUNCTION calib.current_epoch() IS
    'The latest committed epoch (0 before any change): everything as of it is final, whatever commits later or concurrently (epochs follow commit order: calib._stamp_epoch).
Arguments: none.
Locks: none; read-only, runs on a hot standby.
Errors: none.';
COMMENT ON FUNCTION calib.decertify(text, text, tstzrange, jsonb[]) IS
    'Remove validity inside p_timespan from every certification of p_dataset_type in CALIBRATION collection p_collection (only those data IDs when p_data_ids is given): a certification fully covered is removed, one straddling an end is shortened, one containing the span is split in two. Set-based: one DELETE, one INSERT of the remaining pieces (range difference as multiranges). Returns the number of certifications touched; nothing matching is a no-op (0).
Arguments: p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb[] DEFAULT NULL
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009 bad timespan, KC008 bad data ID.';
COMMENT ON FUNCTION calib.decertify(text, text, tstzrange, jsonb) IS
    'decertify with the data IDs as one JSON array document (NULL or JSON null: all); same results and errors, KC016 for a document that is not an array. No default for p_data_ids: a three-argument call must keep reaching the typed form.
Arguments: p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009 bad timespan, KC008 bad data ID.';
COMMENT ON FUNCTION calib.decertify(text, text, text, text) IS
    'decertify with every argument as text: the timespan a range of ISO 8601 instants with a UTC offset (calib._parse_timespan), the data IDs a JSON array or a PostgreSQL array literal (calib._document).
Arguments: p_collection text, p_dataset_type text, p_timespan text, p_data_ids text DEFAULT NULL
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009 bad timespan, KC008 bad data ID.';
COMMENT ON FUNCTION calib.epoch_at(timestamptz) IS
    'The last epoch committed at or before p_instant (0 if none was).
Arguments: p_instant timestamptz
Locks: none; read-only, runs on a hot standby.
Errors: KC015 NULL instant.';
COMMENT ON FUNCTION calib.epoch_at(text) IS
    'epoch_at with the instant as text (drivers binding text), read strictly (calib._parse_instant: a time without a UTC offset is KC009).
Arguments: p_instant text
Locks: none; read-only, runs on a hot standby.
Errors: KC015 NULL instant.';
COMMENT ON FUNCTION calib.explain(text, text, jsonb, timestamptz, bigint) IS
    'Why find(p_collection, p_dataset_type, p_data_id, p_at, p_as_of) answers what it answers: one row per member of the collection''s search path (as of p_as_of when given), in search order. outcome: ''no match'' (searched, nothing there), ''match'' (the deciding member: its dataset), ''ambiguous'' (the deciding member holds more than one match, find raises KC011: one row per match), ''skipped'' (not searched: after the deciding member, or a CALIBRATION member when p_at is NULL). On the deciding member''s rows: dataset_id, timespan (the matching certification''s validity; NULL for RUN and TAGGED members) and epoch (of the change that created the certification, tag or RUN dataset; NULL for the caller''s own uncommitted change). The decision is find''s own (calib.probe / calib._probe_as_of); see calib._explain.
Arguments: as find; p_as_of an epoch (NULL: now).
Returns: the rows above, by rank (and, for ''ambiguous'', by the matches'' begin).
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC002, KC005, KC008, KC015), KC015 as_of_range, KC002 for a collection that did not exist at p_as_of; never KC011.';
COMMENT ON FUNCTION calib.explain(text, text, jsonb, tstzrange, bigint) IS
    'explain of find(..., tstzrange): certifications overlapping p_timespan match ([) bounds, validated; NULL skips CALIBRATION members). Only a timespan can make a deciding member ''ambiguous'' (certifications of one data ID never overlap within a collection).
Arguments: as find''s timespan form; p_as_of an epoch (NULL: now).
Returns: as explain(..., timestamptz).
Locks: none; read-only.
Errors: as find''s timespan form (KC009 for a bad timespan); never KC011.';
COMMENT ON FUNCTION calib.explain(text, text, text, text, text) IS
    'explain with every argument as text (untyped literals, drivers binding text), read as find''s all-text form reads them: the data ID as JSON text (calib._json_text), p_at an instant, or a timespan when it starts with ''['' or ''('' (or is ''empty''), read strictly; p_as_of an epoch in decimal digits, NULL or '''' for now (calib._epoch_text).
Arguments: as above. Returns: as explain(..., timestamptz).
Locks: none; read-only.
Errors: as find''s all-text form; KC015 epoch_text.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, timestamptz) IS
    'The dataset of p_dataset_type with data ID p_data_id found by searching p_collection (chains flattened, in order) at instant p_at: the first member with any match decides; CALIBRATION members match certifications whose timespan contains p_at. NULL p_at skips CALIBRATION members. No row when nothing matches.
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamptz
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, tstzrange) IS
    'As find(..., timestamptz), matching certifications that overlap p_timespan ([) bounds, validated; NULL skips CALIBRATION members).
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_timespan tstzrange
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, text, text) IS
    'find with every argument as text, the form untyped literals and drivers binding text reach (with two typed forms for p_at, an untyped call would be "not unique"): the data ID as JSON text (calib._json_text), p_at an instant, or a timespan when it starts with ''['' or ''('' (or is ''empty''), read strictly by calibcert (calib._parse_instant / calib._parse_timespan: a time without a UTC offset is KC009). Then exactly the typed find.
Arguments: p_collection text, p_dataset_type text, p_data_id text, p_at text
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, text) IS
    'find with a typed data ID and p_at as text (an untyped time next to a jsonb data ID): an instant, or a timespan when it starts with ''['' or ''('' (or is ''empty''), read strictly (calib._parse_instant / calib._parse_timespan). Then exactly the typed find.
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_at text
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, timestamptz, bigint) IS
    'find as of epoch p_as_of (calib.current_epoch(), calib.epoch_at()): the answer find gave at that epoch, through the chains and collections as they were then (a collection removed or renamed since is found by the name it had). NULL p_as_of is find now (the four-argument form, unchanged). Generic plans (plan_cache_mode): planned once per session; custom plans of calib._lookup''s statements were made again on every call (1.1 ms instead of 0.55 ms per find as of an epoch).
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamptz, p_as_of bigint
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find; KC015 as_of_range (negative, or beyond the current epoch); KC002 for a collection that did not exist at that epoch.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, tstzrange, bigint) IS
    'As find(..., tstzrange) as of epoch p_as_of (NULL: now).
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_timespan tstzrange, p_as_of bigint
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, text, bigint) IS
    'find(..., jsonb, text) as of epoch p_as_of (NULL: now): p_at an instant, or a timespan when it starts with ''['' or ''('' (or is ''empty''), read strictly.
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_at text, p_as_of bigint
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, text, text, text) IS
    'find as of an epoch with every argument as text (drivers binding text): p_as_of an epoch in decimal digits, or NULL / '''' for now (calib._epoch_text). Then exactly the typed form.
Arguments: p_collection text, p_dataset_type text, p_data_id text, p_at text, p_as_of text
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find; KC015 epoch_text for an epoch that is not a decimal integer.';
COMMENT ON FUNCTION calib.find_many(text, text, jsonb[], timestamptz[]) IS
    'find for many (data ID, instant) pairs in one call: one row per pair, in input order (ord = 1-based position), NULL dataset where nothing matched. A NULL instant skips CALIBRATION members for that pair.
Arguments: p_collection text, p_dataset_type text, p_data_ids jsonb[], p_at timestamptz[]
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different lengths.';
COMMENT ON FUNCTION calib.find_many(text, text, jsonb[], tstzrange[]) IS
    'As find_many(..., timestamptz[]) with a timespan per pair. A timespan that is a single instant written [t,t] is accepted as that instant (the Python client sends mixed instants and timespans this way); every other span must have [) bounds.
Arguments: p_collection text, p_dataset_type text, p_data_ids jsonb[], p_timespans tstzrange[]
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different lengths.';
COMMENT ON FUNCTION calib.find_many(text, text, jsonb, jsonb) IS
    'find_many with the data IDs and the times as JSON array documents: the times are ISO 8601 instants with a UTC offset, or (when one of them starts with ''['' or ''('') all timespans as range strings; null for no time. Same results and errors as the typed forms; KC016 for a document that is not such an array, KC009 for a time without an offset.
Arguments: p_collection text, p_dataset_type text, p_data_ids jsonb, p_at jsonb
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different lengths.';
COMMENT ON FUNCTION calib.find_many(text, text, text, text) IS
    'find_many with every argument as text: data IDs and times as JSON arrays or PostgreSQL array literals (calib._document), then as find_many(text, text, jsonb, jsonb).
Arguments: p_collection text, p_dataset_type text, p_data_ids text, p_at text
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different lengths.';
COMMENT ON FUNCTION calib.find_many(text, text, jsonb[], timestamptz[], bigint) IS
    'find_many as of epoch p_as_of (NULL: now): the answers find gave at that epoch, through the chains as they were then.
Arguments: p_collection text, p_dataset_type text, p_data_ids jsonb[], p_at timestamptz[], p_as_of bigint
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find_many; KC015 as_of_range.';
COMMENT ON FUNCTION calib.find_many(text, text, jsonb[], tstzrange[], bigint) IS
    'As find_many(..., tstzrange[]) as of epoch p_as_of (NULL: now).
Arguments: p_collection text, p_dataset_type text, p_data_ids jsonb[], p_timespans tstzrange[], p_as_of bigint
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different lengths.';
COMMENT ON FUNCTION calib.get_chain(text) IS
    'The direct children of CHAINED collection p_parent, in order. A snapshot of a chain (revision 0014): its source''s children as they were at the snapshot''s epoch (calib._chain_as_of).
Arguments: p_parent text
Locks: none. Read-only.
Errors: KC002 unknown collection, KC003 not CHAINED.';
COMMENT ON FUNCTION calib.get_chain(text, bigint) IS
    'get_chain as of epoch p_as_of (NULL: now): the children chain p_parent had then, by the names they had then (calib._chain_as_of).
Arguments: p_parent text, p_as_of bigint
Locks: none. Read-only.
Errors: as get_chain; KC015 as_of_range; KC002 for a chain that did not exist then.';
COMMENT ON FUNCTION calib.get_datasets(uuid[]) IS
    'The datasets with the given ids, in input order.
Arguments: p_ids uuid[]
Locks: none; read-only.
Errors: KC007 unknown id, KC015 NULL.';
COMMENT ON FUNCTION calib.get_datasets(jsonb) IS
    'get_datasets with the ids as one JSON array document of UUID strings (calib._uuids).
Arguments: p_ids jsonb
Locks: none; read-only.
Errors: KC007 unknown id, KC015 NULL.';
COMMENT ON FUNCTION calib.get_datasets(text) IS
    'get_datasets with the ids as text: a JSON array or a PostgreSQL array literal.
Arguments: p_ids text
Locks: none; read-only.
Errors: KC007 unknown id, KC015 NULL.';
COMMENT ON FUNCTION calib.history(text, text, jsonb, bigint, bigint) IS
    'The changes of collection p_collection (every collection that ever bore that name, removed ones included), oldest first: one row per changed certification, tag, dataset (of a RUN), collection row or chain position per change. Each row: the change''s epoch and commit time, database role, client user and reason (calib.user, calib.reason), the operation (the public function, ''sql'' for raw SQL, ''upgrade'' for what existed at revision 0014), the collection''s name; for certifications the dataset type, data ID, dataset and validity before/after (certify: before NULL; removal by decertify: after NULL; a shortened or split certification: both, a split''s other piece a row with before NULL); for tags and datasets the same columns with NULL validity. Collection-level rows (detail.what = ''collection'': registration = before NULL, removal = after NULL, state or writer changes = both; ''chain'': a chain position''s child before/after) have NULL dataset columns and appear only when neither p_dataset_type nor p_data_id is given. Within a change: certifications, tags, datasets by dataset type and data ID, what went before what came, by begin. The caller''s own uncommitted change is shown with a NULL epoch.
Arguments: p_dataset_type / p_data_id narrow to one dataset type / data ID (a data ID needs its dataset type); p_since / p_until keep epochs in [since, until]. Pruned history (calib.prune_history): a p_since below the history horizon is refused (the changes before it are incomplete); without p_since the rows start at the horizon. The last column is the change''s request id (setting calib.request_id), NULL without.
Locks: none; read-only, runs on a hot standby.
Errors: KC002 a name no collection ever had, KC005 unknown dataset type, KC008 invalid data ID, KC015 data ID without dataset type, KC015 as_of_pruned.';
COMMENT ON FUNCTION calib.history(text, text, text, text, text) IS
    'history with every argument as text (drivers binding text): the data ID as JSON text (calib._json_text), the epochs in decimal digits (calib._epoch_text); NULL or '''' for none. Then exactly the typed form.
Arguments: p_collection text, p_dataset_type text, p_data_id text, p_since text, p_until text
Locks: none; read-only, runs on a hot standby.
Errors: KC002 a name no collection ever had, KC005 unknown dataset type, KC008 invalid data ID, KC015 data ID without dataset type, KC015 as_of_pruned.';
COMMENT ON FUNCTION calib.insert_datasets(text, text, jsonb[], uuid[]) IS
    'Create one dataset per data ID in RUN collection p_run; returns (id, canonical data ID) in input order. p_ids brings the caller''s own UUIDs (same length); otherwise random UUIDs are generated. Set-based: data IDs are interned and datasets inserted with one statement each. A dimension used for the first time gets the value type of its first value here.
Arguments: p_dataset_type text, p_run text, p_data_ids jsonb[], p_ids uuid[] DEFAULT NULL
Locks: the run''s collection row (calib._lock_collections); then the new data IDs (in data_id_type_value_key) and the new dataset ids (dataset_pkey), in sorted order: a transaction creating one of them too, still open, makes this call wait for it to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait data_id or dataset_id, with the call''s first data IDs / ids). A dimension''s first use: see calib._fix_dimensions.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 run unknown or not a RUN, KC005 unknown type, KC008 bad data ID (calib._canonical_data_ids: also a value of the other type than its dimension''s), KC010 a data ID repeated in the call or already in the run, or an id already used, KC015 NULLs / p_ids of another length.';
COMMENT ON FUNCTION calib.insert_datasets(text, text, jsonb, jsonb) IS
    'insert_datasets with the data IDs and the ids as JSON array documents (''[{"instrument": "Cam", "detector": 1}]'', ''["<uuid>"]''); same results and errors, KC016 for a document that is not such an array.
Arguments: p_dataset_type text, p_run text, p_data_ids jsonb, p_ids jsonb DEFAULT NULL
Locks: the run''s collection row (calib._lock_collections); then the new data IDs (in data_id_type_value_key) and the new dataset ids (dataset_pkey), in sorted order: a transaction creating one of them too, still open, makes this call wait for it to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait data_id or dataset_id, with the call''s first data IDs / ids). A dimension''s first use: see calib._fix_dimensions.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 run unknown or not a RUN, KC005 unknown type, KC008 bad data ID (calib._canonical_data_ids: also a value of the other type than its dimension''s), KC010 a data ID repeated in the call or already in the run, or an id already used, KC015 NULLs / p_ids of another length.';
COMMENT ON FUNCTION calib.insert_datasets(text, text, text, text) IS
    'insert_datasets with every argument as text: data IDs and ids as JSON arrays or PostgreSQL array literals (calib._document).
Arguments: p_dataset_type text, p_run text, p_data_ids text, p_ids text DEFAULT NULL
Locks: the run''s collection row (calib._lock_collections); then the new data IDs (in data_id_type_value_key) and the new dataset ids (dataset_pkey), in sorted order: a transaction creating one of them too, still open, makes this call wait for it to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait data_id or dataset_id, with the call''s first data IDs / ids). A dimension''s first use: see calib._fix_dimensions.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 run unknown or not a RUN, KC005 unknown type, KC008 bad data ID (calib._canonical_data_ids: also a value of the other type than its dimension''s), KC010 a data ID repeated in the call or already in the run, or an id already used, KC015 NULLs / p_ids of another length.';
COMMENT ON FUNCTION calib.list_collections(text) IS
    'Every collection (optionally of one type: RUN, TAGGED, CALIBRATION or CHAINED, any case), by name, with its state (OPEN, APPEND_ONLY, FROZEN) and writer list (NULL: every certifier). A snapshot (calib.snapshot_collection, revision 0014) has the type of its source and names it: snapshot_of (the source''s name at the snapshot''s epoch, which it may no longer bear) and snapshot_epoch; both NULL for every other collection.
Arguments: p_type text DEFAULT NULL
Locks: none; read-only.
Errors: none of its own.';
COMMENT ON FUNCTION calib.list_collections(text, bigint) IS
    'list_collections as of epoch p_as_of (NULL: now, the one-argument form): every collection that existed then, with its name, type, state and writer list then (calib.collection_version), a snapshot with its source and epoch. A collection''s doc has no history: its current doc, NULL for a collection removed since.
Arguments: p_type (as list_collections), p_as_of an epoch (calib.current_epoch()).
Locks: none; read-only.
Errors: KC015 as_of_range.';
COMMENT ON FUNCTION calib.list_dataset_types() IS
    'Every dataset type, by name.
Arguments: none.
Locks: none; read-only.
Errors: none of its own.';
COMMENT ON FUNCTION calib.probe(integer, integer, tstzrange) IS
    'The lookup rule, the one place it is written on PostgreSQL. The collection''s stored search path (calib.search_path: itself, or a chain''s members flattened) is searched in rank order and the first member with any match for the data ID key decides: RUN and TAGGED members match by data ID for all time, CALIBRATION members by certifications overlapping p_span (an instant t is the range [t,t]; a NULL span skips them). One row for the deciding member: its dataset, and ambiguous = it has more than one match (the caller raises KC011); no row when no member matches.
Arguments: p_collection_id and p_data_id_key internal ids (calib.collection, calib.data_id), p_span the time (NULL skips CALIBRATION members).
Locks: none; read-only.
Errors: none of its own (callers resolve names to ids first and raise).';
COMMENT ON FUNCTION calib.prune_history(bigint) IS
    'Retention (README "Retention and request ids"): drops the history older than epoch p_before. Deleted: every closed version (of certification_version, collection_version, chain_version, tag_version, dataset_version) whose removing change has an epoch below p_before -- no as-of read at an epoch >= p_before can see it (calib._visible: it was gone by then) and history from p_before on never shows it --, then every change row below p_before that no version and no current certification refers to any more. Versions still visible at p_before (current ones, or closed at or after p_before) stay with the changes that created them, so as-of reads at every epoch >= p_before answer exactly as before (tests/test_pg_retention.py replays them all). The history horizon (calib.history_horizon) becomes p_before: as-of reads and history since an epoch below it are then refused (as_of_pruned) instead of answered wrongly. The horizon never moves back: a p_before at or below it drops nothing. A change''s request id goes with its row: a retry of a pruned request is no longer recognised.
Arguments: p_before: 0 <= p_before <= calib.current_epoch().
Returns: the number of versions dropped.
Locks: the calib.history_horizon row FOR UPDATE (prunes take turns; a wait bounded by calib.lock_timeout); ROW EXCLUSIVE on the version tables and calib.change, like any writer, and the deleted rows, which nobody writes any more (closed versions, changes nothing refers to). No table lock: lookups (current and as-of) and writers go on. The work is linear in the history dropped plus one pass over the current certifications; to keep each transaction short, prune in steps of increasing p_before.
Errors: KC015 argument_null, KC015 prune_range (p_before out of range), KC015 prune_snapshot (a snapshot reads an epoch below p_before), 55P03 (wait ''history_horizon'') when another prune holds the horizon beyond calib.lock_timeout.';
COMMENT ON FUNCTION calib.query_datasets(text, text, jsonb) IS
    'The datasets of p_dataset_type visible in a RUN, TAGGED or CHAINED collection without a time: for each data ID the first RUN / TAGGED member holding it decides (as find with no time); CALIBRATION members are skipped. p_where narrows by data-ID values (jsonb containment, e.g. ''{"detector": 3}''). Ordered by data ID (interning order). This is how "certify all biases in this run" picks its datasets. A snapshot (revision 0014) holds its source''s datasets and tags as of the snapshot''s epoch.
Arguments: p_collection text, p_dataset_type text, p_where jsonb DEFAULT NULL
Locks: none; read-only.
Errors: KC002, KC003 (a CALIBRATION collection itself), KC005, KC008 (p_where: a bad value, or one of the other type than its dimension''s; calib._canonical_where).';
COMMENT ON FUNCTION calib.query_datasets(text, text, text) IS
    'query_datasets with the where clause as JSON text (a driver binding text): parsed by calib._json_text (KC016 if it is not JSON). No default: a two-argument call keeps reaching the typed form.
Arguments: p_collection text, p_dataset_type text, p_where text
Locks: none; read-only.
Errors: KC002, KC003 (a CALIBRATION collection itself), KC005, KC008 (p_where: a bad value, or one of the other type than its dimension''s; calib._canonical_where).';
COMMENT ON FUNCTION calib.query_datasets(text, text, jsonb, bigint) IS
    'query_datasets as of epoch p_as_of (NULL: now, the three-argument form): the same rule (for each data ID the first RUN / TAGGED member of the search path holding it decides) applied to the collections, chains, datasets and tags visible then (a snapshot member read at its own epoch: calib._search_path_as_of''s member_epoch); each dataset''s RUN by the name it had then.
Arguments: as query_datasets; p_as_of an epoch (calib.current_epoch()).
Locks: none; read-only.
Errors: as query_datasets, KC002 for a collection missing at that epoch; KC015 as_of_range.';
COMMENT ON FUNCTION calib.register_collection(text, text, text) IS
    'Register a collection. p_type is RUN, TAGGED, CALIBRATION or CHAINED (any case). Returns true if it was created, false if it existed with the same type (a no-op; the stored doc is kept). Concurrent registrations of one name are safe (ON CONFLICT). The name is stored in Unicode NFC.
Arguments: p_name text, p_type text, p_doc text DEFAULT NULL
Locks: the new name in the unique index collection_name_key: a second transaction registering the same new name waits for the first to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait collection_name).
Errors: KC014 bad name, KC015 unknown type / NULL, KC010 exists with another type.';
COMMENT ON FUNCTION calib.register_dataset_type(text, text[], boolean) IS
    'Register a dataset type: its data IDs have exactly the keys p_dimensions (ordered, distinct names). Returns true if created, false if the same definition existed. Names are stored in Unicode NFC; at most 32 dimensions (with the 2000-byte limit of a data ID, no data ID can outgrow a btree entry).
Arguments: p_name text, p_dimensions text[], p_is_calibration boolean DEFAULT true
Locks: the new name in the unique index dataset_type_name_key: a second transaction registering the same new name waits for the first to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait dataset_type_name).
Errors: KC014 bad name, KC015 NULL / repeated dimension / more than 32, KC010 exists with another definition; 55P03 lock timeout (kind lock_timeout).';
COMMENT ON FUNCTION calib.register_dataset_type(text, jsonb, boolean) IS
    'register_dataset_type with the dimensions as one JSON array document of names (''["instrument", "detector"]'', calib._names).
Arguments: p_name text, p_dimensions jsonb, p_is_calibration boolean DEFAULT true
Locks: the new name in the unique index dataset_type_name_key: a second transaction registering the same new name waits for the first to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait dataset_type_name).
Errors: KC014 bad name, KC015 NULL / repeated dimension / more than 32, KC010 exists with another definition; 55P03 lock timeout (kind lock_timeout).';
COMMENT ON FUNCTION calib.register_dataset_type(text, text, text) IS
    'register_dataset_type with every argument as text: the dimensions a JSON array or a PostgreSQL array literal, is_calibration a boolean''s text.
Arguments: p_name text, p_dimensions text, p_is_calibration text DEFAULT ''true''
Locks: the new name in the unique index dataset_type_name_key: a second transaction registering the same new name waits for the first to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait dataset_type_name).
Errors: KC014 bad name, KC015 NULL / repeated dimension / more than 32, KC010 exists with another definition; 55P03 lock timeout (kind lock_timeout).';
COMMENT ON FUNCTION calib.remove_collection(text) IS
    'Remove a TAGGED, CALIBRATION or CHAINED collection with its associations (tags, certifications, chain children); its datasets stay in their RUNs. A RUN may be removed only while it holds no dataset.
Arguments: p_name text
Locks: calib._lock_chains(), then the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002 unknown, KC013 still a child of a chain / RUN with datasets.';
COMMENT ON FUNCTION calib.revert(bigint, boolean) IS
    'Undo the change committed as epoch p_epoch by writing its inverse as a new change (operation ''revert''; history is kept, and a revert can itself be reverted): the certifications, tags, chain positions, datasets and collections it created are removed, those it removed or changed are restored as they were (same ids, validity, state and writers), collections whose state or writers it changed get them back. A later change that makes this impossible fails the whole call and nothing is changed: a row the change created has since been changed or removed, a dataset or collection it created is used since, a row to restore has lost its place, its collection or its dataset (KC019 RevertConflictError, naming the epoch and the later epoch in the way), or a restored certification would overlap a later one (KC001, kind revert_overlap). What is not versioned is not reverted: dataset types, interned data IDs, a collection''s doc. The change''s reason is ''revert of epoch N'' unless calib.reason is set. Role: calib_admin (README "Revert": a change can span collections, chains and collection registrations, which only admins make).
Arguments: p_epoch an epoch of calib.change; p_dry_run true: everything is done and checked, then rolled back (a conflict raises just the same), nothing is written.
Returns: what it does (or would do), calib._revert_actions: one row per row removed or restored (action, collection, dataset_type, data_id, dataset, validity, detail), in the order it is done.
Locks: calib._lock_chains() when chains or collection registrations are touched, then every touched collection''s row in ascending id (calib._lock_collections), before any check (calib._revert_apply).
Errors: KC015 NULL epoch or no change with that epoch (revert_epoch_missing) or one below the history horizon (as_of_pruned), KC019, KC001, KC017/KC018 a touched collection''s writer list or state (FROZEN, APPEND_ONLY); 55P03 a lock wait ran out.';
COMMENT ON FUNCTION calib.revert(text, text) IS
    'revert with both arguments as text (drivers binding text): the epoch in decimal digits (calib._epoch_text), dry_run as PostgreSQL reads a boolean (NULL or '''': false). Then exactly the typed form.
Arguments: p_epoch text, p_dry_run text
Locks: calib._lock_chains() when chains or collection registrations are touched, then every touched collection''s row in ascending id (calib._lock_collections), before any check (calib._revert_apply).
Errors: KC015 NULL epoch or no change with that epoch (revert_epoch_missing) or one below the history horizon (as_of_pruned), KC019, KC001, KC017/KC018 a touched collection''s writer list or state (FROZEN, APPEND_ONLY); 55P03 a lock wait ran out.';
COMMENT ON FUNCTION calib.set_chain(text, text[]) IS
    'Replace the children of CHAINED collection p_parent, atomically, by p_children in order (a repeated child is kept at its first position only; an empty array empties the chain).
Arguments: p_parent text, p_children text[]
Locks: calib._lock_chains(), then the parent row (calib._lock_collections).
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002 unknown parent or child, KC003 parent not CHAINED, KC004 a cycle (the parent itself, or a chain that already contains the parent), KC015 NULL.';
COMMENT ON FUNCTION calib.set_chain(text, jsonb) IS
    'set_chain with the children as one JSON array document of names (calib._names). PL/pgSQL, as the typed form, so that both return the same void value.
Arguments: p_parent text, p_children jsonb
Locks: calib._lock_chains(), then the parent row (calib._lock_collections).
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002 unknown parent or child, KC003 parent not CHAINED, KC004 a cycle (the parent itself, or a chain that already contains the parent), KC015 NULL.';
COMMENT ON FUNCTION calib.set_chain(text, text) IS
    'set_chain with the children as text: a JSON array or a PostgreSQL array literal.
Arguments: p_parent text, p_children text
Locks: calib._lock_chains(), then the parent row (calib._lock_collections).
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002 unknown parent or child, KC003 parent not CHAINED, KC004 a cycle (the parent itself, or a chain that already contains the parent), KC015 NULL.';
COMMENT ON FUNCTION calib.set_collection_state(text, text) IS
    'Set the state of collection p_name: OPEN (every change allowed, the default), APPEND_ONLY (certify only at or after the latest begin of each calibration key, tag, insert_datasets, close_open and close_open_range; no decertify, untag, set_chain or removal) or FROZEN (no change at all, from any role, raw SQL included). Case-insensitive. Returns the previous state. Unfreezing (FROZEN to OPEN or APPEND_ONLY) is allowed to whoever may call this function (calib_admin): it is not itself refused by the state, nor by the writer list, which restricts changes of the collection''s content, not its administration.
Arguments: p_name text, p_state text
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections): waits for the writers in flight, and a writer that comes after sees the new state.
Errors: KC002 unknown collection, KC015 NULL or unknown state, KC018 snapshot_frozen (a snapshot, calib.snapshot_collection, stays FROZEN).';
COMMENT ON FUNCTION calib.set_collection_writers(text, text[]) IS
    'Only members of the roles p_roles (directly or through other roles, as pg_has_role MEMBER says; a superuser always) may change collection p_name from now on; NULL resets to the default, every role allowed to call the mutating functions. A role repeated is kept once, at its first position. Roles are stored by name: a role renamed or dropped later grants nothing (fail-closed); set the list again. Which role is checked: the session''s SET ROLE, else its login (calib._caller). Returns the previous list (NULL for the default). Allowed on a FROZEN collection: the list is the collection''s administration, not its content.
Arguments: p_name text, p_roles text[]
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC002 unknown collection; KC015 an empty list, a NULL element, a role that does not exist.';
COMMENT ON FUNCTION calib.set_collection_writers(text, jsonb) IS
    'set_collection_writers with the roles as one JSON array document of names (calib._names); NULL or JSON null resets to every certifier.
Arguments: p_name text, p_roles jsonb
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC002 unknown collection; KC015 an empty list, a NULL element, a role that does not exist.';
COMMENT ON FUNCTION calib.set_collection_writers(text, text) IS
    'set_collection_writers with the roles as text: a JSON array or a PostgreSQL array literal; NULL resets to every certifier.
Arguments: p_name text, p_roles text
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC002 unknown collection; KC015 an empty list, a NULL element, a role that does not exist.';
COMMENT ON FUNCTION calib.snapshot_collection(text, text, bigint) IS
    'Create collection p_name that reads as p_source did at epoch p_as_of (NULL: the current epoch at the call, calib.current_epoch(): what is committed, not the caller''s own uncommitted changes), in O(1): one collection row (the source''s type then, state FROZEN) and one calib.snapshot row (source id, epoch); no certification, tag, dataset or chain row is copied. Every read of it (find, find_many, certifications, get_chain, collection_digest, as a chain member) is an as-of read of the source (calib.probe''s snapshot branch, calib._probe_as_of). It refuses every write (FROZEN by construction: calib._check_change and the FROZEN triggers; set_collection_state refuses to unfreeze it); remove_collection (admin) removes it. The source is taken as named at that epoch, so a collection removed (or renamed away) since can still be snapshotted as it was; a snapshot keeps reading its source''s versions after the source is removed. A snapshot of a snapshot reads what the first one reads (same source, same epoch).
Arguments: p_source the collection to read (any type), p_name the new collection''s name (calib._check_name rules), p_as_of the epoch (0 .. current_epoch(); NULL: current).
Returns: the epoch the snapshot reads its source at.
Locks: the new name in the unique index collection_name_key (a second transaction creating the same name waits for the first to end, bounded: calib._bound_waits; 55P03, kind lock_timeout, wait collection_name). None on the source: the state at a committed epoch never changes. Its history: a change with operation snapshot_collection.
Errors: KC002 collection_missing_as_of (no collection of that name at the epoch), KC010 collection_exists, KC014 bad name, KC015 as_of_range / NULL source or name.';
COMMENT ON FUNCTION calib.snapshot_collection(text, text, text) IS
    'snapshot_collection with every argument as text (drivers binding text): p_as_of an epoch in decimal digits, or NULL / '''' for the current epoch (calib._epoch_text). Then exactly the typed form. No default: a two-argument call reaches the typed form. Arguments, Returns, Locks: as the typed form.
Arguments: p_source text, p_name text, p_as_of text
Locks: the new name in the unique index collection_name_key (a second transaction creating the same name waits for the first to end, bounded: calib._bound_waits; 55P03, kind lock_timeout, wait collection_name). None on the source: the state at a committed epoch never changes. Its history: a change with operation snapshot_collection.
Errors: as the typed form; KC015 epoch_text for an epoch that is not a decimal integer.';
COMMENT ON FUNCTION calib.tag(text, uuid[]) IS
    'Add datasets to TAGGED collection p_collection. A TAGGED collection holds at most one dataset per (dataset type, data ID); tagging a dataset already there is a no-op. Returns the number of datasets newly tagged.
Arguments: p_collection text, p_datasets uuid[]
Locks: the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset, KC010 another dataset of the same type and data ID is tagged already (or in the same call).';
COMMENT ON FUNCTION calib.tag(text, jsonb) IS
    'tag with the datasets as one JSON array document of UUID strings (calib._uuids).
Arguments: p_collection text, p_datasets jsonb
Locks: the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset, KC010 another dataset of the same type and data ID is tagged already (or in the same call).';
COMMENT ON FUNCTION calib.tag(text, text) IS
    'tag with the datasets as text: a JSON array or a PostgreSQL array literal.
Arguments: p_collection text, p_datasets text
Locks: the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset, KC010 another dataset of the same type and data ID is tagged already (or in the same call).';
COMMENT ON FUNCTION calib.untag(text, uuid[]) IS
    'Remove datasets from TAGGED collection p_collection; datasets not tagged there are ignored. Returns the number removed.
Arguments: p_collection text, p_datasets uuid[]
Locks: the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset.';
COMMENT ON FUNCTION calib.untag(text, jsonb) IS
    'untag with the datasets as one JSON array document of UUID strings (calib._uuids).
Arguments: p_collection text, p_datasets jsonb
Locks: the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset.';
COMMENT ON FUNCTION calib.untag(text, text) IS
    'untag with the datasets as text: a JSON array or a PostgreSQL array literal.
Arguments: p_collection text, p_datasets text
Locks: the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset.';

/* Privileges. Functions run as their owner (SECURITY DEFINER, search_path pinned), so
   callers need EXECUTE, not table rights: every change goes through the functions (and so
   through their checks, locks and, later, the history ledger). No role but calib_owner may
   write a table: the service roles get SELECT at most.
   The roles are this database's (schema/roles.sql: <prefix>_reader, _certifier, _admin,
   prefix from calib.installation), a hierarchy by membership, so each function is granted
   once, to the lowest role that may call it (README "Roles"):
   - reader: lookups and listings, SELECT on every table;
   - certifier: also the changes to collections' content (datasets, tags, certifications,
     copies);
   - admin: also what shapes the registry: collections, dataset types, chains (and states,
     writer lists).
   calib_writer (default prefix only) holds nothing directly: it is a member of
   calib_certifier. Each role's privileges on calibcert's objects are first revoked, then
   granted: the result is exactly these lists, whatever an earlier revision granted (up to
   0011, calib_writer held every mutating function directly; a database given another
   prefix at its upgrade to 0012 keeps nothing for calib_reader and calib_writer). Private helpers (names
   starting with _) are not granted to anyone. Each JSON-document and all-text form of a
   function (README "Calling from another service") gets the grant of its typed form.
   PUBLIC gets nothing: schema/security.sql revokes what PostgreSQL gives it by default and
   hands every object to calib_owner. Role names go through %I; a function signature is
   cast to regprocedure (so a typo fails the install) and printed by PostgreSQL itself. */
DO $$
DECLARE
    v_prefix text := (SELECT i.role_prefix FROM calib.installation AS i);
    v_reader text := v_prefix || '_reader';
    v_certifier text := v_prefix || '_certifier';
    v_admin text := v_prefix || '_admin';
    v_role text;
    v_function regprocedure;
    v_elsewhere text;
BEGIN
    /* This database's roles, and the shared roles of revisions up to 0011 (calib_reader,
       calib_writer) when the database moved to another prefix at its upgrade to 0012. */
    FOR v_role IN SELECT r.rolname FROM pg_catalog.pg_roles AS r
                  WHERE r.rolname IN (v_reader, v_certifier, v_admin, 'calib_reader', 'calib_writer')
                  ORDER BY r.rolname LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON SCHEMA calib FROM %I', v_role);
        EXECUTE pg_catalog.format('REVOKE ALL ON ALL TABLES IN SCHEMA calib FROM %I', v_role);
        EXECUTE pg_catalog.format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA calib FROM %I', v_role);
    END LOOP;
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA calib TO %I', v_reader);
    EXECUTE pg_catalog.format('GRANT SELECT ON ALL TABLES IN SCHEMA calib TO %I', v_reader);

    -- reader: lookups and listings.
    FOREACH v_function IN ARRAY ARRAY[
        'calib.find(text, text, jsonb, timestamptz)',
        'calib.find(text, text, jsonb, tstzrange)',
        'calib.find(text, text, text, text)',
        'calib.find(text, text, jsonb, text)',
        'calib.find_many(text, text, jsonb[], timestamptz[])',
        'calib.find_many(text, text, jsonb[], tstzrange[])',
        'calib.find_many(text, text, jsonb, jsonb)',
        'calib.find_many(text, text, text, text)',
        'calib.certifications(text, text)',
        'calib.query_datasets(text, text, jsonb)',
        'calib.query_datasets(text, text, text)',
        'calib.get_datasets(uuid[])',
        'calib.get_datasets(jsonb)',
        'calib.get_datasets(text)',
        'calib.get_chain(text)',
        'calib.list_collections(text)',
        'calib.list_dataset_types()',
        'calib.probe(integer, integer, tstzrange)',
        /* Snapshots (revision 0014): calib.probe, run with its caller's rights, answers a
           snapshot member by calling this private, read-only helper (PostgreSQL checks
           EXECUTE when the plan starts, even for a branch that never runs): an as-of
           lookup by ids, which a reader may make anyway. */
        'calib._snapshot_ids(integer, integer, tstzrange, bigint)',
        'calib.check_integrity()',
        'calib.collection_stats()',
        'calib.collection_digest(text)',
        -- history (revision 0014): epochs, as-of forms, history
        'calib.current_epoch()',
        'calib.epoch_at(timestamptz)',
        'calib.epoch_at(text)',
        'calib.history(text, text, jsonb, bigint, bigint)',
        'calib.history(text, text, text, text, text)',
        -- explain (revision 0014): a read, like find (reader)
        'calib.explain(text, text, jsonb, timestamptz, bigint)',
        'calib.explain(text, text, jsonb, tstzrange, bigint)',
        'calib.explain(text, text, text, text, text)',
        'calib.find(text, text, jsonb, timestamptz, bigint)',
        'calib.find(text, text, jsonb, tstzrange, bigint)',
        'calib.find(text, text, jsonb, text, bigint)',
        'calib.find(text, text, text, text, text)',
        'calib.find_many(text, text, jsonb[], timestamptz[], bigint)',
        'calib.find_many(text, text, jsonb[], tstzrange[], bigint)',
        'calib.certifications(text, text, bigint)',
        'calib.get_chain(text, bigint)',
        'calib.list_collections(text, bigint)',
        'calib.query_datasets(text, text, jsonb, bigint)',
        'calib.collection_digest(text, bigint)'
    ]::regprocedure[] LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', v_function, v_reader);
    END LOOP;

    -- certifier: changes to the content of collections.
    FOREACH v_function IN ARRAY ARRAY[
        'calib.insert_datasets(text, text, jsonb[], uuid[])',
        'calib.insert_datasets(text, text, jsonb, jsonb)',
        'calib.insert_datasets(text, text, text, text)',
        'calib.tag(text, uuid[])',
        'calib.tag(text, jsonb)',
        'calib.tag(text, text)',
        'calib.untag(text, uuid[])',
        'calib.untag(text, jsonb)',
        'calib.untag(text, text)',
        'calib.certify(text, uuid[], tstzrange, boolean)',
        'calib.certify(text, jsonb, tstzrange, boolean)',
        'calib.certify(text, text, text, text)',
        'calib.certify_series(text, uuid[], timestamptz[], boolean)',
        'calib.certify_series(text, jsonb, jsonb, boolean)',
        'calib.certify_series(text, text, text, text)',
        'calib.decertify(text, text, tstzrange, jsonb[])',
        'calib.decertify(text, text, tstzrange, jsonb)',
        'calib.decertify(text, text, text, text)',
        'calib.close_open_range(text, text, timestamptz, jsonb[])',
        'calib.close_open_range(text, text, timestamptz, jsonb)',
        'calib.close_open_range(text, text, text, text)',
        'calib.copy_collection(text, text, text)',
        /* A snapshot is a copy that costs nothing: the same role as copy_collection (it
           creates a collection from another's content and changes nothing else). Removing
           one stays admin (remove_collection). */
        'calib.snapshot_collection(text, text, bigint)',
        'calib.snapshot_collection(text, text, text)'
    ]::regprocedure[] LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', v_function, v_certifier);
    END LOOP;

    -- admin: the registry's shape.
    FOREACH v_function IN ARRAY ARRAY[
        'calib.register_collection(text, text, text)',
        'calib.remove_collection(text)',
        'calib.set_chain(text, text[])',
        'calib.set_chain(text, jsonb)',
        'calib.set_chain(text, text)',
        'calib.register_dataset_type(text, text[], boolean)',
        'calib.register_dataset_type(text, jsonb, boolean)',
        'calib.register_dataset_type(text, text, text)',
        'calib.set_collection_state(text, text)',
        'calib.set_collection_writers(text, text[])',
        'calib.set_collection_writers(text, jsonb)',
        'calib.set_collection_writers(text, text)',
        -- retention: dropping history is a DBA's decision, like the registry's shape
        'calib.prune_history(bigint)',
        -- revert (revision 0014): a change can span collections, chains and collection
        -- registrations, which only admins make (README "Revert")
        'calib.revert(bigint, boolean)',
        'calib.revert(text, text)'
    ]::regprocedure[] LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', v_function, v_admin);
    END LOOP;

    /* Two calibcert databases of one cluster installed with the same prefix share their
       roles: a grant of one of them made for either database reaches both. Not an error
       (a database cloned from a template shares them on purpose), but the DBA is told,
       from the shared catalog's record of privileges held in other databases. */
    SELECT pg_catalog.string_agg(DISTINCT pg_catalog.quote_ident(d.datname), ', ')
    INTO v_elsewhere
    FROM pg_catalog.pg_shdepend AS s
    JOIN pg_catalog.pg_database AS d ON d.oid = s.dbid
    WHERE s.deptype = 'a' AND s.refclassid = 'pg_catalog.pg_authid'::regclass
      AND s.refobjid IN (SELECT r.oid FROM pg_catalog.pg_roles AS r
                         WHERE r.rolname IN (v_reader, v_certifier, v_admin))
      AND d.datname <> pg_catalog.current_database();
    IF v_elsewhere IS NOT NULL THEN
        RAISE WARNING USING
            MESSAGE = pg_catalog.format('calibcert roles %s, %s and %s also hold privileges in '
                'database(s) %s: a grant of these roles reaches both databases',
                v_reader, v_certifier, v_admin, v_elsewhere),
            HINT = 'To grant this database separately, install it with its own role prefix '
                '(SET calib.role_prefix = ''name'', or calibcert db upgrade --role-prefix '
                'name, before the first install; README "Roles").';
    END IF;
END
$$;

/* Ownership and PUBLIC. Runs after every object and grant exists (install.sql), and again at
   the end of every revision that adds objects: each object in schema calib, the schema
   itself included, is handed to calib_owner (roles.sql), and PUBLIC keeps no right on any
   of them. Owner changes keep the grants already made (their grantor becomes calib_owner).
   The rules it follows are the PostgreSQL manual's "Writing SECURITY DEFINER Functions
   Safely"; every function also pins search_path = pg_catalog, pg_temp in its own file.
   The installing role must be able to hand objects over: a superuser, or a member of
   calib_owner. Checked first, so that a refused install says why. */
DO $$
DECLARE
    r record;
BEGIN
    IF NOT pg_catalog.pg_has_role(current_user, 'calib_owner', 'MEMBER') THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = pg_catalog.format('role %I cannot hand calibcert''s objects to calib_owner',
                                        current_user),
            HINT = pg_catalog.format('Install as a superuser, or first run (as a role with '
                'CREATEROLE): CREATE ROLE calib_owner NOLOGIN; GRANT calib_owner TO %I;',
                current_user);
    END IF;
    EXECUTE 'ALTER SCHEMA calib OWNER TO calib_owner';
    /* Tables, views, sequences not owned by a column (an identity sequence follows its
       table) and composite types of their own; then every function. */
    FOR r IN SELECT c.relname, c.relkind FROM pg_catalog.pg_class AS c
             WHERE c.relnamespace = 'calib'::regnamespace
               AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
               AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend AS d
                               WHERE d.classid = 'pg_catalog.pg_class'::regclass
                                 AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
             ORDER BY c.relname LOOP
        EXECUTE pg_catalog.format(
            CASE r.relkind WHEN 'S' THEN 'ALTER SEQUENCE calib.%I OWNER TO calib_owner'
                           WHEN 'v' THEN 'ALTER VIEW calib.%I OWNER TO calib_owner'
                           WHEN 'm' THEN 'ALTER MATERIALIZED VIEW calib.%I OWNER TO calib_owner'
                           WHEN 'f' THEN 'ALTER FOREIGN TABLE calib.%I OWNER TO calib_owner'
                           ELSE 'ALTER TABLE calib.%I OWNER TO calib_owner' END,
            r.relname);
    END LOOP;
    FOR r IN SELECT t.typname FROM pg_catalog.pg_type AS t
             WHERE t.typnamespace = 'calib'::regnamespace AND t.typrelid = 0
               AND t.typelem = 0 AND t.typtype IN ('c', 'd', 'e', 'r')
             ORDER BY t.typname LOOP
        EXECUTE pg_catalog.format('ALTER TYPE calib.%I OWNER TO calib_owner', r.typname);
    END LOOP;
    FOR r IN SELECT p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid) AS args
             FROM pg_catalog.pg_proc AS p
             WHERE p.pronamespace = 'calib'::regnamespace
             ORDER BY p.proname, args LOOP
        /* The identity arguments are PostgreSQL's own rendering of the signature (quoted
           where needed); the name goes through %I. */
        EXECUTE pg_catalog.format('ALTER ROUTINE calib.%I(%s) OWNER TO calib_owner',
                                  r.proname, r.args);
    END LOOP;
END
$$;
/* PUBLIC may not use the schema, nor execute any function: neither those that exist now nor
   those that calib_owner creates later (default privileges are per creating role; a
   function that a later revision creates as another role is covered by the REVOKE below,
   which that revision runs again). Functions are granted to the service roles one by one in
   schema/grants.sql. */
REVOKE ALL ON SCHEMA calib FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA calib FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE calib_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

