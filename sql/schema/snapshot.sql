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
