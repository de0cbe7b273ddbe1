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
