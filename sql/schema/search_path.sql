/* Added in revision 0002 (its own file so that the migration can include it whole). */
/* The search path of every collection, flattened (what a lookup searches, in order): a
   RUN, TAGGED or CALIBRATION collection is its own (one row); a CHAINED collection has its
   non-CHAINED members depth-first in chain order, chains expanded, each collection once at
   its first occurrence, ranked 1..n (no rows for an empty chain). It exists for speed: a
   lookup reads the members with one index scan in rank order instead of walking the chain
   graph (a recursive query) on every call, and needs no join to collection for their types
   (stored, and kept equal to collection.type by the composite foreign key). Storing the
   collection itself too lets one statement serve every kind of collection without a
   second branch (measured: 6 us of a 60 us chain lookup).
   Derived, and kept right by the database for every writer (schema/triggers.sql): a new
   collection gets its own row on insert, and after each statement that changes
   collection_chain the changed chains and every chain above them are recomputed by
   calib._refresh_search_paths, the one place where the chain walk lives. Rows go with
   their collection (CASCADE); a member cannot be removed while a chain lists it
   (collection_chain_child_fkey). Never write this table directly. */
CREATE TABLE calib.search_path (
    collection_id integer NOT NULL,
    rank          integer NOT NULL,
    member_id     integer NOT NULL,
    member_type   text NOT NULL,
    CONSTRAINT search_path_pkey PRIMARY KEY (collection_id, rank),
    /* Each member once per path; member first, so that it also serves the foreign-key
       actions when a collection is removed or changes type. */
    CONSTRAINT search_path_member_key UNIQUE (member_id, collection_id),
    CONSTRAINT search_path_rank_check CHECK (rank > 0),
    CONSTRAINT search_path_member_type_check
        CHECK (member_type IN ('RUN', 'TAGGED', 'CALIBRATION')),
    CONSTRAINT search_path_collection_fkey FOREIGN KEY (collection_id)
        REFERENCES calib.collection (collection_id) ON DELETE CASCADE,
    CONSTRAINT search_path_member_fkey FOREIGN KEY (member_id, member_type)
        REFERENCES calib.collection (collection_id, type) ON UPDATE CASCADE ON DELETE CASCADE
);
COMMENT ON TABLE calib.search_path IS
    'Flattened search path of every collection (itself; for a chain its non-CHAINED '
    'members depth-first, first occurrence, rank 1..n), derived from collection and '
    'collection_chain by triggers (calib._refresh_search_paths) so that lookups need no '
    'recursive walk. Never write it directly.';

/* One row, bumped by every refresh of search paths. Two chain changes made by transactions
   whose snapshots do not see each other (REPEATABLE READ or SERIALIZABLE, where the walk
   cannot see a change committed after the snapshot was taken) both update this row, so the
   later one fails with a serialization failure (40001) instead of storing a path computed
   from a stale chain graph. Under READ COMMITTED the chain lock serialises them and the row
   costs one update per chain change. */
CREATE TABLE calib.search_path_generation (
    singleton  boolean NOT NULL DEFAULT true,
    generation bigint NOT NULL,
    CONSTRAINT search_path_generation_pkey PRIMARY KEY (singleton),
    CONSTRAINT search_path_generation_singleton_check CHECK (singleton)
);
COMMENT ON TABLE calib.search_path_generation IS
    'Counts refreshes of calib.search_path; makes chain changes from stale snapshots '
    '(REPEATABLE READ / SERIALIZABLE) fail with 40001 instead of storing a stale path.';
