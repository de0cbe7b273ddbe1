CREATE OR REPLACE FUNCTION calib._stamp_epoch()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Deferred constraint trigger change_epoch on calib.change: at COMMIT, gives the
   transaction's change its epoch and commit time. The epoch is taken under the epoch
   lock, the one row of calib.epoch_lock locked FOR UPDATE (revision 0019; an advisory
   lock up to 0018, which any login could take and hold: schema/epoch_lock.sql), held
   until the commit has happened and is visible: the next committer waits for it, so epochs
   follow commit order and once calib.current_epoch() returns E, no change with an epoch
   below E can still commit. The lock is held only from here to the commit itself, so
   writers of different collections run concurrently until their last moment. SET
   CONSTRAINTS ALL IMMEDIATE fires this early: the epoch is then taken early and the lock
   held longer, still in commit order (later writes of the same transaction reuse the
   change). Numbering at first write instead would be wrong: see calib.epoch_seq.
   SECURITY DEFINER: a deferred trigger runs at COMMIT as the session's role, outside the
   SECURITY DEFINER function that made the change, and no service role may write
   calib.change, take numbers from calib.epoch_seq or lock calib.epoch_lock itself.
   Errors: 55P03 (wait 'epoch') when the lock is not granted within calib.lock_timeout;
   P0002 (no rows) if the row of calib.epoch_lock was deleted by hand: every commit then
   fails rather than numbering without the lock.
   Locks: the row of calib.epoch_lock FOR UPDATE, to the end of the transaction. */
DECLARE
    v_epoch bigint;
    v_old text;
    v_row boolean;
BEGIN
    /* Usually nobody else is committing: take the lock without waiting (SKIP LOCKED: no
       row when another transaction holds it), and without the cost of the bounded wait
       below (a savepoint and two settings; a 1-row certify paid ~15% more for them).
       Otherwise wait, bounded like every wait (calib._bound_waits): normally the holder is
       only committing, but a session that ran SET CONSTRAINTS ALL IMMEDIATE holds the
       lock from its first change to its end. */
    PERFORM FROM calib.epoch_lock FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        v_old := calib._bound_waits();
        BEGIN
            SELECT l.only_row INTO STRICT v_row FROM calib.epoch_lock AS l FOR UPDATE;
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
$$;
