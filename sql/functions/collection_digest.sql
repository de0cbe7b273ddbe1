CREATE OR REPLACE FUNCTION calib.collection_digest(p_collection text)
RETURNS text
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
/* The digest of a collection's current content: 'sha256:' and the lowercase hex SHA-256 of
   its canonical form, which README "Collection digests" specifies exactly (so that another
   implementation can recompute it). Equal for equal content on PostgreSQL and SQLite and
   after export/import; the collection's own name, doc, state and writers are not content,
   so a copy under another name has the same digest. A chain's digest covers the names of
   its children in order, not their content (each child has a digest of its own). A
   snapshot's digest is its source's content as of the snapshot's epoch (calib.snapshot,
   revision 0014): equal to the source's digest while the source has not changed since.
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
   jit = off: as for calib.collection_stats, compiling costs more than it saves here. */
SELECT 'sha256:' || encode(sha256(convert_to(
           '{"format":"calibcert-digest-v1","type":' || to_json(c.type)::text || '}'
           || coalesce((SELECT string_agg(E'\n' || r.line, '' ORDER BY r.sort_key COLLATE "C")
                        FROM calib._digest_rows(coalesce(s.source_id, c.collection_id), c.type,
                                                s.epoch) AS r), ''),
           'UTF8')), 'hex')
FROM calib._collection(p_collection) AS c
LEFT JOIN calib.snapshot AS s ON s.collection_id = c.collection_id
$$;
