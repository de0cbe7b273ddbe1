-- FROZEN downgrade of revision 0019, written by migrations/freeze.py from sources/0019_hardening.postgresql.down.sql.
-- Never edit by hand.
-- The functions this revision re-creates, as the previous revision had them (freeze.py).
CREATE OR REPLACE FUNCTION calib._document(p_value text, p_what text, p_json_elements boolean)
 RETURNS jsonb
 LANGUAGE plpgsql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* A list argument of an all-text form, as a JSON array document: the text is a JSON array
   (starts with '[') or a PostgreSQL array literal (starts with '{'), whose elements become
   JSON strings (NULL: null) or, with p_json_elements (lists of data IDs), are each read as
   JSON. NULL stays NULL. Errors, KC016 naming the argument p_what: not JSON and not an
   array literal (document_syntax), JSON that is not an array (document_not_array), a
   data-ID element that is not JSON (document_syntax with the element's position). */
DECLARE
    v_items text[];
    v_json jsonb;
    v_out jsonb[];
    v_reason text;
BEGIN
    IF p_value IS NULL THEN
        RETURN NULL;
    END IF;
    IF left(ltrim(p_value, E' \t\r\n'), 1) <> '{' THEN
        RETURN calib._document_array(calib._json_text(p_value, p_what), p_what);
    END IF;
    BEGIN
        v_items := p_value::text[];
    EXCEPTION WHEN invalid_text_representation THEN
        /* Not an array literal. A JSON object (one data ID instead of a list of them) is
           told as such; anything else is a broken array literal. */
        v_reason := SQLERRM;
        BEGIN
            v_json := p_value::jsonb;
        EXCEPTION WHEN invalid_text_representation THEN
            IF calib._raise('KC016',
                format('%s%s cannot be read as %s: %s', p_what, '',
                       'a JSON array or a PostgreSQL array literal', v_reason),
                jsonb_build_object('kind', 'document_syntax', 'what', p_what, 'position', NULL,
                                   'syntax', 'a JSON array or a PostgreSQL array literal',
                                   'reason', v_reason)) IS NULL THEN END IF;
        END;
        RETURN calib._document_array(v_json, p_what);
    END;
    IF p_json_elements THEN
        SELECT array_agg(calib._json_text(u.v, p_what, u.n::integer) ORDER BY u.n)
        INTO v_out FROM unnest(v_items) WITH ORDINALITY AS u(v, n);
    ELSE
        SELECT array_agg(to_jsonb(u.v) ORDER BY u.n)
        INTO v_out FROM unnest(v_items) WITH ORDINALITY AS u(v, n);
    END IF;
    RETURN coalesce(to_jsonb(v_out), '[]'::jsonb);
END
$function$;
CREATE OR REPLACE FUNCTION calib._json_text(p_value text, p_what text, p_position integer DEFAULT NULL::integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* A JSON value given as text (the all-text forms: a data ID, a where clause, a list
   document, an element of a PostgreSQL array literal of data IDs): parsed, or KC016
   (document_syntax) naming the argument p_what and, inside a list, the element's 1-based
   position p_position. NULL stays NULL. */
BEGIN
    RETURN p_value::jsonb;
EXCEPTION WHEN invalid_text_representation OR invalid_parameter_value THEN
    IF calib._raise('KC016',
        format('%s%s cannot be read as %s: %s', p_what,
               CASE WHEN p_position IS NULL THEN '' ELSE format(' (element %s)', p_position) END,
               'JSON', SQLERRM),
        jsonb_build_object('kind', 'document_syntax', 'what', p_what, 'position', p_position,
                           'syntax', 'JSON', 'reason', SQLERRM)) IS NULL THEN END IF;
    RETURN NULL;
END
$function$;
CREATE OR REPLACE FUNCTION calib._request(p_operation text)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
SELECT '0018'::text
$function$;
CREATE OR REPLACE FUNCTION calib._stamp_epoch()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
$function$;
CREATE OR REPLACE FUNCTION calib.check_integrity()
 RETURNS TABLE("check" text, detail jsonb)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET jit TO 'off'
AS $function$
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
            /* The history's references of certification versions to their changes (kept
               by triggers since revision 0017, calib._version_change_check; the other
               version tables' references are declared foreign keys). */
            UNION ALL
            SELECT 'certification_version', 'change',
                   jsonb_build_object('created_change', v.created_change), count(*)
            FROM calib.certification_version AS v
            WHERE NOT EXISTS (SELECT FROM calib.change AS c
                              WHERE c.change_id = v.created_change)
            GROUP BY v.created_change
            UNION ALL
            SELECT 'certification_version', 'change',
                   jsonb_build_object('removed_change', v.removed_change), count(*)
            FROM calib.certification_version AS v
            WHERE NOT EXISTS (SELECT FROM calib.change AS c
                              WHERE c.change_id = v.removed_change)
            GROUP BY v.removed_change
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

        /* History (README "History and time travel"): every past state obeyed the same
           rule. Two versions of one calibration key (collection, data ID) whose validities
           overlap were never visible at the same epoch: a version is visible from its
           creating change's epoch until its removing one's (calib._visible), so the two
           epoch intervals must not meet. Pairs with a closed version only (two current
           ones are certification_overlap's); each pair once; a change still pending (no
           epoch yet) is not part of any past state. */
        UNION ALL
        SELECT 'history_overlap',
               jsonb_build_object('collection', c.name, 'dataset_type', t.name,
                                  'data_id', di.value, 'epoch', greatest(a.created, b.created),
                                  'dataset', a.dataset_id::text,
                                  'timespan', calib._span_json(a.validity),
                                  'other_dataset', b.dataset_id::text,
                                  'other_timespan', calib._span_json(b.validity))
        FROM (SELECT v.*, cc.epoch AS created, rc.epoch AS removed
              FROM calib.certification_version AS v
              JOIN calib.change AS cc ON cc.change_id = v.created_change
              JOIN calib.change AS rc ON rc.change_id = v.removed_change
              WHERE cc.epoch IS NOT NULL) AS a
        JOIN (SELECT h.*, cc.epoch AS created, rc.epoch AS removed
              FROM calib.certification_history AS h
              JOIN calib.change AS cc ON cc.change_id = h.created_change
              LEFT JOIN calib.change AS rc ON rc.change_id = h.removed_change
              WHERE cc.epoch IS NOT NULL) AS b
          ON b.collection_id = a.collection_id AND b.data_id_key = a.data_id_key
         AND b.validity && a.validity
         AND b.created < coalesce(a.removed, 'Infinity'::numeric)
         AND a.created < coalesce(b.removed, 'Infinity'::numeric)
         AND (b.removed_change IS NULL
              OR (a.certification_id, a.created_change)
                 < (b.certification_id, b.created_change))
        LEFT JOIN calib.collection AS c ON c.collection_id = a.collection_id
        LEFT JOIN calib.dataset_type AS t ON t.dataset_type_id = a.dataset_type_id
        LEFT JOIN calib.data_id AS di ON di.data_id_key = a.data_id_key

        /* A version ends after it begins: its removing change has a later epoch than its
           creating one (a version created and removed by one change is never kept), in
           every version table; grouped by table and the two epochs. */
        UNION ALL
        SELECT 'history_version_order',
               jsonb_build_object('table', v.tbl, 'created_epoch', cc.epoch,
                                  'removed_epoch', rc.epoch, 'versions', count(*))
        FROM (SELECT 'certification_version' AS tbl, x.created_change, x.removed_change
              FROM calib.certification_version AS x
              UNION ALL
              SELECT 'collection_version', x.created_change, x.removed_change
              FROM calib.collection_version AS x WHERE x.removed_change IS NOT NULL
              UNION ALL
              SELECT 'chain_version', x.created_change, x.removed_change
              FROM calib.chain_version AS x WHERE x.removed_change IS NOT NULL
              UNION ALL
              SELECT 'tag_version', x.created_change, x.removed_change
              FROM calib.tag_version AS x WHERE x.removed_change IS NOT NULL
              UNION ALL
              SELECT 'dataset_version', x.created_change, x.removed_change
              FROM calib.dataset_version AS x WHERE x.removed_change IS NOT NULL) AS v
        JOIN calib.change AS cc ON cc.change_id = v.created_change
        JOIN calib.change AS rc ON rc.change_id = v.removed_change
        WHERE rc.epoch <= cc.epoch
        GROUP BY v.tbl, cc.epoch, rc.epoch

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
$function$;
-- Undo revision 0019 on PostgreSQL (source of versions/0019_hardening.postgresql.down.sql).
-- freeze.py puts back what 0019 changed as 0018 had it and drops what it created.
-- sec-install: begin
-- sec-install: end
-- sec-locks: begin
-- sec-locks: calib._stamp_epoch, put back above by freeze.py, takes the advisory lock again.
DROP TABLE calib.epoch_lock;
-- sec-locks: end
-- lead: begin
-- lead: end
