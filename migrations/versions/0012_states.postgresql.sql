-- FROZEN upgrade of revision 0012, written by migrations/freeze.py from sources/0012_states.postgresql.sql.
-- Never edit by hand.
-- Revision 0012 (0011 -> 0012) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0012_states.postgresql.sql (issue 15, item 3). Collection states (OPEN,
-- APPEND_ONLY, FROZEN) and writer lists: two columns of calib.collection (every existing
-- collection becomes OPEN with no writer list, i.e. as before), calib._check_change called by
-- every mutating function after its lock, the FROZEN triggers (sql/schema/frozen.sql),
-- set_collection_state and set_collection_writers, and list_collections showing both
-- (a new result type: dropped and created again, its grants with it).
ALTER TABLE calib.collection
    ADD COLUMN state text NOT NULL DEFAULT 'OPEN',
    ADD COLUMN writers text[],
    ADD CONSTRAINT collection_state_check CHECK (state IN ('OPEN', 'APPEND_ONLY', 'FROZEN')),
    ADD CONSTRAINT collection_writers_check
        CHECK (writers IS NULL OR (cardinality(writers) > 0
                                   AND array_position(writers, NULL) IS NULL));
CREATE INDEX collection_frozen_idx ON calib.collection (collection_id) WHERE state = 'FROZEN';
DROP FUNCTION calib.list_collections(text);
CREATE OR REPLACE FUNCTION calib._caller()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION calib._check_change(
    p_collection_id integer, p_operation text,
    p_keys integer[] DEFAULT NULL, p_begins timestamptz[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* May the caller make change p_operation to collection p_collection_id now? The one place
   the writer list and the collection states are checked, called by every mutating
   function right after it locked the collection row (calib._lock_collections): the state
   and writers read here are then those of the locked row, so a set_collection_state
   committed concurrently is seen either wholly before or wholly after the change.
   Rules, in this order:
   1. writers: when the collection has a writer list, the caller (calib._caller) must be a
      member (pg_has_role MEMBER, so also through intermediate roles; a superuser is a
      member of every role) of one of the roles still existing; KC017 otherwise.
   2. FROZEN: every operation is refused (KC018). The FROZEN triggers
      (sql/schema/frozen.sql) refuse the raw table writes as well; this gives the precise
      error first.
   3. APPEND_ONLY: decertify, untag, remove_collection and set_chain are refused (KC018);
      certify / certify_series (p_keys, p_begins: the calibration key and begin of each
      item, NULL begin = unbounded below) only where each begin is at or after the latest
      begin stored for its key in the collection. tag, insert_datasets, close_open and
      close_open_range add or end ranges and are allowed.
   Errors: KC017 access_denied; KC018 collection_frozen, collection_append_only,
   append_only_begin. */
DECLARE
    v_coll calib.collection;
    v_caller text;
    v_bad record;
BEGIN
    SELECT * INTO v_coll FROM calib.collection WHERE collection_id = p_collection_id;
    IF v_coll.writers IS NOT NULL THEN
        v_caller := calib._caller();
        IF NOT EXISTS (SELECT FROM unnest(v_coll.writers) AS w(name)
                       JOIN pg_roles AS r ON r.rolname = w.name
                       WHERE pg_has_role(v_caller, r.oid, 'MEMBER')) THEN
            IF calib._raise('KC017',
                format('role %L may not change collection %L: only members of %s may (%s refused)',
                       v_caller, v_coll.name, array_to_string(v_coll.writers, ', '), p_operation),
                jsonb_build_object('kind', 'access_denied', 'collection', v_coll.name,
                                   'role', v_caller, 'writers', to_jsonb(v_coll.writers),
                                   'operation', p_operation)) IS NULL THEN END IF;
        END IF;
    END IF;
    IF v_coll.state = 'FROZEN' THEN
        IF calib._raise('KC018',
            format('collection %L is FROZEN: %s refused', v_coll.name, p_operation),
            jsonb_build_object('kind', 'collection_frozen', 'collection', v_coll.name,
                               'operation', p_operation)) IS NULL THEN END IF;
    END IF;
    IF v_coll.state = 'APPEND_ONLY' THEN
        IF p_operation IN ('decertify', 'untag', 'remove_collection', 'set_chain') THEN
            IF calib._raise('KC018',
                format('collection %L is APPEND_ONLY: %s refused', v_coll.name, p_operation),
                jsonb_build_object('kind', 'collection_append_only', 'collection', v_coll.name,
                                   'operation', p_operation)) IS NULL THEN END IF;
        END IF;
        IF p_keys IS NOT NULL THEN
            /* The APPEND_ONLY begin rule (its SQLite twin: backends/sqlite/states.py). An
               unbounded begin is -infinity on both sides of the comparison. */
            SELECT u.ord, u.b, l.latest, di.value AS data_id, t.name AS type_name INTO v_bad
            FROM unnest(p_keys, p_begins) WITH ORDINALITY AS u(k, b, ord)
            CROSS JOIN LATERAL (
                SELECT max(coalesce(lower(c.validity), '-infinity')) AS latest
                FROM calib.certification AS c
                WHERE c.collection_id = p_collection_id AND c.data_id_key = u.k) AS l
            JOIN calib.data_id AS di ON di.data_id_key = u.k
            JOIN calib.dataset_type AS t ON t.dataset_type_id = di.dataset_type_id
            WHERE coalesce(u.b, '-infinity') < l.latest
            ORDER BY u.ord LIMIT 1;
            IF FOUND THEN
                IF calib._raise('KC018',
                    format('collection %L is APPEND_ONLY: %s refused: %L data ID %s begins at %s, before the latest begin %s',
                           v_coll.name, p_operation, v_bad.type_name, v_bad.data_id,
                           coalesce(calib._ts_text(v_bad.b), '-infinity'),
                           CASE WHEN isfinite(v_bad.latest) THEN calib._ts_text(v_bad.latest)
                                ELSE '-infinity' END),
                    jsonb_build_object('kind', 'append_only_begin', 'collection', v_coll.name,
                                       'operation', p_operation, 'dataset_type', v_bad.type_name,
                                       'data_id', v_bad.data_id,
                                       'begin', calib._ts_text(v_bad.b),
                                       'latest', CASE WHEN isfinite(v_bad.latest)
                                                      THEN calib._ts_text(v_bad.latest) END))
                    IS NULL THEN END IF;
            END IF;
        END IF;
    END IF;
END
$$;

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

CREATE OR REPLACE FUNCTION calib._certify_rows(
    p_coll calib.collection, p_datasets uuid[], p_begins timestamptz[], p_ends timestamptz[],
    p_series boolean, p_close_open boolean)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* The one implementation behind certify and certify_series. Item i certifies
   p_datasets[i] over [p_begins[i], p_ends[i]) (NULL = unbounded). In series mode the ends
   are ignored and derived: the next begin of the same calibration key, the last one
   unbounded.
   Order of work: every check that needs no lock, then the collection lock, then close_open,
   then one INSERT. The exclusion constraint finds every overlap (stored rows and rows of
   this same call alike); on a violation the conflicts are listed and KC001 is raised, which
   undoes the close_open update too.
   The collection's writers and state are checked right after its lock
   (calib._check_change, with each item's key and begin for the APPEND_ONLY rule).
   Errors: KC017/KC018 (calib._check_change), KC007 unknown dataset, KC006 not a calibration type, KC001 conflicts (also:
   two items of a series with the same key and begin). */
DECLARE
    v_res record := calib._resolve_datasets(p_datasets);
    v_ends timestamptz[] := p_ends;
    v_name text;
    v_n integer;
    v_conflicts jsonb;
BEGIN
    SELECT t.name INTO v_name FROM calib.dataset_type AS t
    WHERE t.dataset_type_id = ANY (v_res.o_types) AND NOT t.is_calibration
    ORDER BY t.dataset_type_id LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC006',
            format('dataset type %L is not a calibration type and cannot be certified', v_name),
            jsonb_build_object('kind', 'not_calibration_certify',
                               'dataset_type', v_name, 'collection', p_coll.name)) IS NULL THEN END IF;
    END IF;

    IF p_series THEN
        v_conflicts := (
            SELECT jsonb_agg(jsonb_build_object(
                       'dataset_type', t.name, 'data_id', di.value,
                       'dataset', g.ids[1], 'timespan', calib._span_json(tstzrange(g.b, NULL, '[)')),
                       'conflicting_dataset', g.ids[2],
                       'conflicting_timespan', calib._span_json(tstzrange(g.b, NULL, '[)')))
                   ORDER BY g.first)
            FROM (SELECT u.k, u.b, array_agg(u.id ORDER BY u.ord) AS ids, min(u.ord) AS first
                  FROM unnest(p_datasets, v_res.o_keys, p_begins) WITH ORDINALITY AS u(id, k, b, ord)
                  GROUP BY u.k, u.b HAVING count(*) > 1) AS g
            JOIN calib.data_id AS di ON di.data_id_key = g.k
            JOIN calib.dataset_type AS t ON t.dataset_type_id = di.dataset_type_id);
        IF v_conflicts IS NOT NULL THEN
            IF calib._raise('KC001',
                format('certify_series into %L: %s data ID %s has two items beginning at %s',
                       p_coll.name, v_conflicts->0->>'dataset_type', v_conflicts->0->'data_id',
                       coalesce(v_conflicts->0->'timespan'->>0, '-infinity')),
                jsonb_build_object('kind', 'series_duplicate_begin',
                                   'collection', p_coll.name, 'conflicts', v_conflicts)) IS NULL THEN END IF;
        END IF;
        v_ends := ARRAY(
            SELECT s.e FROM (
                SELECT u.ord, lead(u.b) OVER (PARTITION BY u.k ORDER BY u.b NULLS FIRST) AS e
                FROM unnest(v_res.o_keys, p_begins) WITH ORDINALITY AS u(k, b, ord)) AS s
            ORDER BY s.ord);
    END IF;

    IF calib._lock_collections(ARRAY[p_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(p_coll.collection_id,
                           CASE WHEN p_series THEN 'certify_series' ELSE 'certify' END,
                           v_res.o_keys, p_begins) IS NULL THEN END IF;

    IF p_close_open THEN
        /* For each key, the earliest new begin closes a stored open range that begins
           before it. A key with an item unbounded below closes nothing. */
        UPDATE calib.certification AS c
        SET validity = tstzrange(lower(c.validity), f.first_begin, '[)')
        FROM (SELECT u.k, min(u.b) AS first_begin
              FROM unnest(v_res.o_keys, p_begins) AS u(k, b)
              GROUP BY u.k HAVING bool_and(u.b IS NOT NULL)) AS f
        WHERE c.collection_id = p_coll.collection_id
          AND c.data_id_key = f.k
          AND c.validity && tstzrange(f.first_begin, NULL, '[)')
          AND upper_inf(c.validity)
          AND (lower_inf(c.validity) OR lower(c.validity) < f.first_begin);
    END IF;

    BEGIN
        INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
        SELECT p_coll.collection_id, u.t, u.k, u.id, tstzrange(u.b, u.e, '[)')
        FROM unnest(p_datasets, v_res.o_types, v_res.o_keys, p_begins, v_ends) AS u(id, t, k, b, e);
        GET DIAGNOSTICS v_n = ROW_COUNT;
    EXCEPTION WHEN exclusion_violation THEN
        v_conflicts := calib._certification_conflicts(
            p_coll.collection_id, p_datasets, v_res.o_keys, p_begins, v_ends);
        IF calib._raise('KC001',
            CASE WHEN v_conflicts IS NULL THEN
                format('certification into %L conflicts with a concurrent writer', p_coll.name)
            ELSE
                format('certification into %L conflicts: %s data ID %s, dataset %s over %s overlaps dataset %s over %s%s',
                       p_coll.name, v_conflicts->0->>'dataset_type', v_conflicts->0->'data_id',
                       v_conflicts->0->>'dataset', calib._span_text(v_conflicts->0->'timespan'),
                       v_conflicts->0->>'conflicting_dataset',
                       calib._span_text(v_conflicts->0->'conflicting_timespan'),
                       CASE WHEN jsonb_array_length(v_conflicts) > 1
                            THEN format(' (and %s more)', jsonb_array_length(v_conflicts) - 1) ELSE '' END)
            END,
            jsonb_build_object('kind', CASE WHEN v_conflicts IS NULL
                                            THEN 'certification_conflict_concurrent'
                                            ELSE 'certification_conflict' END,
                               'collection', p_coll.name,
                               'conflicts', coalesce(v_conflicts, '[]'::jsonb))) IS NULL THEN END IF;
    END;
    RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION calib.list_collections(p_type text DEFAULT NULL)
RETURNS TABLE (name text, type text, doc text, state text, writers text[])
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Every collection (optionally of one type), by name, with its state (OPEN, APPEND_ONLY,
   FROZEN) and writer list (NULL: every certifier). Read-only. */
SELECT c.name, c.type, c.doc, c.state, c.writers
FROM calib.collection AS c
WHERE p_type IS NULL OR c.type = upper(p_type)
ORDER BY c.name
$$;

CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children text[])
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Replace the children of CHAINED collection p_parent, atomically, by p_children in order
   (a repeated child is kept at its first position only; an empty array empties the chain).
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002 unknown parent or child, KC003 parent not CHAINED, KC004 a cycle (the
   parent itself, or a chain that already contains the parent), KC015 NULL.
   Locks: calib._lock_chains(), then the parent row (calib._lock_collections). */
DECLARE
    v_parent calib.collection := calib._collection(p_parent, ARRAY['CHAINED']);
    v_ids integer[];
    v_missing text;
    v_cycle text;
BEGIN
    IF p_children IS NULL OR array_position(p_children, NULL) IS NOT NULL THEN
        IF calib._raise('KC015', 'chain children must be a non-NULL array of names',
                             jsonb_build_object('kind', 'chain_children_null',
                                                'collection', p_parent)) IS NULL THEN END IF;
    END IF;
    /* Names are stored in NFC: look the children up by their NFC spelling. */
    p_children := ARRAY(SELECT normalize(u.c, NFC)
                        FROM unnest(p_children) WITH ORDINALITY AS u(c, ord) ORDER BY u.ord);
    IF calib._lock_chains() IS NULL THEN END IF;
    /* Look it up again: a concurrent remove may have committed while we waited. */
    v_parent := calib._collection(p_parent, ARRAY['CHAINED']);
    IF calib._lock_collections(ARRAY[v_parent.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_parent.collection_id, 'set_chain') IS NULL THEN END IF;

    SELECT u.name INTO v_missing
    FROM unnest(p_children) WITH ORDINALITY AS u(name, ord)
    LEFT JOIN calib.collection AS c ON c.name = u.name
    WHERE c.collection_id IS NULL ORDER BY u.ord LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC002',
            format('collection %L (child of chain %L) does not exist', v_missing, p_parent),
            jsonb_build_object('kind', 'chain_child_missing', 'collection', v_missing,
                               'parent', p_parent)) IS NULL THEN END IF;
    END IF;

    v_ids := ARRAY(
        SELECT c.collection_id
        FROM (SELECT DISTINCT ON (u.name) u.name, u.ord
              FROM unnest(p_children) WITH ORDINALITY AS u(name, ord)
              ORDER BY u.name, u.ord) AS firsts
        JOIN calib.collection AS c ON c.name = firsts.name
        ORDER BY firsts.ord);

    /* A cycle exists iff the parent is reachable from one of the new children. */
    WITH RECURSIVE reach (collection_id, via) AS (
        SELECT c, c FROM unnest(v_ids) AS c
        UNION
        SELECT ch.child_id, r.via
        FROM reach AS r JOIN calib.collection_chain AS ch ON ch.parent_id = r.collection_id
    )
    SELECT c.name INTO v_cycle
    FROM reach AS r JOIN calib.collection AS c ON c.collection_id = r.via
    WHERE r.collection_id = v_parent.collection_id
    ORDER BY array_position(v_ids, r.via)  -- the first new child that leads back
    LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC004',
            format('making %L a child of chain %L would create a cycle', v_cycle, p_parent),
            jsonb_build_object('kind', 'chain_cycle', 'collection', p_parent, 'child', v_cycle)) IS NULL THEN END IF;
    END IF;

    DELETE FROM calib.collection_chain WHERE parent_id = v_parent.collection_id;
    INSERT INTO calib.collection_chain (parent_id, position, child_id)
    SELECT v_parent.collection_id, u.ord, u.id
    FROM unnest(v_ids) WITH ORDINALITY AS u(id, ord);
END
$$;

CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children jsonb)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* set_chain with the children as one JSON array document of names (calib._names).
   PL/pgSQL, as the typed form, so that both return the same void value. */
BEGIN
    IF calib.set_chain(p_parent, calib._names(p_children, 'children')) IS NULL THEN END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* set_chain with the children as text: a JSON array or a PostgreSQL array literal. */
BEGIN
    IF calib.set_chain(p_parent, calib._names(calib._document(p_children, 'children', false),
                                                   'children')) IS NULL THEN END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.remove_collection(p_name text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Remove a TAGGED, CALIBRATION or CHAINED collection with its associations (tags,
   certifications, chain children); its datasets stay in their RUNs. A RUN may be removed
   only while it holds no dataset.
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002 unknown, KC013 still a child of a chain / RUN with datasets.
   Locks: calib._lock_chains(), then the collection row. */
DECLARE
    v_coll calib.collection := calib._collection(p_name);
    v_parent text;
BEGIN
    IF calib._lock_chains() IS NULL THEN END IF;
    /* Look it up again: a concurrent remove may have committed while we waited. */
    v_coll := calib._collection(p_name);
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'remove_collection') IS NULL THEN END IF;
    SELECT p.name INTO v_parent
    FROM calib.collection_chain AS ch JOIN calib.collection AS p ON p.collection_id = ch.parent_id
    WHERE ch.child_id = v_coll.collection_id
    ORDER BY p.name LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC013',
            format('collection %L is still a child of chain %L', p_name, v_parent),
            jsonb_build_object('kind', 'collection_in_chain', 'collection', p_name,
                               'parent', v_parent)) IS NULL THEN END IF;
    END IF;
    IF v_coll.type = 'RUN' AND EXISTS (SELECT FROM calib.dataset WHERE run_id = v_coll.collection_id) THEN
        IF calib._raise('KC013',
            format('RUN collection %L still holds datasets; datasets are never deleted', p_name),
            jsonb_build_object('kind', 'run_has_datasets', 'collection', p_name)) IS NULL THEN END IF;
    END IF;
    DELETE FROM calib.collection WHERE collection_id = v_coll.collection_id;
END
$$;

CREATE OR REPLACE FUNCTION calib.insert_datasets(
    p_dataset_type text, p_run text, p_data_ids jsonb[], p_ids uuid[] DEFAULT NULL)
RETURNS TABLE (dataset_id uuid, data_id jsonb)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Create one dataset per data ID in RUN collection p_run; returns (id, canonical data ID)
   in input order. p_ids brings the caller's own UUIDs (same length); otherwise random
   UUIDs are generated. Set-based: data IDs are interned and datasets inserted with one
   statement each.
   A dimension used for the first time gets the value type of its first value here.
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002/KC003 run unknown or not a RUN, KC005 unknown type, KC008 bad data ID
   (calib._canonical_data_ids: also a value of the other type than its dimension's),
   KC010 a data ID repeated in the call or already in the run, or an id already used,
   KC015 NULLs / p_ids of another length.
   Locks: the run's collection row (calib._lock_collections). */
DECLARE
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type);
    v_run calib.collection := calib._collection(p_run, ARRAY['RUN']);
    /* First use of a dimension fixes its value type (calib.dimension). */
    v_new_dimensions boolean := calib._fix_dimensions(v_type, p_data_ids);
    v_values jsonb[] := calib._canonical_data_ids(v_type, p_data_ids);
    v_ids uuid[];
    v_keys integer[];
    v_dup jsonb;
    v_dup_id uuid;
BEGIN
    IF p_ids IS NOT NULL AND (cardinality(p_ids) <> cardinality(p_data_ids)
                              OR array_position(p_ids, NULL) IS NOT NULL) THEN
        IF calib._raise('KC015',
            format('%s ids given for %s data IDs (ids must be non-NULL, one per data ID)',
                   cardinality(p_ids), cardinality(p_data_ids)),
            jsonb_build_object('kind', 'ids_count', 'dataset_type', p_dataset_type,
                               'collection', p_run, 'n_ids', cardinality(p_ids),
                               'n_data_ids', cardinality(p_data_ids))) IS NULL THEN END IF;
    END IF;
    v_ids := coalesce(p_ids, ARRAY(SELECT gen_random_uuid() FROM generate_series(1, cardinality(v_values))));

    SELECT u.v INTO v_dup FROM unnest(v_values) WITH ORDINALITY AS u(v, ord)
    GROUP BY u.v HAVING count(*) > 1 ORDER BY min(u.ord) LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC010',
            format('data ID %s of dataset type %L appears more than once in one call', v_dup, p_dataset_type),
            jsonb_build_object('kind', 'data_id_repeated', 'dataset_type', p_dataset_type,
                               'data_id', v_dup, 'collection', p_run)) IS NULL THEN END IF;
    END IF;
    SELECT u.i INTO v_dup_id FROM unnest(v_ids) WITH ORDINALITY AS u(i, ord)
    GROUP BY u.i HAVING count(*) > 1 ORDER BY min(u.ord) LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC010', format('dataset id %s appears more than once in one call', v_dup_id),
                             jsonb_build_object('kind', 'dataset_id_repeated', 'dataset', v_dup_id)) IS NULL THEN END IF;
    END IF;

    IF calib._lock_collections(ARRAY[v_run.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_run.collection_id, 'insert_datasets') IS NULL THEN END IF;

    SELECT d.dataset_id INTO v_dup_id FROM calib.dataset AS d WHERE d.dataset_id = ANY (v_ids)
    ORDER BY d.dataset_id LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC010', format('dataset id %s already exists', v_dup_id),
                             jsonb_build_object('kind', 'dataset_id_exists', 'dataset', v_dup_id)) IS NULL THEN END IF;
    END IF;

    /* Intern in a fixed order so that concurrent callers cannot deadlock on each other's
       speculative insertions. */
    INSERT INTO calib.data_id (dataset_type_id, value)
    SELECT v_type.dataset_type_id, v FROM unnest(v_values) AS v ORDER BY v
    ON CONFLICT ON CONSTRAINT data_id_type_value_key DO NOTHING;
    v_keys := ARRAY(
        SELECT di.data_id_key
        FROM unnest(v_values) WITH ORDINALITY AS u(v, ord)
        JOIN calib.data_id AS di ON di.dataset_type_id = v_type.dataset_type_id AND di.value = u.v
        ORDER BY u.ord);

    SELECT di.value INTO v_dup
    FROM calib.dataset AS d JOIN calib.data_id AS di ON di.data_id_key = d.data_id_key
    WHERE d.run_id = v_run.collection_id AND d.data_id_key = ANY (v_keys)
    ORDER BY d.data_id_key LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC010',
            format('RUN %L already has a %L dataset with data ID %s', p_run, p_dataset_type, v_dup),
            jsonb_build_object('kind', 'run_data_id_exists', 'collection', p_run,
                               'dataset_type', p_dataset_type, 'data_id', v_dup)) IS NULL THEN END IF;
    END IF;

    /* In id order too: two calls given the same new ids in opposite orders (into
       different RUNs, so under different collection locks) then meet on the same first
       id, and the later one waits for it and fails (dataset_pkey) instead of deadlocking
       with the other halfway through. */
    INSERT INTO calib.dataset (dataset_id, dataset_type_id, data_id_key, run_id)
    SELECT u.id, v_type.dataset_type_id, u.k, v_run.collection_id
    FROM unnest(v_ids, v_keys) AS u(id, k)
    ORDER BY u.id;

    RETURN QUERY SELECT u.id, u.v FROM unnest(v_ids, v_values) AS u(id, v);
END
$$;

CREATE OR REPLACE FUNCTION calib.insert_datasets(
    p_dataset_type text, p_run text, p_data_ids jsonb, p_ids jsonb DEFAULT NULL)
RETURNS TABLE (dataset_id uuid, data_id jsonb)
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* insert_datasets with the data IDs and the ids as JSON array documents
   ('[{"instrument": "Cam", "detector": 1}]', '["<uuid>"]'); same results and errors, KC016
   for a document that is not such an array. */
SELECT * FROM calib.insert_datasets(p_dataset_type, p_run,
                                    calib._data_ids(p_data_ids, 'data_ids'),
                                    calib._uuids(p_ids, 'ids'))
$$;

CREATE OR REPLACE FUNCTION calib.insert_datasets(
    p_dataset_type text, p_run text, p_data_ids text, p_ids text DEFAULT NULL)
RETURNS TABLE (dataset_id uuid, data_id jsonb)
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* insert_datasets with every argument as text: data IDs and ids as JSON arrays or
   PostgreSQL array literals (calib._document). */
SELECT * FROM calib.insert_datasets(
    p_dataset_type, p_run,
    calib._data_ids(calib._document(p_data_ids, 'data_ids', true), 'data_ids'),
    calib._uuids(calib._document(p_ids, 'ids', false), 'ids'))
$$;

CREATE OR REPLACE FUNCTION calib.tag(p_collection text, p_datasets uuid[])
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Add datasets to TAGGED collection p_collection. A TAGGED collection holds at most one
   dataset per (dataset type, data ID); tagging a dataset already there is a no-op.
   Returns the number of datasets newly tagged.
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset, KC010 another
   dataset of the same type and data ID is tagged already (or in the same call).
   Locks: the collection row. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection, ARRAY['TAGGED']);
    v_res record := calib._resolve_datasets(p_datasets);
    v_bad record;
    v_n integer;
BEGIN
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'tag') IS NULL THEN END IF;
    WITH n AS (SELECT DISTINCT u.id, u.k FROM unnest(p_datasets, v_res.o_keys) AS u(id, k)),
    clash AS (
        SELECT 0 AS src, a.id, b.id AS other, a.k
        FROM n AS a JOIN n AS b ON a.k = b.k AND a.id < b.id
        UNION ALL
        SELECT 1, n.id, t.dataset_id, n.k FROM n
        JOIN calib.tag AS t ON t.collection_id = v_coll.collection_id AND t.data_id_key = n.k
                           AND t.dataset_id <> n.id
    )
    SELECT clash.*, di.value AS data_id, dt.name AS type_name INTO v_bad
    FROM clash JOIN calib.data_id AS di ON di.data_id_key = clash.k
    JOIN calib.dataset_type AS dt ON dt.dataset_type_id = di.dataset_type_id
    /* A fixed choice when there are several (the same on every plan and backend): clashes
       within the call first, then by key and ids. */
    ORDER BY clash.src, clash.k, clash.id, clash.other
    LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC010',
            format('TAGGED collection %L can hold only one %L dataset with data ID %s: %s and %s',
                   p_collection, v_bad.type_name, v_bad.data_id, v_bad.id, v_bad.other),
            jsonb_build_object('kind', 'tag_clash', 'collection', p_collection,
                               'dataset_type', v_bad.type_name,
                               'data_id', v_bad.data_id, 'dataset', v_bad.id,
                               'conflicting_dataset', v_bad.other)) IS NULL THEN END IF;
    END IF;
    INSERT INTO calib.tag (collection_id, dataset_type_id, data_id_key, dataset_id)
    SELECT DISTINCT v_coll.collection_id, u.t, u.k, u.id
    FROM unnest(p_datasets, v_res.o_types, v_res.o_keys) AS u(id, t, k)
    ON CONFLICT ON CONSTRAINT tag_pkey DO NOTHING;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION calib.tag(p_collection text, p_datasets jsonb)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* tag with the datasets as one JSON array document of UUID strings (calib._uuids). */
SELECT calib.tag(p_collection, calib._uuids(p_datasets, 'datasets'))
$$;

CREATE OR REPLACE FUNCTION calib.tag(p_collection text, p_datasets text)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* tag with the datasets as text: a JSON array or a PostgreSQL array literal. */
SELECT calib.tag(p_collection, calib._uuids(calib._document(p_datasets, 'datasets', false),
                                           'datasets'))
$$;

CREATE OR REPLACE FUNCTION calib.untag(p_collection text, p_datasets uuid[])
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Remove datasets from TAGGED collection p_collection; datasets not tagged there are
   ignored. Returns the number removed.
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset.
   Locks: the collection row. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection, ARRAY['TAGGED']);
    v_res record := calib._resolve_datasets(p_datasets);
    v_n integer;
BEGIN
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'untag') IS NULL THEN END IF;
    DELETE FROM calib.tag AS t
    WHERE t.collection_id = v_coll.collection_id AND t.dataset_id = ANY (p_datasets);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION calib.untag(p_collection text, p_datasets jsonb)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* untag with the datasets as one JSON array document of UUID strings (calib._uuids). */
SELECT calib.untag(p_collection, calib._uuids(p_datasets, 'datasets'))
$$;

CREATE OR REPLACE FUNCTION calib.untag(p_collection text, p_datasets text)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* untag with the datasets as text: a JSON array or a PostgreSQL array literal. */
SELECT calib.untag(p_collection, calib._uuids(calib._document(p_datasets, 'datasets', false),
                                           'datasets'))
$$;

CREATE OR REPLACE FUNCTION calib.certify(
    p_collection text, p_datasets uuid[], p_timespan tstzrange, p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* Certify each dataset of p_datasets into CALIBRATION collection p_collection over
   p_timespan ([) bounds; +-infinity or a missing bound = unbounded). All or nothing: any
   overlap with a stored certification of the same calibration key (collection, dataset
   type, data ID), or between two datasets of this call, stores nothing.
   p_close_open: a stored certification of the same key with an unbounded end that begins
   before the new begin is first closed at the new begin; every other overlap still fails.
   Returns the number of certifications stored.
   Errors: KC017 caller not a writer, KC018 refused by the collection's state,
   KC002/KC003 collection unknown or not CALIBRATION, KC009 bad timespan, KC007
   unknown dataset, KC006 non-calibration type, KC001 conflict (detail lists every conflict),
   55P03 lock timeout.
   Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).

   Two ways, one result. The fast way covers the common case (no close_open, every check
   passes, the collection OPEN with no writer list -- nothing for calib._check_change to
   refuse --, the collection row free to lock now) in two statements: lock the collection row
   with SKIP LOCKED (so it never waits), then insert; the table's own constraints refuse
   a bad item, a bad timespan or an overlap. It decides nothing else: if the row was not
   locked, or a constraint refused the rows, its subtransaction undoes the insert and the
   general way, calib._certify_rows, does the call again: it raises the precise error, or
   stores everything after a bounded wait for the lock. Why: the general way runs six PL/pgSQL
   frames and eleven statements, and each statement of a function costs ~10 us of set-up
   in every new transaction; that, not the work, was most of a one-dataset call
   (bench/README.md, "What was changed").
   force_generic_plan: a custom plan for a one-element array is always estimated cheaper,
   so the insert would otherwise be planned again on every call. */
DECLARE
    v_n integer;
    v_id integer;
    v_coll calib.collection;
    v_span tstzrange;
BEGIN
    IF NOT coalesce(p_close_open, false) AND cardinality(p_datasets) > 0 THEN
        SELECT c.collection_id INTO v_id FROM calib.collection AS c
        WHERE c.name = p_collection AND c.type = 'CALIBRATION'
          AND c.state = 'OPEN' AND c.writers IS NULL
        FOR NO KEY UPDATE SKIP LOCKED;
        IF FOUND THEN
            BEGIN
                /* One row per item, whatever it is: an unknown dataset, one of a type that
                   is not a calibration type, or a NULL item leaves a NULL in a NOT NULL
                   column, so the table refuses the whole statement like any overlap. */
                INSERT INTO calib.certification
                    (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
                SELECT v_id, t.dataset_type_id, d.data_id_key, u.id, p_timespan
                FROM unnest(p_datasets) AS u(id)
                LEFT JOIN calib.dataset AS d ON d.dataset_id = u.id
                LEFT JOIN calib.dataset_type AS t
                  ON t.dataset_type_id = d.dataset_type_id AND t.is_calibration;
                GET DIAGNOSTICS v_n = ROW_COUNT;
                RETURN v_n;
            EXCEPTION WHEN integrity_constraint_violation THEN
                NULL;  -- undone; the general way below raises the precise error
            END;
        END IF;
    END IF;

    v_coll := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_span := calib._timespan(p_timespan);
    v_n := coalesce(cardinality(p_datasets), 0);
    RETURN calib._certify_rows(
        v_coll, p_datasets,
        array_fill(lower(v_span), ARRAY[v_n]), array_fill(upper(v_span), ARRAY[v_n]),
        false, coalesce(p_close_open, false));
END
$$;

CREATE OR REPLACE FUNCTION calib.certify(
    p_collection text, p_datasets jsonb, p_timespan tstzrange, p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certify with the datasets as one JSON array document of UUID strings
   ('["<uuid>", ...]'); the same results and errors, plus KC016 for a document that is not
   such an array (calib._uuids). */
SELECT calib.certify(p_collection, calib._uuids(p_datasets, 'datasets'), p_timespan, p_close_open)
$$;

CREATE OR REPLACE FUNCTION calib.certify(
    p_collection text, p_datasets text, p_timespan text, p_close_open text DEFAULT 'false')
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certify with every argument as text, the form that untyped literals and drivers binding
   text reach: datasets a JSON array or a PostgreSQL array literal (calib._document), the
   timespan a range of ISO 8601 instants with a UTC offset (calib._parse_timespan: a time
   without one is KC009), close_open a boolean's text. */
SELECT calib.certify(p_collection,
                     calib._uuids(calib._document(p_datasets, 'datasets', false), 'datasets'),
                     calib._parse_timespan(p_timespan, 'timespan'),
                     calib._parse_boolean(p_close_open, 'close_open'))
$$;

CREATE OR REPLACE FUNCTION calib.decertify(
    p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Remove validity inside p_timespan from every certification of p_dataset_type in
   CALIBRATION collection p_collection (only those data IDs when p_data_ids is given):
   a certification fully covered is removed, one straddling an end is shortened, one
   containing the span is split in two. Set-based: one DELETE, one INSERT of the remaining
   pieces (range difference as multiranges). Returns the number of certifications touched;
   nothing matching is a no-op (0).
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009
   bad timespan, KC008 bad data ID. Locks: the collection row, FOR NO KEY UPDATE. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type, true);
    v_span tstzrange := calib._timespan(p_timespan);
    v_keys integer[] := calib._data_id_keys(v_type, p_data_ids);
    v_n integer;
BEGIN
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
    RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION calib.decertify(
    p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* decertify with the data IDs as one JSON array document (NULL or JSON null: all); same
   results and errors, KC016 for a document that is not an array. No default for
   p_data_ids: a three-argument call must keep reaching the typed form. */
SELECT calib.decertify(p_collection, p_dataset_type, p_timespan,
                       calib._data_ids(p_data_ids, 'data_ids'))
$$;

CREATE OR REPLACE FUNCTION calib.decertify(
    p_collection text, p_dataset_type text, p_timespan text, p_data_ids text DEFAULT NULL)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* decertify with every argument as text: the timespan a range of ISO 8601 instants with a
   UTC offset (calib._parse_timespan), the data IDs a JSON array or a PostgreSQL array
   literal (calib._document). */
SELECT calib.decertify(
    p_collection, p_dataset_type, calib._parse_timespan(p_timespan, 'timespan'),
    calib._data_ids(calib._document(p_data_ids, 'data_ids', true), 'data_ids'))
$$;

CREATE OR REPLACE FUNCTION calib.close_open_range(
    p_collection text, p_dataset_type text, p_end timestamptz, p_data_ids jsonb[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Give every certification of p_dataset_type in p_collection whose end is unbounded (only
   those data IDs when p_data_ids is given) the end p_end. Returns how many were closed.
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC009 if one of them begins at or after p_end (nothing is changed) or p_end is
   NULL / infinite; KC002/KC003/KC005/KC006/KC008 as decertify.
   Locks: the collection row, FOR NO KEY UPDATE. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type, true);
    v_keys integer[] := calib._data_id_keys(v_type, p_data_ids);
    v_bad record;
    v_n integer;
BEGIN
    IF p_end IS NULL OR NOT isfinite(p_end) THEN
        IF calib._raise('KC009',
            format('close_open_range in %L needs a finite end, not %s', p_collection, coalesce(p_end::text, 'NULL')),
            jsonb_build_object('kind', 'close_open_range_end', 'collection', p_collection,
                               'dataset_type', p_dataset_type, 'end', p_end::text)) IS NULL THEN END IF;
    END IF;
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'close_open_range') IS NULL THEN END IF;
    /* Open ranges all overlap [p_end, infinity): the GiST index narrows the scan. */
    SELECT c.dataset_id, c.validity, di.value AS data_id INTO v_bad
    FROM calib.certification AS c JOIN calib.data_id AS di ON di.data_id_key = c.data_id_key
    WHERE c.collection_id = v_coll.collection_id
      AND c.dataset_type_id = v_type.dataset_type_id
      AND c.validity && tstzrange(p_end, NULL, '[)')
      AND upper_inf(c.validity) AND NOT lower_inf(c.validity) AND lower(c.validity) >= p_end
      AND (v_keys IS NULL OR c.data_id_key = ANY (v_keys))
    ORDER BY lower(c.validity), c.data_id_key
    LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC009',
            format('cannot close %L data ID %s in %L at %s: dataset %s begins at %s',
                   p_dataset_type, v_bad.data_id, p_collection, calib._ts_text(p_end),
                   v_bad.dataset_id, calib._ts_text(lower(v_bad.validity))),
            jsonb_build_object('kind', 'close_open_range_begins_after',
                               'collection', p_collection, 'dataset_type', p_dataset_type,
                               'data_id', v_bad.data_id, 'dataset', v_bad.dataset_id,
                               'timespan', calib._span_json(v_bad.validity),
                               'end', calib._ts_text(p_end))) IS NULL THEN END IF;
    END IF;
    UPDATE calib.certification AS c
    SET validity = tstzrange(lower(c.validity), p_end, '[)')
    WHERE c.collection_id = v_coll.collection_id
      AND c.dataset_type_id = v_type.dataset_type_id
      AND c.validity && tstzrange(p_end, NULL, '[)')
      AND upper_inf(c.validity)
      AND (v_keys IS NULL OR c.data_id_key = ANY (v_keys));
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION calib.close_open_range(
    p_collection text, p_dataset_type text, p_end timestamptz, p_data_ids jsonb)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* close_open_range with the data IDs as one JSON array document (NULL or JSON null: all);
   same results and errors, KC016 for a document that is not an array. No default for
   p_data_ids: a three-argument call must keep reaching the typed form. */
SELECT calib.close_open_range(p_collection, p_dataset_type, p_end,
                              calib._data_ids(p_data_ids, 'data_ids'))
$$;

CREATE OR REPLACE FUNCTION calib.close_open_range(
    p_collection text, p_dataset_type text, p_end text, p_data_ids text DEFAULT NULL)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* close_open_range with every argument as text: the end an ISO 8601 instant with a UTC
   offset (calib._parse_instant), the data IDs a JSON array or a PostgreSQL array literal. */
SELECT calib.close_open_range(
    p_collection, p_dataset_type, calib._parse_instant(p_end, 'end'),
    calib._data_ids(calib._document(p_data_ids, 'data_ids', true), 'data_ids'))
$$;

CREATE OR REPLACE FUNCTION calib.set_collection_state(p_name text, p_state text)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Set the state of collection p_name: OPEN (every change allowed, the default), APPEND_ONLY
   (certify only at or after the latest begin of each calibration key, tag, insert_datasets,
   close_open and close_open_range; no decertify, untag, set_chain or removal) or FROZEN (no
   change at all, from any role, raw SQL included). Case-insensitive. Returns the previous
   state. Unfreezing (FROZEN to OPEN or APPEND_ONLY) is allowed to whoever may call this
   function (calib_admin): it is not itself refused by the state, nor by the writer list,
   which restricts changes of the collection's content, not its administration.
   Errors: KC002 unknown collection, KC015 NULL or unknown state.
   Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections): waits for the
   writers in flight, and a writer that comes after sees the new state. */
DECLARE
    v_coll calib.collection := calib._collection(p_name);
    v_old text;
BEGIN
    IF p_state IS NULL THEN
        IF calib._raise('KC015', 'collection state must not be NULL',
                        jsonb_build_object('kind', 'argument_null', 'what', 'collection state'))
            IS NULL THEN END IF;
    END IF;
    IF upper(p_state) NOT IN ('OPEN', 'APPEND_ONLY', 'FROZEN') THEN
        IF calib._raise('KC015',
            format('unknown collection state %L; expected OPEN, APPEND_ONLY or FROZEN', p_state),
            jsonb_build_object('kind', 'collection_state_unknown', 'state', p_state,
                               'collection', p_name)) IS NULL THEN END IF;
    END IF;
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    SELECT c.state INTO v_old FROM calib.collection AS c
    WHERE c.collection_id = v_coll.collection_id;
    UPDATE calib.collection SET state = upper(p_state)
    WHERE collection_id = v_coll.collection_id AND state <> upper(p_state);
    RETURN v_old;
END
$$;

CREATE OR REPLACE FUNCTION calib.set_collection_writers(p_name text, p_roles text[])
RETURNS text[]
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Only members of the roles p_roles (directly or through other roles, as pg_has_role
   MEMBER says; a superuser always) may change collection p_name from now on; NULL resets
   to the default, every role allowed to call the mutating functions. A role repeated is
   kept once, at its first position. Roles are stored by name: a role renamed or dropped
   later grants nothing (fail-closed); set the list again. Which role is checked: the
   session's SET ROLE, else its login (calib._caller). Returns the previous list (NULL for
   the default). Allowed on a FROZEN collection: the list is the collection's
   administration, not its content.
   Errors: KC002 unknown collection; KC015 an empty list, a NULL element, a role that does
   not exist. Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections). */
DECLARE
    v_coll calib.collection := calib._collection(p_name);
    v_missing text;
    v_old text[];
BEGIN
    IF p_roles IS NOT NULL THEN
        IF cardinality(p_roles) = 0 OR array_position(p_roles, NULL) IS NOT NULL THEN
            IF calib._raise('KC015',
                format('writers of %L must be NULL (every certifier) or a non-empty list of role names',
                       p_name),
                jsonb_build_object('kind', 'writers_invalid', 'collection', p_name))
                IS NULL THEN END IF;
        END IF;
        SELECT u.r INTO v_missing FROM unnest(p_roles) WITH ORDINALITY AS u(r, ord)
        WHERE NOT EXISTS (SELECT FROM pg_roles AS g WHERE g.rolname = u.r)
        ORDER BY u.ord LIMIT 1;
        IF FOUND THEN
            IF calib._raise('KC015',
                format('role %L (writer of %L) does not exist', v_missing, p_name),
                jsonb_build_object('kind', 'role_missing', 'role', v_missing,
                                   'collection', p_name)) IS NULL THEN END IF;
        END IF;
        p_roles := ARRAY(SELECT f.r FROM (SELECT DISTINCT ON (u.r) u.r, u.ord
                                          FROM unnest(p_roles) WITH ORDINALITY AS u(r, ord)
                                          ORDER BY u.r, u.ord) AS f
                         ORDER BY f.ord);
    END IF;
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    SELECT c.writers INTO v_old FROM calib.collection AS c
    WHERE c.collection_id = v_coll.collection_id;
    UPDATE calib.collection SET writers = p_roles WHERE collection_id = v_coll.collection_id;
    RETURN v_old;
END
$$;

CREATE OR REPLACE FUNCTION calib.set_collection_writers(p_name text, p_roles jsonb)
RETURNS text[]
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* set_collection_writers with the roles as one JSON array document of names (calib._names);
   NULL or JSON null resets to every certifier. */
BEGIN
    RETURN calib.set_collection_writers(p_name, calib._names(p_roles, 'writers'));
END
$$;

CREATE OR REPLACE FUNCTION calib.set_collection_writers(p_name text, p_roles text)
RETURNS text[]
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* set_collection_writers with the roles as text: a JSON array or a PostgreSQL array
   literal; NULL resets to every certifier. */
BEGIN
    RETURN calib.set_collection_writers(
        p_name, calib._names(calib._document(p_roles, 'writers', false), 'writers'));
END
$$;

-- CREATE OR REPLACE: a revision can run this whole file again (migrations/sources/).
/* The FROZEN rule for every writer, in one file (the trigger function is
   calib._frozen_guard): a FROZEN collection's row, certifications, tags, datasets (of a
   RUN) and chain children cannot be inserted, updated or deleted, by any role, the table
   owner's raw SQL included, nor the tables truncated while a collection is FROZEN.
   Statement-level with transition tables on the row tables (one check per statement,
   however many rows), so the bulk paths pay once per statement. A DBA who must repair a
   frozen collection unfreezes it (calib.set_collection_state), or, as the owner, disables
   these triggers for that one transaction: that is visible in the server log, and
   intended to be exceptional. */
CREATE OR REPLACE TRIGGER collection_frozen_guard
    BEFORE UPDATE OR DELETE ON calib.collection
    FOR EACH ROW WHEN (OLD.state = 'FROZEN')
    EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER certification_frozen_insert
    AFTER INSERT ON calib.certification REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER certification_frozen_update
    AFTER UPDATE ON calib.certification REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER certification_frozen_delete
    AFTER DELETE ON calib.certification REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER tag_frozen_insert
    AFTER INSERT ON calib.tag REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER tag_frozen_update
    AFTER UPDATE ON calib.tag REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER tag_frozen_delete
    AFTER DELETE ON calib.tag REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER dataset_frozen_insert
    AFTER INSERT ON calib.dataset REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER dataset_frozen_update
    AFTER UPDATE ON calib.dataset REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER dataset_frozen_delete
    AFTER DELETE ON calib.dataset REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER collection_chain_frozen_insert
    AFTER INSERT ON calib.collection_chain REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER collection_chain_frozen_update
    AFTER UPDATE ON calib.collection_chain REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER collection_chain_frozen_delete
    AFTER DELETE ON calib.collection_chain REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER certification_frozen_truncate
    BEFORE TRUNCATE ON calib.certification
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER tag_frozen_truncate
    BEFORE TRUNCATE ON calib.tag
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER dataset_frozen_truncate
    BEFORE TRUNCATE ON calib.dataset
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER collection_chain_frozen_truncate
    BEFORE TRUNCATE ON calib.collection_chain
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER collection_frozen_truncate
    BEFORE TRUNCATE ON calib.collection
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();

/* Privileges. Functions run as their owner (SECURITY DEFINER, search_path pinned), so
   callers need EXECUTE, not table rights: every change goes through the functions (and so
   through their checks, locks and, later, the history ledger). calib_reader may look up
   and read the tables; calib_writer may also call the mutating functions. Private helpers
   (names starting with _) are not granted to anyone. Each JSON-document and all-text form
   of a function (README "Calling from another service") gets the grant of its typed form.
   PUBLIC gets nothing: schema/security.sql revokes what PostgreSQL gives it by default and
   hands every object to calib_owner. */
GRANT USAGE ON SCHEMA calib TO calib_reader, calib_writer;
GRANT SELECT ON ALL TABLES IN SCHEMA calib TO calib_reader, calib_writer;
GRANT EXECUTE ON FUNCTION
    calib.find(text, text, jsonb, timestamptz),
    calib.find(text, text, jsonb, tstzrange),
    calib.find(text, text, text, text),
    calib.find(text, text, jsonb, text),
    calib.find_many(text, text, jsonb[], timestamptz[]),
    calib.find_many(text, text, jsonb[], tstzrange[]),
    calib.find_many(text, text, jsonb, jsonb),
    calib.find_many(text, text, text, text),
    calib.certifications(text, text),
    calib.query_datasets(text, text, jsonb),
    calib.query_datasets(text, text, text),
    calib.get_datasets(uuid[]),
    calib.get_datasets(jsonb),
    calib.get_datasets(text),
    calib.get_chain(text),
    calib.list_collections(text),
    calib.list_dataset_types(),
    calib.probe(integer, integer, tstzrange)
TO calib_reader, calib_writer;
GRANT EXECUTE ON FUNCTION
    calib.register_collection(text, text, text),
    calib.set_chain(text, text[]),
    calib.set_chain(text, jsonb),
    calib.set_chain(text, text),
    calib.remove_collection(text),
    calib.register_dataset_type(text, text[], boolean),
    calib.register_dataset_type(text, jsonb, boolean),
    calib.register_dataset_type(text, text, text),
    calib.insert_datasets(text, text, jsonb[], uuid[]),
    calib.insert_datasets(text, text, jsonb, jsonb),
    calib.insert_datasets(text, text, text, text),
    calib.tag(text, uuid[]),
    calib.tag(text, jsonb),
    calib.tag(text, text),
    calib.untag(text, uuid[]),
    calib.untag(text, jsonb),
    calib.untag(text, text),
    calib.certify(text, uuid[], tstzrange, boolean),
    calib.certify(text, jsonb, tstzrange, boolean),
    calib.certify(text, text, text, text),
    calib.certify_series(text, uuid[], timestamptz[], boolean),
    calib.certify_series(text, jsonb, jsonb, boolean),
    calib.certify_series(text, text, text, text),
    calib.decertify(text, text, tstzrange, jsonb[]),
    calib.decertify(text, text, tstzrange, jsonb),
    calib.decertify(text, text, text, text),
    calib.close_open_range(text, text, timestamptz, jsonb[]),
    calib.close_open_range(text, text, timestamptz, jsonb),
    calib.close_open_range(text, text, text, text),
    calib.copy_collection(text, text, text)
TO calib_writer;
/* Collection states and writer lists (revision 0012). */
-- lead: calib_admin
GRANT EXECUTE ON FUNCTION
    calib.set_collection_state(text, text),
    calib.set_collection_writers(text, text[]),
    calib.set_collection_writers(text, jsonb),
    calib.set_collection_writers(text, text)
TO calib_writer;

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

