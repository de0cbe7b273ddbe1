-- FROZEN upgrade of revision 0013, written by migrations/freeze.py from sources/0013_digest.postgresql.sql.
-- Never edit by hand.
-- Revision 0013 (0012 -> 0013) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0013_digest.postgresql.sql (issue 16, item 7: collection digests).
-- calib.collection_digest(text), granted to the reader role, and its private helpers
-- calib._digest_rows (the one query of the tables behind a digest) and
-- calib._digest_data_id (a data ID as the canonical form writes it); the COMMENT of the
-- new function; calib._revision answers 0013. No table and no row changes; SQLite has
-- nothing to change (its twin is Python: pyclient/calibcert/backends/sqlite/
-- collection_digest.py).
CREATE OR REPLACE FUNCTION calib._revision()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
/* The schema revision these functions belong to: calib.check_integrity compares it with
   calib.alembic_version. Every later revision re-creates this function with its own number
   (tests/test_health.py fails when an installed database answers another revision than
   calibcert.schema.HEAD_REVISION). */
SELECT '0013'::text
$$;

CREATE OR REPLACE FUNCTION calib._digest_rows(p_collection_id integer, p_type text)
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

   The stored rows are read in one place, CTEs stored and children: an as-of digest
   (issue 16) reads the rows as they were at an epoch there and changes nothing else.
   Set-based: each data ID is written once per key, not once per row; the instants are
   written with calib._ts_text's format spelled out, because a function with a SET clause
   is never inlined and two calls per certification were most of the time (bench/digest.py). */
WITH stored AS (
    SELECT c.data_id_key, c.dataset_id, c.validity FROM calib.certification AS c
    WHERE p_type = 'CALIBRATION' AND c.collection_id = p_collection_id
    UNION ALL
    SELECT g.data_id_key, g.dataset_id, NULL FROM calib.tag AS g
    WHERE p_type = 'TAGGED' AND g.collection_id = p_collection_id
    UNION ALL
    SELECT s.data_id_key, s.dataset_id, NULL FROM calib.dataset AS s
    WHERE p_type = 'RUN' AND s.run_id = p_collection_id
), children AS (
    SELECT k.name, row_number() OVER (ORDER BY x.position) AS n
    FROM calib.collection_chain AS x
    JOIN calib.collection AS k ON k.collection_id = x.child_id
    WHERE p_type = 'CHAINED' AND x.parent_id = p_collection_id
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
   jit = off: as for calib.collection_stats, compiling costs more than it saves here. */
SELECT 'sha256:' || encode(sha256(convert_to(
           '{"format":"calibcert-digest-v1","type":' || to_json(c.type)::text || '}'
           || coalesce((SELECT string_agg(E'\n' || r.line, '' ORDER BY r.sort_key COLLATE "C")
                        FROM calib._digest_rows(c.collection_id, c.type) AS r), ''),
           'UTF8')), 'hex')
FROM calib._collection(p_collection) AS c
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
    'Create p_destination with the type of p_source and all its associations: certifications with their timespans (CALIBRATION), tags (TAGGED) or chain children (CHAINED). Set-based: one INSERT ... SELECT. p_doc defaults to the source''s doc.
Arguments: p_source text, p_destination text, p_doc text DEFAULT NULL
Locks: for a chain, calib._lock_chains(); the source row FOR SHARE (waits for writers in flight, then copies their complete result); the new row is invisible until commit. A destination name that another open transaction is creating: wait for it to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait collection_name).
Errors: KC002 unknown source, KC003 source is a RUN, KC010 destination exists, KC014 bad destination name.';
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
COMMENT ON FUNCTION calib.get_chain(text) IS
    'The direct children of CHAINED collection p_parent, in order.
Arguments: p_parent text
Locks: none. Read-only.
Errors: KC002 unknown collection, KC003 not CHAINED.';
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
    'Every collection (optionally of one type: RUN, TAGGED, CALIBRATION or CHAINED, any case), by name, with its state (OPEN, APPEND_ONLY, FROZEN) and writer list (NULL: every certifier).
Arguments: p_type text DEFAULT NULL
Locks: none; read-only.
Errors: none of its own.';
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
COMMENT ON FUNCTION calib.query_datasets(text, text, jsonb) IS
    'The datasets of p_dataset_type visible in a RUN, TAGGED or CHAINED collection without a time: for each data ID the first RUN / TAGGED member holding it decides (as find with no time); CALIBRATION members are skipped. p_where narrows by data-ID values (jsonb containment, e.g. ''{"detector": 3}''). Ordered by data ID (interning order). This is how "certify all biases in this run" picks its datasets.
Arguments: p_collection text, p_dataset_type text, p_where jsonb DEFAULT NULL
Locks: none; read-only.
Errors: KC002, KC003 (a CALIBRATION collection itself), KC005, KC008 (p_where: a bad value, or one of the other type than its dimension''s; calib._canonical_where).';
COMMENT ON FUNCTION calib.query_datasets(text, text, text) IS
    'query_datasets with the where clause as JSON text (a driver binding text): parsed by calib._json_text (KC016 if it is not JSON). No default: a two-argument call keeps reaching the typed form.
Arguments: p_collection text, p_dataset_type text, p_where text
Locks: none; read-only.
Errors: KC002, KC003 (a CALIBRATION collection itself), KC005, KC008 (p_where: a bad value, or one of the other type than its dimension''s; calib._canonical_where).';
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
Errors: KC002 unknown collection, KC015 NULL or unknown state.';
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
        'calib.check_integrity()',
        'calib.collection_stats()',
        'calib.collection_digest(text)'
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
        'calib.copy_collection(text, text, text)'
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
        'calib.set_collection_writers(text, text)'
        -- (later: revert)
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

