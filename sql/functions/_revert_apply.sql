CREATE OR REPLACE FUNCTION calib._revert_apply(p_change bigint, p_epoch bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
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
    EXCEPTION WHEN exclusion_violation OR unique_violation THEN
        /* The restored rows were rolled back to this block's start: list what they would
           overlap among the current certifications, with the epoch that made each. A
           certification_id already held (unique_violation) is the same version brought
           back earlier by a revert of the revert, possibly cut since: it overlaps too. */
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
$$;
