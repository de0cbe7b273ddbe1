/* Tables. Names (CHECKs below) follow calib._check_name's rules for every writer: 1-255
   characters, in Unicode NFC, none forbidden (calib._forbidden_character, created first).
   Every constraint is named: the Python client maps integrity errors by name.
   Type pinning columns (collection_type, run_type, parent_type) with a CHECK plus a
   composite foreign key make the database itself refuse, for example, a certification in a
   RUN collection, whoever writes the row. */

CREATE TABLE calib.collection (
    collection_id integer GENERATED ALWAYS AS IDENTITY,
    name          text NOT NULL,
    type          text NOT NULL,
    doc           text,
    /* Collection states and writers (revision 0012): columns of the collection row, not a
       table of their own, because every writer already locks this row
       (calib._lock_collections) before it changes the collection; calib._check_change then
       reads the state and the writers from the row it holds locked, so a concurrent
       set_collection_state (which updates this row, and so waits for or is waited for by
       that lock) is seen either entirely before or entirely after a change. */
    state         text NOT NULL DEFAULT 'OPEN',
    writers       text[],
    CONSTRAINT collection_pkey PRIMARY KEY (collection_id),
    CONSTRAINT collection_name_key UNIQUE (name),
    CONSTRAINT collection_id_type_key UNIQUE (collection_id, type),
    CONSTRAINT collection_name_check
        CHECK (char_length(name) BETWEEN 1 AND 255 AND name IS NFC NORMALIZED
               AND calib._forbidden_character(name) IS NULL),
    CONSTRAINT collection_type_check
        CHECK (type IN ('RUN', 'TAGGED', 'CALIBRATION', 'CHAINED')),
    CONSTRAINT collection_state_check CHECK (state IN ('OPEN', 'APPEND_ONLY', 'FROZEN')),
    /* NULL: every certifier may change the collection; else the names of the roles whose
       members may (calib.set_collection_writers: at least one, no NULL, no repeat). */
    CONSTRAINT collection_writers_check
        CHECK (writers IS NULL OR (cardinality(writers) > 0
                                   AND array_position(writers, NULL) IS NULL))
);
/* The FROZEN triggers (calib._frozen_guard) ask first whether any collection is frozen: a
   probe of this (usually empty) index, so that writers pay almost nothing for them while
   nothing is frozen. */
CREATE INDEX collection_frozen_idx ON calib.collection (collection_id) WHERE state = 'FROZEN';
COMMENT ON TABLE calib.collection IS
    'Collections. Locking protocol: writers lock the collection rows they change with '
    'FOR NO KEY UPDATE, in ascending collection_id, after taking the chain lock if they need '
    'it (calib._lock_collections). Readers take no locks.';

CREATE TABLE calib.collection_chain (
    parent_id   integer NOT NULL,
    position    integer NOT NULL,
    child_id    integer NOT NULL,
    parent_type text NOT NULL DEFAULT 'CHAINED',
    CONSTRAINT collection_chain_pkey PRIMARY KEY (parent_id, position),
    CONSTRAINT collection_chain_parent_child_key UNIQUE (parent_id, child_id),
    CONSTRAINT collection_chain_parent_type_check CHECK (parent_type = 'CHAINED'),
    CONSTRAINT collection_chain_parent_fkey FOREIGN KEY (parent_id, parent_type)
        REFERENCES calib.collection (collection_id, type) ON DELETE CASCADE,
    CONSTRAINT collection_chain_child_fkey FOREIGN KEY (child_id)
        REFERENCES calib.collection (collection_id) ON DELETE RESTRICT
);
CREATE INDEX collection_chain_child_idx ON calib.collection_chain (child_id);
COMMENT ON TABLE calib.collection_chain IS
    'Ordered children of CHAINED collections. Changing any chain first takes this table''s '
    'SHARE ROW EXCLUSIVE lock, so cycle checks of concurrent set_chain calls cannot '
    'interleave; readers are not blocked.';

CREATE TABLE calib.dataset_type (
    dataset_type_id integer GENERATED ALWAYS AS IDENTITY,
    name            text NOT NULL,
    dimensions      text[] NOT NULL,
    is_calibration  boolean NOT NULL,
    CONSTRAINT dataset_type_pkey PRIMARY KEY (dataset_type_id),
    CONSTRAINT dataset_type_name_key UNIQUE (name),
    CONSTRAINT dataset_type_name_check
        CHECK (char_length(name) BETWEEN 1 AND 255 AND name IS NFC NORMALIZED
               AND calib._forbidden_character(name) IS NULL)
);

/* Data IDs are interned: one integer key per (dataset type, canonical data ID). The
   exclusion constraint then compares small integers instead of JSON, and "equal data IDs"
   means exactly "same key". The value is canonical jsonb: keys are the type's dimensions,
   values are strings or integers (never 1.0). */
CREATE TABLE calib.data_id (
    data_id_key     integer GENERATED ALWAYS AS IDENTITY,
    dataset_type_id integer NOT NULL,
    value           jsonb NOT NULL,
    CONSTRAINT data_id_pkey PRIMARY KEY (data_id_key),
    CONSTRAINT data_id_type_value_key UNIQUE (dataset_type_id, value),
    CONSTRAINT data_id_key_type_key UNIQUE (data_id_key, dataset_type_id),
    CONSTRAINT data_id_value_check CHECK (jsonb_typeof(value) = 'object'),
    CONSTRAINT data_id_dataset_type_fkey FOREIGN KEY (dataset_type_id)
        REFERENCES calib.dataset_type (dataset_type_id)
);

CREATE TABLE calib.dataset (
    dataset_id      uuid NOT NULL,
    dataset_type_id integer NOT NULL,
    data_id_key     integer NOT NULL,
    run_id          integer NOT NULL,
    run_type        text NOT NULL DEFAULT 'RUN',
    CONSTRAINT dataset_pkey PRIMARY KEY (dataset_id),
    CONSTRAINT dataset_run_type_data_id_key UNIQUE (run_id, data_id_key),
    CONSTRAINT dataset_id_type_key_key UNIQUE (dataset_id, dataset_type_id, data_id_key),
    CONSTRAINT dataset_run_type_check CHECK (run_type = 'RUN'),
    CONSTRAINT dataset_run_fkey FOREIGN KEY (run_id, run_type)
        REFERENCES calib.collection (collection_id, type) ON DELETE RESTRICT,
    CONSTRAINT dataset_data_id_fkey FOREIGN KEY (data_id_key, dataset_type_id)
        REFERENCES calib.data_id (data_id_key, dataset_type_id)
);
COMMENT ON TABLE calib.dataset IS
    'Datasets live in their RUN forever: there is no function that deletes one.';

CREATE TABLE calib.tag (
    collection_id   integer NOT NULL,
    collection_type text NOT NULL DEFAULT 'TAGGED',
    dataset_type_id integer NOT NULL,
    data_id_key     integer NOT NULL,
    dataset_id      uuid NOT NULL,
    CONSTRAINT tag_pkey PRIMARY KEY (collection_id, data_id_key),
    CONSTRAINT tag_collection_dataset_key UNIQUE (collection_id, dataset_id),
    CONSTRAINT tag_collection_type_check CHECK (collection_type = 'TAGGED'),
    CONSTRAINT tag_collection_fkey FOREIGN KEY (collection_id, collection_type)
        REFERENCES calib.collection (collection_id, type) ON DELETE CASCADE,
    CONSTRAINT tag_dataset_fkey FOREIGN KEY (dataset_id, dataset_type_id, data_id_key)
        REFERENCES calib.dataset (dataset_id, dataset_type_id, data_id_key)
);

CREATE TABLE calib.certification (
    certification_id bigint GENERATED ALWAYS AS IDENTITY,
    collection_id    integer NOT NULL,
    collection_type  text NOT NULL DEFAULT 'CALIBRATION',
    dataset_type_id  integer NOT NULL,
    data_id_key      integer NOT NULL,
    dataset_id       uuid NOT NULL,
    validity         tstzrange NOT NULL,
    CONSTRAINT certification_pkey PRIMARY KEY (certification_id),
    CONSTRAINT certification_collection_type_check CHECK (collection_type = 'CALIBRATION'),
    /* Half-open [begin, end), never empty; an unbounded side is a missing bound, never
       +-infinity (the normalising trigger below rewrites those before this is checked), and
       a finite bound is a real instant: [infinity,) or (,-infinity) would contain none. */
    CONSTRAINT certification_validity_bounds CHECK (
        NOT isempty(validity)
        AND (lower_inf(validity) OR (lower_inc(validity) AND isfinite(lower(validity))))
        AND (upper_inf(validity) OR (NOT upper_inc(validity) AND isfinite(upper(validity))))
    ),
    CONSTRAINT certification_collection_fkey FOREIGN KEY (collection_id, collection_type)
        REFERENCES calib.collection (collection_id, type) ON DELETE CASCADE,
    CONSTRAINT certification_dataset_fkey FOREIGN KEY (dataset_id, dataset_type_id, data_id_key)
        REFERENCES calib.dataset (dataset_id, dataset_type_id, data_id_key),
    /* The rule of calibcert: one calibration key (collection, data ID -- which implies the
       dataset type) is never valid twice at the same instant. Holds for every writer. */
    CONSTRAINT certification_no_overlap EXCLUDE USING gist (
        collection_id WITH =, data_id_key WITH =, validity WITH &&
    )
);
CREATE INDEX certification_collection_type_idx
    ON calib.certification (collection_id, dataset_type_id);
/* The lookup's probe (calib.probe, revision 0017): the certifications of one calibration key
   by begin, newest first, so that the ones valid at an instant or during a span are the
   first two or three read. The exclusion constraint's GiST index answers the same question,
   but a probe of it reads ~8 pages and ~40 us at 10^6 certifications (5x its cost at 10^3),
   this btree ~4 pages and ~4 us (1.7x): bench/README.md "find_many whatever the statistics".
   An unbounded begin sorts first (-infinity: the normalising trigger stores none). */
CREATE INDEX certification_lookup_idx
    ON calib.certification (collection_id, data_id_key,
                            (coalesce(lower(validity), '-infinity'::timestamptz)));
COMMENT ON TABLE calib.certification IS
    'Certifications. No overlap per (collection_id, data_id_key) is guaranteed by '
    'certification_no_overlap. Writers hold the collection row lock (FOR NO KEY UPDATE, '
    'calib._lock_collections) for the whole transaction.';
