-- FROZEN downgrade of revision 0016, written by migrations/freeze.py from sources/0016_speed.postgresql.down.sql.
-- Never edit by hand.
-- The functions this revision re-creates, as the previous revision had them (freeze.py).
CREATE OR REPLACE FUNCTION calib._caller()
 RETURNS text
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The role a writer list is checked against: the session's effective role, as the caller
   saw it before entering calibcert's SECURITY DEFINER functions, where current_user is
   calib_owner. That is the role set by SET ROLE (the setting "role", which a SECURITY
   DEFINER call does not change, and which PostgreSQL only lets a session set to a role its
   login may SET ROLE to), else the login role (session_user). Why not session_user alone:
   a pooler or an application that logs in as one role and runs SET ROLE per end user (the
   usual way to drop privileges) would be checked as the login, which may be a member of
   every writer role. The one case where this differs from the caller's current_user is a
   call from inside another SECURITY DEFINER function: the session's role is checked, not
   that function's owner (README "Collection states and writers"). */
SELECT CASE WHEN current_setting('role') = 'none' THEN session_user::text
            ELSE current_setting('role') END
$function$;
CREATE OR REPLACE FUNCTION calib._current_operation()
 RETURNS text
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The operation the versions written by the current client statement are recorded with:
   the public function that named itself with calib._operation in this same statement
   (its label carries the statement's start), else 'sql' (raw SQL, or a later statement of
   the transaction). The one place this is decided (calib._record_versions,
   calib._certification_statement). Errors: none. Locks: none. */
SELECT CASE WHEN split_part(v.label, ' ', 2) = extract(epoch FROM statement_timestamp())::text
            THEN split_part(v.label, ' ', 1) ELSE 'sql' END
FROM (SELECT current_setting('calib._operation', true) AS label) AS v
$function$;
CREATE OR REPLACE FUNCTION calib._data_id_keys(p_type calib.dataset_type, p_data_ids jsonb[])
 RETURNS integer[]
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The interned keys of the given data IDs (validated, KC008); data IDs never stored have
   no key and are simply absent from the result. NULL in, NULL out ("no filter"). */
SELECT CASE WHEN p_data_ids IS NULL THEN NULL ELSE ARRAY(
    SELECT di.data_id_key
    FROM unnest(calib._canonical_data_ids(p_type, p_data_ids)) AS v
    JOIN calib.data_id AS di ON di.dataset_type_id = p_type.dataset_type_id AND di.value = v)
END
$function$;
CREATE OR REPLACE FUNCTION calib._forbidden_character(p_text text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE STRICT
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The first character of p_text that names and data-ID string values may not hold, as
   'U+XXXX', or NULL when there is none. Refused: the control characters (Unicode category
   Cc; PostgreSQL text cannot hold NUL anyway) and the format characters (Cf, as of
   Unicode 15): soft hyphen, bidi marks, embeddings, overrides and isolates, zero-width
   space and joiners, word joiner, invisible operators, byte-order mark, tags... The same
   list is calibcert.types.FORBIDDEN_RANGES (which adds lone surrogates, that PostgreSQL
   cannot receive); tests/test_names_and_values.py compares the two over every code point.
   The table CHECKs of names call it too, so raw writers meet the same rule.
   An E'' literal: the pattern reads the same whatever standard_conforming_strings is. */
SELECT 'U+' || upper(lpad(to_hex(ascii(m[1])), greatest(4, length(to_hex(ascii(m[1])))), '0'))
FROM regexp_match(p_text, E'([\\x01-\\x1f\\x7f-\\x9f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb\\U000110bd\\U000110cd\\U00013430-\\U0001343f\\U0001bca0-\\U0001bca3\\U0001d173-\\U0001d17a\\U000e0001\\U000e0020-\\U000e007f])') AS m
$function$;
CREATE OR REPLACE FUNCTION calib._operation(p_name text)
 RETURNS void
 LANGUAGE sql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
$function$;
CREATE OR REPLACE FUNCTION calib._revision()
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The schema revision these functions belong to: calib.check_integrity compares it with
   calib.alembic_version. Every later revision re-creates this function with its own number
   (tests/test_health.py fails when an installed database answers another revision than
   calibcert.schema.HEAD_REVISION). */
SELECT '0015'::text
$function$;
CREATE OR REPLACE FUNCTION calib.decertify(p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb[] DEFAULT NULL::jsonb[])
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
$function$;
-- Undo revision 0016 on PostgreSQL (source of versions/0016_speed.postgresql.down.sql).
-- freeze.py puts back what 0016 changed as 0015 had it and drops what it created.
-- pg-writes: the function put back by freeze.py keeps the comment 0016 gave it: 0015's, again.
COMMENT ON FUNCTION calib.decertify(text, text, tstzrange, jsonb[]) IS
    'Remove validity inside p_timespan from every certification of p_dataset_type in CALIBRATION collection p_collection (only those data IDs when p_data_ids is given): a certification fully covered is removed, one straddling an end is shortened, one containing the span is split in two. Set-based: one DELETE, one INSERT of the remaining pieces (range difference as multiranges). Returns the number of certifications touched; nothing matching is a no-op (0).
Arguments: p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb[] DEFAULT NULL
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009 bad timespan, KC008 bad data ID.';
-- pg-writes: end
