-- Undo revision 0016 on PostgreSQL (source of versions/0016_speed.postgresql.down.sql).
-- freeze.py puts back what 0016 changed as 0015 had it and drops what it created.
-- pg-writes: the function put back by freeze.py keeps the comment 0016 gave it: 0015's, again.
COMMENT ON FUNCTION calib.decertify(text, text, tstzrange, jsonb[]) IS
    'Remove validity inside p_timespan from every certification of p_dataset_type in CALIBRATION collection p_collection (only those data IDs when p_data_ids is given): a certification fully covered is removed, one straddling an end is shortened, one containing the span is split in two. Set-based: one DELETE, one INSERT of the remaining pieces (range difference as multiranges). Returns the number of certifications touched; nothing matching is a no-op (0).
Arguments: p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb[] DEFAULT NULL
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009 bad timespan, KC008 bad data ID.';
-- pg-writes: end
