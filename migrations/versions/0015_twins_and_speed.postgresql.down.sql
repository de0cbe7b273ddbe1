-- FROZEN downgrade of revision 0015, written by migrations/freeze.py from sources/0015_twins_and_speed.postgresql.down.sql.
-- Never edit by hand.
-- The functions this revision re-creates, as the previous revision had them (freeze.py).
CREATE OR REPLACE FUNCTION calib._lookup(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_spans tstzrange[], p_as_of bigint DEFAULT NULL::bigint)
 RETURNS TABLE(ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The lookup behind find and find_many. Query i is (p_data_ids[i], p_spans[i]); an
   instant t is passed as the range [t,t], a NULL span skips CALIBRATION collections. The
   rule itself (first member of the search path with any match decides; more than one match
   there is ambiguous) is calib.probe's, applied to each query here; this function resolves
   the names, validates the data IDs, raises the errors and names the RUN of each dataset.
   One row per query, in input order, NULLs when nothing matched anywhere.
   Set-based and linear in the number of queries: one probe per query (inlined), and the
   per-query state lives in parallel arrays that are only ever unnested together (never
   subscripted per row: subscripting a jsonb[] or a uuid[] with NULLs walks it from the
   start). Data IDs equal to a stored one are valid and canonical already; the full
   validation runs only when some data ID is not stored.
   p_as_of: answer as of that epoch (checked by calib._as_of): the collection as named
   then, the rule applied by calib._probe_as_of (calib._probe_all_as_of) to the versions
   visible then; NULL (every
   current caller) reads the current tables through calib.probe, unchanged.
   Errors: KC011 when the deciding member of some query has more than one match (the first
   such query in input order); KC002 / KC005 / KC008 / KC015 for bad arguments. Read-only,
   no locks. */
DECLARE
    v_epoch bigint := calib._as_of(p_as_of);
    v_coll_id integer := CASE WHEN p_as_of IS NULL THEN (calib._collection(p_collection)).collection_id
                              ELSE calib._collection_as_of(p_collection, v_epoch) END;
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type);
    v_values jsonb[];
    v_keys integer[];
    v_ids uuid[];
    v_members integer[];
    v_open bigint;
    v_n integer;
    v_pos integer;
    v_span tstzrange;
    v_member text;
    v_member_id integer;
    v_read_epoch bigint;
    v_root integer;
BEGIN
    IF p_data_ids IS NULL THEN
        IF calib._raise('KC015', 'data IDs must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'data IDs')) IS NULL THEN END IF;
    END IF;
    v_n := cardinality(p_data_ids);
    SELECT array_agg(di.data_id_key ORDER BY u.ord), array_agg(di.value ORDER BY u.ord),
           count(*) FILTER (WHERE di.data_id_key IS NULL)
    INTO v_keys, v_values, v_open
    FROM unnest(p_data_ids) WITH ORDINALITY AS u(v, ord)
    LEFT JOIN calib.data_id AS di ON di.dataset_type_id = v_type.dataset_type_id AND di.value = u.v;
    IF v_open > 0 THEN
        /* Some data ID is not stored: validate them all (KC008 names the first bad one in
           input order) and look the canonical forms up. */
        v_values := calib._canonical_data_ids(v_type, p_data_ids);
        SELECT array_agg(di.data_id_key ORDER BY u.ord) INTO v_keys
        FROM unnest(v_values) WITH ORDINALITY AS u(v, ord)
        LEFT JOIN calib.data_id AS di ON di.dataset_type_id = v_type.dataset_type_id AND di.value = u.v;
    END IF;
    IF p_spans IS NULL OR cardinality(p_spans) <> v_n THEN
        IF calib._raise('KC015',
            format('lookup in %L needs one time (or NULL) per data ID', p_collection),
            jsonb_build_object('kind', 'lookup_times_count', 'collection', p_collection)) IS NULL THEN END IF;
    END IF;
    IF v_n = 0 THEN
        RETURN;
    END IF;

    /* A data ID never stored (NULL key) matches nothing: no probe. */
    SELECT array_agg(p.dataset_id ORDER BY u.ord), array_agg(p.member_id ORDER BY u.ord),
           min(u.ord) FILTER (WHERE p.ambiguous)
    INTO v_ids, v_members, v_pos
    FROM unnest(v_keys, p_spans) WITH ORDINALITY AS u(k, span, ord)
    LEFT JOIN LATERAL calib.probe(v_coll_id, u.k, u.span) AS p ON u.k IS NOT NULL
    WHERE v_epoch IS NULL;
    IF v_epoch IS NOT NULL THEN
        SELECT array_agg(p.dataset_id ORDER BY p.ord), array_agg(p.member_id ORDER BY p.ord),
               min(p.ord) FILTER (WHERE p.ambiguous)
        INTO v_ids, v_members, v_pos
        FROM calib._probe_all_as_of(v_coll_id, v_keys, p_spans, v_epoch) AS p;
    END IF;

    IF v_pos IS NOT NULL THEN
        v_span := p_spans[v_pos];
        v_member_id := v_members[v_pos];
        v_read_epoch := v_epoch;
        v_root := v_coll_id;
        IF v_epoch IS NULL THEN
            /* A snapshot member (revision 0014) decided: name the member of its source
               that did, as of the snapshot's epoch. */
            SELECT sp.snapshot_of, sp.snapshot_epoch INTO v_root, v_read_epoch
            FROM calib.search_path AS sp
            WHERE sp.collection_id = v_coll_id AND sp.member_id = v_member_id
              AND sp.snapshot_epoch IS NOT NULL;
            IF FOUND THEN
                SELECT p.member_id INTO v_member_id
                FROM calib._probe_as_of(v_root, v_keys[v_pos], v_span, v_read_epoch) AS p;
            END IF;
        END IF;
        IF v_read_epoch IS NULL THEN
            SELECT mc.name INTO v_member FROM calib.collection AS mc
            WHERE mc.collection_id = v_member_id;
        ELSE
            /* Each member is read at its own epoch (a snapshot's, when reached through one). */
            SELECT a.member_name, a.member_epoch INTO v_member, v_read_epoch
            FROM calib._search_path_as_of(v_root, v_read_epoch) AS a
            WHERE a.member_id = v_member_id
            ORDER BY a.rank LIMIT 1;
        END IF;
        IF calib._raise('KC011',
            format('lookup of %L data ID %s in %L is ambiguous: collection %L has more than one '
                   'certification valid %s', p_dataset_type, v_values[v_pos], p_collection,
                   v_member,
                   CASE WHEN lower(v_span) = upper(v_span) THEN 'at ' || calib._ts_text(lower(v_span))
                        ELSE 'during ' || calib._span_text(calib._span_json(v_span)) END),
            jsonb_build_object(
                'kind', CASE WHEN lower(v_span) = upper(v_span) THEN 'lookup_ambiguous_at'
                             ELSE 'lookup_ambiguous_during' END,
                'collection', v_member, 'searched', p_collection,
                'dataset_type', p_dataset_type, 'data_id', v_values[v_pos],
                'datasets', CASE WHEN v_read_epoch IS NULL THEN
                            (SELECT jsonb_agg(c.dataset_id ORDER BY lower(c.validity) NULLS FIRST)
                             FROM calib.certification AS c
                             JOIN calib.collection AS mc ON mc.collection_id = c.collection_id
                             WHERE mc.name = v_member AND c.data_id_key = v_keys[v_pos]
                               AND c.validity && v_span)
                            ELSE
                            (SELECT jsonb_agg(c.dataset_id ORDER BY lower(c.validity) NULLS FIRST)
                             FROM calib.certification_history AS c
                             WHERE c.collection_id = v_member_id AND c.data_id_key = v_keys[v_pos]
                               AND c.validity && v_span
                               AND calib._visible(c.created_change, c.removed_change, v_read_epoch))
                            END)
            || CASE WHEN lower(v_span) = upper(v_span)
                    THEN jsonb_build_object('at', calib._ts_text(lower(v_span)))
                    ELSE jsonb_build_object('timespan', calib._span_json(v_span)) END) IS NULL THEN END IF;
    END IF;

    RETURN QUERY
    SELECT u.ord, u.id, v_type.name, CASE WHEN u.id IS NULL THEN NULL ELSE u.v END, r.name
    FROM unnest(v_ids, v_values) WITH ORDINALITY AS u(id, v, ord)
    LEFT JOIN calib.dataset AS d ON d.dataset_id = u.id
    LEFT JOIN calib.collection AS r ON r.collection_id = d.run_id
    ORDER BY u.ord;
END
$function$;
CREATE OR REPLACE FUNCTION calib._revert_apply(p_change bigint, p_epoch bigint)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Write the inverse of change p_change (epoch p_epoch) as part of the caller's change
   (calib.revert). Every check is made right before the write it guards and every failure
   raises, so the whole revert is one atomic statement: it changes everything or nothing.
   Order (the order of calib._revert_actions):
   1. locks: calib._lock_chains() when the change touched a chain or registered / removed a
      collection, then the rows of every touched collection that exists now, ascending
      (calib._lock_collections); then the writer list and state of each (calib._check_change
      with operation 'revert'; an APPEND_ONLY collection refuses a revert too, which removes
      or rewrites what is there), except collections whose only change was their state or
      writers: that is administration, not content, as for set_collection_state.
   2. what the change created is removed: its certifications, tags, chain positions,
      datasets (unless used since: revert_in_use), registered collections (unless holding
      content or in a chain since: revert_in_use). A created row that a later change closed
      is revert_row_changed.
   3. what it removed is restored as it was (the same ids): collections (unless the name is
      taken: revert_occupied), datasets, chain positions (then no cycle: revert_chain_cycle),
      tags, certifications (an overlap with a later one: KC001 revert_overlap). A restored
      row whose collection, dataset or child was removed since: revert_target_removed; whose
      place a later row holds: revert_occupied.
   4. collections whose state or writers it changed get their old values back.
   Errors: KC019 (calib._revert_conflict), KC001 revert_overlap, KC017/KC018 from
   calib._check_change, KC018 collection_append_only, 55P03, KC002 (the locks).
   Locks: as in 1. */
DECLARE
    v_ids integer[];
    v_content integer[];
    v_id integer;
    v_bad record;
    v_conflicts jsonb;
    v_name text;
BEGIN
    /* 1. Which collections, then the locks. */
    v_content := ARRAY(
        SELECT c.collection_id FROM calib.certification AS c WHERE c.created_change = p_change
        UNION SELECT v.collection_id FROM calib.certification_version AS v
              WHERE v.created_change = p_change OR v.removed_change = p_change
        UNION SELECT v.collection_id FROM calib.tag_version AS v
              WHERE v.created_change = p_change OR v.removed_change = p_change
        UNION SELECT v.run_id FROM calib.dataset_version AS v
              WHERE v.created_change = p_change OR v.removed_change = p_change
        UNION SELECT v.parent_id FROM calib.chain_version AS v
              WHERE v.created_change = p_change OR v.removed_change = p_change
        /* registered or removed by the change (not only its settings changed) */
        UNION SELECT v.collection_id FROM calib.collection_version AS v
              WHERE (v.created_change = p_change OR v.removed_change = p_change)
                AND NOT (EXISTS (SELECT FROM calib.collection_version AS a
                                 WHERE a.collection_id = v.collection_id AND a.created_change = p_change)
                         AND EXISTS (SELECT FROM calib.collection_version AS b
                                     WHERE b.collection_id = v.collection_id AND b.removed_change = p_change)));
    v_ids := ARRAY(
        SELECT c.collection_id FROM calib.collection AS c
        WHERE c.collection_id = ANY (v_content)
           OR c.collection_id IN (SELECT v.collection_id FROM calib.collection_version AS v
                                  WHERE v.created_change = p_change OR v.removed_change = p_change)
        ORDER BY 1);
    IF EXISTS (SELECT FROM calib.chain_version AS v WHERE v.created_change = p_change OR v.removed_change = p_change)
       OR EXISTS (SELECT FROM calib.collection_version AS v
                  WHERE (v.created_change = p_change OR v.removed_change = p_change)
                    AND v.collection_id = ANY (v_content)) THEN
        IF calib._lock_chains() IS NULL THEN END IF;
    END IF;
    IF cardinality(v_ids) > 0 THEN
        IF calib._lock_collections(v_ids) IS NULL THEN END IF;
    END IF;
    /* A snapshot is FROZEN by construction and its content is its source's: a revert can
       only remove it (the change created it) or bring it back, both of which an admin
       may do as remove_collection does; so its state is not checked. */
    FOR v_id IN SELECT c.collection_id FROM calib.collection AS c
                WHERE c.collection_id = ANY (v_content)
                  AND NOT EXISTS (SELECT FROM calib.snapshot AS s
                                  WHERE s.collection_id = c.collection_id)
                ORDER BY 1 LOOP
        IF calib._check_change(v_id, 'revert') IS NULL THEN END IF;
        SELECT c.name INTO v_bad FROM calib.collection AS c
        WHERE c.collection_id = v_id AND c.state = 'APPEND_ONLY';
        IF FOUND THEN
            IF calib._raise('KC018', format('collection %L is APPEND_ONLY: revert refused', v_bad.name),
                jsonb_build_object('kind', 'collection_append_only', 'collection', v_bad.name,
                                   'operation', 'revert')) IS NULL THEN END IF;
        END IF;
    END LOOP;

    /* 2. Remove what the change created, checking it was not changed since. */
    SELECT v.* INTO v_bad FROM calib.certification_version AS v
    WHERE v.created_change = p_change ORDER BY v.removed_change LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_row_changed', p_epoch, v_bad.removed_change, 'certification',
            v_bad.collection_id, v_bad.data_id_key, v_bad.dataset_id, v_bad.validity) IS NULL THEN END IF;
    END IF;
    DELETE FROM calib.certification AS c WHERE c.created_change = p_change;

    SELECT v.* INTO v_bad FROM calib.tag_version AS v
    WHERE v.created_change = p_change AND v.removed_change IS NOT NULL ORDER BY v.removed_change LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_row_changed', p_epoch, v_bad.removed_change, 'tag',
            v_bad.collection_id, v_bad.data_id_key, v_bad.dataset_id) IS NULL THEN END IF;
    END IF;
    DELETE FROM calib.tag AS t USING calib.tag_version AS v
    WHERE v.created_change = p_change AND v.removed_change IS NULL
      AND t.collection_id = v.collection_id AND t.data_id_key = v.data_id_key;

    SELECT v.*, (SELECT n.name FROM calib.collection_version AS n WHERE n.collection_id = v.child_id
                 ORDER BY n.created_change DESC LIMIT 1) AS child INTO v_bad
    FROM calib.chain_version AS v
    WHERE v.created_change = p_change AND v.removed_change IS NOT NULL ORDER BY v.removed_change LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_row_changed', p_epoch, v_bad.removed_change, 'chain position',
            v_bad.parent_id, p_extra => jsonb_build_object('position', v_bad.position, 'child', v_bad.child))
            IS NULL THEN END IF;
    END IF;
    DELETE FROM calib.collection_chain AS c USING calib.chain_version AS v
    WHERE v.created_change = p_change AND v.removed_change IS NULL
      AND c.parent_id = v.parent_id AND c.position = v.position;

    SELECT v.* INTO v_bad FROM calib.dataset_version AS v
    WHERE v.created_change = p_change AND v.removed_change IS NOT NULL ORDER BY v.removed_change LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_row_changed', p_epoch, v_bad.removed_change, 'dataset',
            v_bad.run_id, v_bad.data_id_key, v_bad.dataset_id) IS NULL THEN END IF;
    END IF;
    /* A dataset is removed only while nothing refers to it (the certifications and tags
       the change made are gone by now; later ones hold it). */
    SELECT v.run_id, v.data_id_key, v.dataset_id, u.change_id INTO v_bad
    FROM calib.dataset_version AS v
    CROSS JOIN LATERAL (
        SELECT c.created_change AS change_id FROM calib.certification AS c WHERE c.dataset_id = v.dataset_id
        UNION ALL
        SELECT t.created_change FROM calib.tag_version AS t
        WHERE t.dataset_id = v.dataset_id AND t.removed_change IS NULL
        LIMIT 1) AS u
    WHERE v.created_change = p_change AND v.removed_change IS NULL
    ORDER BY v.dataset_id LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_in_use', p_epoch, v_bad.change_id, 'dataset',
            v_bad.run_id, v_bad.data_id_key, v_bad.dataset_id) IS NULL THEN END IF;
    END IF;
    DELETE FROM calib.dataset AS d USING calib.dataset_version AS v
    WHERE v.created_change = p_change AND v.removed_change IS NULL AND d.dataset_id = v.dataset_id;

    /* Collections: a version the change opened and a later change closed (a removal, or
       a state or writer change since) stands in the way of both a removal and a settings
       restore. */
    SELECT v.* INTO v_bad FROM calib.collection_version AS v
    WHERE v.created_change = p_change AND v.removed_change IS NOT NULL ORDER BY v.removed_change LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_row_changed', p_epoch, v_bad.removed_change, 'collection',
            v_bad.collection_id) IS NULL THEN END IF;
    END IF;
    /* Registered by the change: removed unless it holds content, or is in a chain, since. */
    SELECT v.collection_id, u.change_id INTO v_bad
    FROM calib.collection_version AS v
    CROSS JOIN LATERAL (
        SELECT c.created_change AS change_id FROM calib.certification AS c WHERE c.collection_id = v.collection_id
        UNION ALL
        SELECT t.created_change FROM calib.tag_version AS t
        WHERE t.collection_id = v.collection_id AND t.removed_change IS NULL
        UNION ALL
        SELECT d.created_change FROM calib.dataset_version AS d
        WHERE d.run_id = v.collection_id AND d.removed_change IS NULL
        UNION ALL
        SELECT h.created_change FROM calib.chain_version AS h
        WHERE (h.parent_id = v.collection_id OR h.child_id = v.collection_id) AND h.removed_change IS NULL
        LIMIT 1) AS u
    WHERE v.created_change = p_change AND v.removed_change IS NULL
      AND NOT EXISTS (SELECT FROM calib.collection_version AS o
                      WHERE o.collection_id = v.collection_id AND o.removed_change = p_change)
    ORDER BY v.collection_id LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_in_use', p_epoch, v_bad.change_id, 'collection',
            v_bad.collection_id) IS NULL THEN END IF;
    END IF;
    DELETE FROM calib.collection AS c USING calib.collection_version AS v
    WHERE v.created_change = p_change AND v.removed_change IS NULL AND c.collection_id = v.collection_id
      AND NOT EXISTS (SELECT FROM calib.collection_version AS o
                      WHERE o.collection_id = v.collection_id AND o.removed_change = p_change);

    /* 3. Restore what the change removed, as it was. */
    SELECT o.collection_id, c.collection_id AS holder INTO v_bad
    FROM calib.collection_version AS o
    JOIN calib.collection AS c ON c.name = o.name
    WHERE o.removed_change = p_change
      AND NOT EXISTS (SELECT FROM calib.collection_version AS v
                      WHERE v.collection_id = o.collection_id AND v.created_change = p_change)
    ORDER BY o.name LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_occupied', p_epoch,
            (SELECT v.created_change FROM calib.collection_version AS v
             WHERE v.collection_id = v_bad.holder ORDER BY v.created_change LIMIT 1),
            'collection', v_bad.collection_id) IS NULL THEN END IF;
    END IF;
    INSERT INTO calib.collection (collection_id, name, type, state, writers) OVERRIDING SYSTEM VALUE
    SELECT o.collection_id, o.name, o.type, o.state, o.writers
    FROM calib.collection_version AS o
    WHERE o.removed_change = p_change
      AND NOT EXISTS (SELECT FROM calib.collection_version AS v
                      WHERE v.collection_id = o.collection_id AND v.created_change = p_change)
    ORDER BY o.collection_id;
    /* A restored snapshot (its calib.snapshot row outlives the collection) reads its source
       again: its own search path is the one row calib.snapshot_collection writes, with the
       source and epoch (the path the insert above made has neither). */
    DELETE FROM calib.search_path AS sp USING calib.snapshot AS s, calib.collection_version AS o
    WHERE sp.collection_id = s.collection_id AND o.collection_id = s.collection_id
      AND o.removed_change = p_change
      AND NOT EXISTS (SELECT FROM calib.collection_version AS v
                      WHERE v.collection_id = o.collection_id AND v.created_change = p_change);
    INSERT INTO calib.search_path (collection_id, rank, member_id, member_type, snapshot_of, snapshot_epoch)
    SELECT s.collection_id, 1, s.collection_id, o.type, s.source_id, s.epoch
    FROM calib.snapshot AS s JOIN calib.collection_version AS o ON o.collection_id = s.collection_id
    WHERE o.removed_change = p_change
      AND NOT EXISTS (SELECT FROM calib.collection_version AS v
                      WHERE v.collection_id = o.collection_id AND v.created_change = p_change);

    /* Restored rows need their collection (and dataset, child) to exist still, or to be
       restored by this revert (collections are back by now; datasets come next). */
    SELECT x.what, x.collection_id, x.data_id_key, x.dataset_id, x.validity, x.missing, x.extra,
           (SELECT max(v.removed_change) FROM calib.collection_version AS v
            WHERE v.collection_id = x.gone_collection) AS gone_c,
           (SELECT max(v.removed_change) FROM calib.dataset_version AS v
            WHERE v.dataset_id = x.gone_dataset) AS gone_d INTO v_bad
    FROM (
        SELECT 'dataset' AS what, v.run_id AS collection_id, v.data_id_key, v.dataset_id,
               NULL::tstzrange AS validity, 'collection' AS missing, NULL::jsonb AS extra,
               v.run_id AS gone_collection, NULL::uuid AS gone_dataset
        FROM calib.dataset_version AS v
        WHERE v.removed_change = p_change
          AND NOT EXISTS (SELECT FROM calib.collection AS c WHERE c.collection_id = v.run_id)
        UNION ALL
        SELECT 'chain position', v.parent_id, NULL, NULL, NULL,
               CASE WHEN p.collection_id IS NULL THEN 'collection' ELSE 'child collection' END,
               jsonb_build_object('position', v.position, 'child', (
                   SELECT n.name FROM calib.collection_version AS n WHERE n.collection_id = v.child_id
                   ORDER BY n.created_change DESC LIMIT 1)),
               CASE WHEN p.collection_id IS NULL THEN v.parent_id ELSE v.child_id END, NULL
        FROM calib.chain_version AS v
        LEFT JOIN calib.collection AS p ON p.collection_id = v.parent_id
        LEFT JOIN calib.collection AS k ON k.collection_id = v.child_id
        WHERE v.removed_change = p_change AND (p.collection_id IS NULL OR k.collection_id IS NULL)
        UNION ALL
        SELECT 'tag', v.collection_id, v.data_id_key, v.dataset_id, NULL,
               CASE WHEN c.collection_id IS NULL THEN 'collection' ELSE 'dataset' END, NULL,
               v.collection_id, v.dataset_id
        FROM calib.tag_version AS v
        LEFT JOIN calib.collection AS c ON c.collection_id = v.collection_id
        LEFT JOIN calib.dataset AS d ON d.dataset_id = v.dataset_id
        WHERE v.removed_change = p_change
          AND (c.collection_id IS NULL
               OR (d.dataset_id IS NULL  -- and not one this revert restores
                   AND NOT EXISTS (SELECT FROM calib.dataset_version AS r
                                   WHERE r.dataset_id = v.dataset_id AND r.removed_change = p_change)))
        UNION ALL
        SELECT 'certification', v.collection_id, v.data_id_key, v.dataset_id, v.validity,
               CASE WHEN c.collection_id IS NULL THEN 'collection' ELSE 'dataset' END, NULL,
               v.collection_id, v.dataset_id
        FROM calib.certification_version AS v
        LEFT JOIN calib.collection AS c ON c.collection_id = v.collection_id
        LEFT JOIN calib.dataset AS d ON d.dataset_id = v.dataset_id
        WHERE v.removed_change = p_change
          AND (c.collection_id IS NULL
               OR (d.dataset_id IS NULL  -- and not one this revert restores
                   AND NOT EXISTS (SELECT FROM calib.dataset_version AS r
                                   WHERE r.dataset_id = v.dataset_id AND r.removed_change = p_change)))
    ) AS x
    LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_target_removed', p_epoch,
            CASE WHEN v_bad.missing = 'dataset' THEN v_bad.gone_d ELSE v_bad.gone_c END,
            v_bad.what, v_bad.collection_id, v_bad.data_id_key, v_bad.dataset_id, v_bad.validity,
            coalesce(v_bad.extra, '{}') || jsonb_build_object('missing', v_bad.missing)) IS NULL THEN END IF;
    END IF;

    SELECT v.run_id, v.data_id_key, v.dataset_id, h.created_change AS holder INTO v_bad
    FROM calib.dataset_version AS v
    JOIN calib.dataset_version AS h
      ON h.removed_change IS NULL AND (h.dataset_id = v.dataset_id
                                       OR (h.run_id = v.run_id AND h.data_id_key = v.data_id_key))
    WHERE v.removed_change = p_change ORDER BY v.dataset_id LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_occupied', p_epoch, v_bad.holder, 'dataset',
            v_bad.run_id, v_bad.data_id_key, v_bad.dataset_id) IS NULL THEN END IF;
    END IF;
    INSERT INTO calib.dataset (dataset_id, dataset_type_id, data_id_key, run_id)
    SELECT v.dataset_id, v.dataset_type_id, v.data_id_key, v.run_id
    FROM calib.dataset_version AS v WHERE v.removed_change = p_change;

    SELECT v.parent_id, v.position, h.created_change AS holder,
           (SELECT n.name FROM calib.collection_version AS n WHERE n.collection_id = v.child_id
            ORDER BY n.created_change DESC LIMIT 1) AS child INTO v_bad
    FROM calib.chain_version AS v
    JOIN calib.chain_version AS h
      ON h.removed_change IS NULL AND h.parent_id = v.parent_id
         AND (h.position = v.position OR h.child_id = v.child_id)
    WHERE v.removed_change = p_change ORDER BY v.parent_id, v.position LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_occupied', p_epoch, v_bad.holder, 'chain position',
            v_bad.parent_id, p_extra => jsonb_build_object('position', v_bad.position, 'child', v_bad.child))
            IS NULL THEN END IF;
    END IF;
    /* A restored position must not close a loop that later chain changes opened:
       checked on the chains as they will be (the current ones and the restored ones). */
    WITH RECURSIVE edges (parent_id, child_id) AS (
        SELECT ch.parent_id, ch.child_id FROM calib.collection_chain AS ch
        UNION
        SELECT v.parent_id, v.child_id FROM calib.chain_version AS v WHERE v.removed_change = p_change
    ), reach (start_id, collection_id) AS (
        SELECT v.parent_id, v.child_id
        FROM calib.chain_version AS v WHERE v.removed_change = p_change
        UNION
        SELECT r.start_id, e.child_id
        FROM reach AS r JOIN edges AS e ON e.parent_id = r.collection_id
    )
    SELECT c.name AS parent INTO v_bad
    FROM reach AS r JOIN calib.collection AS c ON c.collection_id = r.start_id
    WHERE r.collection_id = r.start_id ORDER BY c.name LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC019',
            format('cannot revert epoch %s: restoring the chain %L would create a cycle', p_epoch, v_bad.parent),
            jsonb_build_object('kind', 'revert_chain_cycle', 'epoch', p_epoch,
                               'collection', v_bad.parent)) IS NULL THEN END IF;
    END IF;
    INSERT INTO calib.collection_chain (parent_id, position, child_id)
    SELECT v.parent_id, v.position, v.child_id
    FROM calib.chain_version AS v WHERE v.removed_change = p_change;

    SELECT v.collection_id, v.data_id_key, v.dataset_id, h.created_change AS holder INTO v_bad
    FROM calib.tag_version AS v
    JOIN calib.tag_version AS h
      ON h.removed_change IS NULL AND h.collection_id = v.collection_id
         AND (h.data_id_key = v.data_id_key OR h.dataset_id = v.dataset_id)
    WHERE v.removed_change = p_change ORDER BY v.collection_id, v.data_id_key LIMIT 1;
    IF FOUND THEN
        IF calib._revert_conflict('revert_occupied', p_epoch, v_bad.holder, 'tag',
            v_bad.collection_id, v_bad.data_id_key, v_bad.dataset_id) IS NULL THEN END IF;
    END IF;
    INSERT INTO calib.tag (collection_id, dataset_type_id, data_id_key, dataset_id)
    SELECT v.collection_id, v.dataset_type_id, v.data_id_key, v.dataset_id
    FROM calib.tag_version AS v WHERE v.removed_change = p_change;

    BEGIN
        INSERT INTO calib.certification (certification_id, collection_id, dataset_type_id,
                                         data_id_key, dataset_id, validity) OVERRIDING SYSTEM VALUE
        SELECT v.certification_id, v.collection_id, v.dataset_type_id, v.data_id_key,
               v.dataset_id, v.validity
        FROM calib.certification_version AS v WHERE v.removed_change = p_change;
    EXCEPTION WHEN exclusion_violation THEN
        /* The restored rows were rolled back to this block's start: list what they would
           overlap among the current certifications, with the epoch that made each. */
        SELECT jsonb_agg(jsonb_build_object(
                   'dataset_type', t.name, 'data_id', di.value, 'dataset', x.dataset_id,
                   'timespan', calib._span_json(x.validity),
                   'conflicting_dataset', x.other, 'conflicting_timespan', calib._span_json(x.other_span),
                   'conflicting_epoch', x.other_epoch)
                   ORDER BY t.name, x.data_id_key, lower(x.validity) NULLS FIRST),
               min(x.collection) INTO v_conflicts, v_name
        FROM (SELECT v.collection_id, v.data_id_key, v.dataset_id, v.validity,
                     c.dataset_id AS other, c.validity AS other_span, ch.epoch AS other_epoch,
                     k.name AS collection
              FROM calib.certification_version AS v
              JOIN calib.certification AS c
                ON c.collection_id = v.collection_id AND c.data_id_key = v.data_id_key
                   AND c.validity && v.validity
              JOIN calib.collection AS k ON k.collection_id = v.collection_id
              LEFT JOIN calib.change AS ch ON ch.change_id = c.created_change
              WHERE v.removed_change = p_change
              LIMIT 100) AS x
        JOIN calib.data_id AS di ON di.data_id_key = x.data_id_key
        JOIN calib.dataset_type AS t ON t.dataset_type_id = di.dataset_type_id;
        IF calib._raise('KC001',
            format('cannot revert epoch %s: restoring %s data ID %s, dataset %s over %s in %L overlaps dataset %s over %s, certified by epoch %s',
                   p_epoch, v_conflicts->0->>'dataset_type', v_conflicts->0->'data_id',
                   v_conflicts->0->>'dataset', calib._span_text(v_conflicts->0->'timespan'),
                   v_name, v_conflicts->0->>'conflicting_dataset',
                   calib._span_text(v_conflicts->0->'conflicting_timespan'),
                   coalesce(v_conflicts->0->>'conflicting_epoch', 'NULL (this transaction)')),
            jsonb_build_object('kind', 'revert_overlap', 'epoch', p_epoch,
                               'collection', v_name, 'conflicts', v_conflicts)) IS NULL THEN END IF;
    END;

    /* 4. The old state and writers of collections the change reconfigured. */
    UPDATE calib.collection AS c SET state = o.state, writers = o.writers
    FROM calib.collection_version AS o
    JOIN calib.collection_version AS v
      ON v.collection_id = o.collection_id AND v.created_change = p_change AND v.removed_change IS NULL
    WHERE o.removed_change = p_change AND c.collection_id = o.collection_id;
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
SELECT '0014'::text
$function$;
CREATE OR REPLACE FUNCTION calib.certifications(p_collection text, p_dataset_type text, p_as_of bigint)
 RETURNS TABLE(collection text, dataset_id uuid, dataset_type text, data_id jsonb, run text, validity tstzrange)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* certifications as of epoch p_as_of (NULL: now): every certification p_collection held
   then, through its chains as they were then, each row naming the member it was in (a
   member reached through a snapshot: as of the snapshot's epoch, f.member_epoch).
   Errors: as certifications; KC015 as_of_range; KC002 for a collection that did not
   exist at that epoch. */
DECLARE
    v_epoch bigint := calib._as_of(p_as_of);
    v_coll_id integer;
    v_type_id integer;
BEGIN
    IF v_epoch IS NULL THEN
        RETURN QUERY SELECT * FROM calib.certifications(p_collection, p_dataset_type);
        RETURN;
    END IF;
    v_coll_id := calib._collection_as_of(p_collection, v_epoch);
    IF p_dataset_type IS NOT NULL THEN
        v_type_id := (calib._dataset_type(p_dataset_type)).dataset_type_id;
    END IF;
    RETURN QUERY
    SELECT f.member_name, c.dataset_id, t.name, di.value, r.name, c.validity
    FROM calib._search_path_as_of(v_coll_id, v_epoch) AS f
    JOIN calib.certification_history AS c ON c.collection_id = f.member_id
    JOIN calib.dataset_type AS t ON t.dataset_type_id = c.dataset_type_id
    JOIN calib.data_id AS di ON di.data_id_key = c.data_id_key
    JOIN calib.dataset AS d ON d.dataset_id = c.dataset_id
    JOIN calib.collection AS r ON r.collection_id = d.run_id
    WHERE f.member_type = 'CALIBRATION'
      AND calib._visible(c.created_change, c.removed_change, f.member_epoch)
      AND (v_type_id IS NULL OR c.dataset_type_id = v_type_id)
    ORDER BY f.rank, t.name, c.data_id_key, lower(c.validity) NULLS FIRST;
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
CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children text[])
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Replace the children of CHAINED collection p_parent, atomically, by p_children in order
   (a repeated child is kept at its first position only; an empty array empties the chain).
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002 unknown parent or child, KC003 parent not CHAINED, KC004 a cycle (the
   parent itself, or a chain that already contains the parent), KC015 NULL.
   Locks: calib._lock_chains(), then the parent row (calib._lock_collections). */
DECLARE
    v_replay jsonb;
    v_parent calib.collection := calib._collection(p_parent, ARRAY['CHAINED']);
    v_ids integer[];
    v_missing text;
    v_cycle text;
BEGIN
    PERFORM calib._operation('set_chain');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('set_chain');
        IF v_replay IS NOT NULL THEN
            RETURN;
        END IF;
    END IF;
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
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('set_chain', NULL);
    END IF;
END
$function$;
-- Undo revision 0015 on PostgreSQL (source of versions/0015_twins_and_speed.postgresql.down.sql).
-- freeze.py puts back what 0015 changed as 0014 had it and drops what it created.
