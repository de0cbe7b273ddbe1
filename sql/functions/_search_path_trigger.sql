CREATE OR REPLACE FUNCTION calib._search_path_trigger()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Keeps calib.search_path right for every writer (the triggers are in
   schema/triggers.sql):
   - a new RUN, TAGGED or CALIBRATION collection: its own row. No lock: until it commits
     nobody else sees it, so no chain lists it yet (a new chain has an empty path);
   - a statement on collection_chain: the parents it changed (transition tables), every
     chain after a TRUNCATE; calib._refresh_search_paths then adds the chains above;
   - a collection changing type (raw SQL only: no function does that): before the update,
     its rows as a member go (so the foreign key has nothing to check), after it, its own
     path and the paths above it are recomputed.
   SECURITY DEFINER: a role allowed to write collection_chain or collection need not be
   allowed to write search_path for the paths to stay right. */
BEGIN
    IF TG_TABLE_NAME = 'collection' THEN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO calib.search_path (collection_id, rank, member_id, member_type)
            VALUES (NEW.collection_id, 1, NEW.collection_id, NEW.type);
        ELSIF TG_WHEN = 'BEFORE' THEN
            IF calib._lock_chains() IS NULL THEN END IF;
            DELETE FROM calib.search_path WHERE member_id = OLD.collection_id;
            RETURN NEW;
        ELSE
            IF calib._refresh_search_paths(ARRAY[NEW.collection_id]) IS NULL THEN END IF;
        END IF;
    ELSIF TG_OP = 'TRUNCATE' THEN
        IF calib._refresh_search_paths(
            ARRAY(SELECT c.collection_id FROM calib.collection AS c WHERE c.type = 'CHAINED')) IS NULL THEN END IF;
    ELSIF TG_OP = 'INSERT' THEN
        IF calib._refresh_search_paths(ARRAY(SELECT DISTINCT n.parent_id FROM new_rows AS n)) IS NULL THEN END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF calib._refresh_search_paths(ARRAY(SELECT DISTINCT o.parent_id FROM old_rows AS o)) IS NULL THEN END IF;
    ELSE
        IF calib._refresh_search_paths(ARRAY(
            SELECT o.parent_id FROM old_rows AS o UNION SELECT n.parent_id FROM new_rows AS n)) IS NULL THEN END IF;
    END IF;
    RETURN NULL;
END
$$;
