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
     allowed (that is how an admin unfreezes it: calib.set_collection_state). A snapshot
     (revision 0014) is the other way round: it may be deleted, and never unfrozen.
   - tables certification, tag, dataset and collection_chain, AFTER each statement, with
     its transition table (new_rows or old_rows; one trigger per event, as PostgreSQL
     wants), joined on the column that holds the collection (collection_id, run_id,
     parent_id). One query per statement, however many rows, and none while no collection
     is FROZEN. A chain's child is not
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
        /* A snapshot (calib.snapshot) is FROZEN by construction: it may be removed, never
           unfrozen. */
        IF EXISTS (SELECT FROM calib.snapshot AS s WHERE s.collection_id = OLD.collection_id) THEN
            v_name := CASE WHEN TG_OP = 'DELETE' THEN NULL
                           WHEN NEW.state <> 'FROZEN' THEN OLD.name ELSE v_name END;
        END IF;
    ELSIF TG_OP = 'TRUNCATE' THEN
        SELECT c.name INTO v_name FROM calib.collection AS c WHERE c.state = 'FROZEN'
        ORDER BY c.name LIMIT 1;
    ELSIF EXISTS (SELECT FROM calib.collection AS c WHERE c.state = 'FROZEN') THEN
        /* Static statements, one per table (PL/pgSQL keeps their plans per trigger table;
           a dynamic EXECUTE was planned on every statement, doubling a one-dataset
           certify); the EXISTS above, on the partial index collection_frozen_idx, spares
           the transition tables while nothing is frozen. */
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            CASE TG_TABLE_NAME
            WHEN 'certification', 'tag' THEN
                SELECT c.name INTO v_name FROM new_rows AS r
                JOIN calib.collection AS c ON c.collection_id = r.collection_id
                WHERE c.state = 'FROZEN' ORDER BY c.name LIMIT 1;
            WHEN 'dataset' THEN
                SELECT c.name INTO v_name FROM new_rows AS r
                JOIN calib.collection AS c ON c.collection_id = r.run_id
                WHERE c.state = 'FROZEN' ORDER BY c.name LIMIT 1;
            ELSE
                SELECT c.name INTO v_name FROM new_rows AS r
                JOIN calib.collection AS c ON c.collection_id = r.parent_id
                WHERE c.state = 'FROZEN' ORDER BY c.name LIMIT 1;
            END CASE;
        END IF;
        IF v_name IS NULL AND TG_OP IN ('UPDATE', 'DELETE') THEN
            CASE TG_TABLE_NAME
            WHEN 'certification', 'tag' THEN
                SELECT c.name INTO v_name FROM old_rows AS r
                JOIN calib.collection AS c ON c.collection_id = r.collection_id
                WHERE c.state = 'FROZEN' ORDER BY c.name LIMIT 1;
            WHEN 'dataset' THEN
                SELECT c.name INTO v_name FROM old_rows AS r
                JOIN calib.collection AS c ON c.collection_id = r.run_id
                WHERE c.state = 'FROZEN' ORDER BY c.name LIMIT 1;
            ELSE
                SELECT c.name INTO v_name FROM old_rows AS r
                JOIN calib.collection AS c ON c.collection_id = r.parent_id
                WHERE c.state = 'FROZEN' ORDER BY c.name LIMIT 1;
            END CASE;
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
