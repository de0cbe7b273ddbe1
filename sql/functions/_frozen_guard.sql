CREATE OR REPLACE FUNCTION calib._frozen_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* The FROZEN rule for every writer, the table owner's raw SQL included (triggers in
   sql/schema/frozen.sql): no row of a FROZEN collection is inserted, changed or deleted.
   The functions refuse first, with the operation's name (calib._check_change); this is
   what holds when a statement does not go through them.
   Three uses:
   - table collection, FOR EACH ROW, BEFORE UPDATE OR DELETE: a FROZEN collection is not
     removed, renamed, retyped or re-documented; changing only its state or writers is
     allowed (that is how an admin unfreezes it: calib.set_collection_state).
   - tables certification, tag, dataset and collection_chain, AFTER each statement, with
     its transition table (new_rows or old_rows; one trigger per event, as PostgreSQL
     wants): TG_ARGV[0] names the column that holds the collection (collection_id, run_id,
     parent_id). One query per statement, however many rows. A chain's child is not
     guarded: putting a FROZEN collection into a chain, or taking it out, changes the
     chain, not the child.
   - TRUNCATE of any of these tables while a collection is FROZEN.
   Errors: KC018 collection_frozen (operation: the statement and table). */
DECLARE
    v_name text;
BEGIN
    IF TG_LEVEL = 'ROW' THEN
        IF OLD.state = 'FROZEN'
           AND (TG_OP = 'DELETE'
                OR (NEW.collection_id, NEW.name, NEW.type, NEW.doc)
                   IS DISTINCT FROM (OLD.collection_id, OLD.name, OLD.type, OLD.doc)) THEN
            v_name := OLD.name;
        END IF;
    ELSIF TG_OP = 'TRUNCATE' THEN
        SELECT c.name INTO v_name FROM calib.collection AS c WHERE c.state = 'FROZEN'
        ORDER BY c.name LIMIT 1;
    ELSE
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            EXECUTE format('SELECT c.name FROM new_rows AS r JOIN calib.collection AS c'
                           ' ON c.collection_id = r.%I WHERE c.state = %L ORDER BY c.name LIMIT 1',
                           TG_ARGV[0], 'FROZEN') INTO v_name;
        END IF;
        IF v_name IS NULL AND TG_OP IN ('UPDATE', 'DELETE') THEN
            EXECUTE format('SELECT c.name FROM old_rows AS r JOIN calib.collection AS c'
                           ' ON c.collection_id = r.%I WHERE c.state = %L ORDER BY c.name LIMIT 1',
                           TG_ARGV[0], 'FROZEN') INTO v_name;
        END IF;
    END IF;
    IF v_name IS NOT NULL THEN
        IF calib._raise('KC018',
            format('collection %L is FROZEN: %s refused', v_name,
                   lower(TG_OP) || ' on table calib.' || TG_TABLE_NAME),
            jsonb_build_object('kind', 'collection_frozen', 'collection', v_name,
                               'operation', lower(TG_OP) || ' on table calib.' || TG_TABLE_NAME))
            IS NULL THEN END IF;
    END IF;
    IF TG_LEVEL = 'ROW' AND TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
