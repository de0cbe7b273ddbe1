-- Undo revision 0017 on PostgreSQL (source of versions/0017_speed2.postgresql.down.sql).
-- freeze.py puts back what 0017 changed as 0016 had it and drops what it created.
-- pg-findmany: the lookup's btree index goes (calib.probe's 0016 definition, put back
-- above, probes the exclusion constraint's GiST index).
DROP INDEX calib.certification_lookup_idx;
-- pg-findmany: end
-- pg-fk: the declared foreign keys of calib.certification_version again, without the
-- triggers (freeze.py drops their functions).
DROP TRIGGER certification_version_change_insert ON calib.certification_version;
DROP TRIGGER certification_version_change_update ON calib.certification_version;
DROP TRIGGER change_refs_before_delete ON calib.change;
DROP TRIGGER change_refs_delete ON calib.change;
DROP TRIGGER change_refs_rekey ON calib.change;
DROP TRIGGER change_refs_truncate ON calib.change;
-- A version naming a missing change (only a superuser bypassing the triggers can leave one)
-- would make the constraints fail with PostgreSQL's bare message: say what and how first.
DO $$
BEGIN
    IF EXISTS (SELECT FROM calib.certification_version AS v
               WHERE NOT EXISTS (SELECT FROM calib.change AS c
                                 WHERE c.change_id = v.created_change)
                  OR NOT EXISTS (SELECT FROM calib.change AS c
                                 WHERE c.change_id = v.removed_change)) THEN
        RAISE EXCEPTION 'cannot downgrade below revision 0017 while versions of certifications name changes that do not exist: calib.check_integrity() lists them (missing_reference, table certification_version); delete those versions first';
    END IF;
END
$$;
ALTER TABLE calib.certification_version
    ADD CONSTRAINT certification_version_created_fkey FOREIGN KEY (created_change)
        REFERENCES calib.change (change_id),
    ADD CONSTRAINT certification_version_removed_fkey FOREIGN KEY (removed_change)
        REFERENCES calib.change (change_id);
-- pg-fk: prune_history, put back by freeze.py, keeps the comment 0017 gave it: 0016's, again.
COMMENT ON FUNCTION calib.prune_history(bigint) IS
    'Retention (README "Retention and request ids"): drops the history older than epoch p_before. Deleted: every closed version (of certification_version, collection_version, chain_version, tag_version, dataset_version) whose removing change has an epoch below p_before -- no as-of read at an epoch >= p_before can see it (calib._visible: it was gone by then) and history from p_before on never shows it --, then every change row below p_before that no version and no current certification refers to any more. Versions still visible at p_before (current ones, or closed at or after p_before) stay with the changes that created them, so as-of reads at every epoch >= p_before answer exactly as before (tests/test_pg_retention.py replays them all). The history horizon (calib.history_horizon) becomes p_before: as-of reads and history since an epoch below it are then refused (as_of_pruned) instead of answered wrongly. The horizon never moves back: a p_before at or below it drops nothing. A change''s request id goes with its row: a retry of a pruned request is no longer recognised.
Arguments: p_before: 0 <= p_before <= calib.current_epoch().
Returns: the number of versions dropped.
Locks: the calib.history_horizon row FOR UPDATE (prunes take turns; a wait bounded by calib.lock_timeout); ROW EXCLUSIVE on the version tables and calib.change, like any writer, and the deleted rows, which nobody writes any more (closed versions, changes nothing refers to). No table lock: lookups (current and as-of) and writers go on. The work is linear in the history dropped plus one pass over the current certifications; to keep each transaction short, prune in steps of increasing p_before.
Errors: KC015 argument_null, KC015 prune_range (p_before out of range), KC015 prune_snapshot (a snapshot reads an epoch below p_before), 55P03 (wait ''history_horizon'') when another prune holds the horizon beyond calib.lock_timeout.';
-- pg-fk: end
