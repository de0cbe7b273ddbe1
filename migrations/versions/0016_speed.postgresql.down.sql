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
CREATE OR REPLACE FUNCTION calib._explain(p_collection text, p_dataset_type text, p_data_id jsonb, p_span tstzrange, p_as_of bigint)
 RETURNS TABLE(rank bigint, member text, member_type text, outcome text, dataset_id uuid, timespan tstzrange, epoch bigint)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
CREATE OR REPLACE FUNCTION calib._member_candidates(p_collection_id integer, p_data_id_key integer, p_span tstzrange, p_epoch bigint)
 RETURNS TABLE(rank bigint, member_id integer, member_name text, member_type text, dataset_id uuid, validity tstzrange, created_change bigint)
 LANGUAGE plpgsql
 STABLE ROWS 5
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
CREATE OR REPLACE FUNCTION calib._revert_conflict(p_kind text, p_epoch bigint, p_later bigint, p_what text, p_collection_id integer, p_key integer DEFAULT NULL::integer, p_dataset uuid DEFAULT NULL::uuid, p_validity tstzrange DEFAULT NULL::tstzrange, p_extra jsonb DEFAULT '{}'::jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
CREATE OR REPLACE FUNCTION calib.probe(p_collection_id integer, p_data_id_key integer, p_span tstzrange)
 RETURNS TABLE(member_id integer, dataset_id uuid, ambiguous boolean)
 LANGUAGE sql
 STABLE
AS $function$
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
