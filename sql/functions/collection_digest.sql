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
