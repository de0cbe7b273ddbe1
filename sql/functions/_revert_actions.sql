CREATE OR REPLACE FUNCTION calib._revert_actions(p_change bigint)
RETURNS TABLE (action text, collection text, dataset_type text, data_id jsonb, dataset uuid,
               validity tstzrange, detail jsonb)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* What reverting change p_change (a change_id) does, one row per row it removes or
   restores, in the order calib._revert_apply does it: the rows the change created are
   removed (certifications, tags, chain positions, datasets, then registered collections),
   then what it removed is restored (collections, datasets, chain positions, tags,
   certifications), and last the collections whose state or writers it changed get them
   back. Read before anything is written, so calib.revert returns the same rows with and
   without p_dry_run. Rows the change created that a later change closed are not listed:
   they make the revert fail (KC019).
   Columns: action ('remove certification', 'restore certification', 'remove tag',
   'restore tag', 'remove dataset', 'restore dataset', 'remove chain position',
   'restore chain position', 'remove collection', 'restore collection', 'restore collection
   settings'), the collection's name, for dataset rows the dataset type, data ID and
   dataset (and the validity of a certification), detail: {position, child} of a chain
   position, {type, state, writers} of a collection (the values it gets back).
   Errors: none. Locks: none. */
WITH items AS (
    SELECT 1 AS step, 'remove certification' AS action, c.collection_id, c.data_id_key,
           c.dataset_id, c.validity, NULL::jsonb AS detail
    FROM calib.certification AS c WHERE c.created_change = p_change
    UNION ALL
    SELECT 2, 'remove tag', v.collection_id, v.data_id_key, v.dataset_id, NULL, NULL
    FROM calib.tag_version AS v WHERE v.created_change = p_change AND v.removed_change IS NULL
    UNION ALL
    SELECT 3, 'remove chain position', v.parent_id, NULL, NULL, NULL,
           jsonb_build_object('position', v.position, 'child', (
               SELECT n.name FROM calib.collection_version AS n WHERE n.collection_id = v.child_id
               ORDER BY n.created_change DESC LIMIT 1))
    FROM calib.chain_version AS v WHERE v.created_change = p_change AND v.removed_change IS NULL
    UNION ALL
    SELECT 4, 'remove dataset', v.run_id, v.data_id_key, v.dataset_id, NULL, NULL
    FROM calib.dataset_version AS v WHERE v.created_change = p_change AND v.removed_change IS NULL
    UNION ALL
    SELECT CASE WHEN o.collection_id IS NULL THEN 5 ELSE 11 END,
           CASE WHEN o.collection_id IS NULL THEN 'remove collection'
                ELSE 'restore collection settings' END,
           v.collection_id, NULL, NULL, NULL,
           CASE WHEN o.collection_id IS NOT NULL THEN jsonb_build_object(
               'type', o.type, 'state', o.state, 'writers', o.writers) END
    FROM calib.collection_version AS v
    LEFT JOIN calib.collection_version AS o
      ON o.collection_id = v.collection_id AND o.removed_change = p_change
    WHERE v.created_change = p_change AND v.removed_change IS NULL
    UNION ALL
    SELECT 6, 'restore collection', o.collection_id, NULL, NULL, NULL,
           jsonb_build_object('type', o.type, 'state', o.state, 'writers', o.writers)
    FROM calib.collection_version AS o
    WHERE o.removed_change = p_change
      AND NOT EXISTS (SELECT FROM calib.collection_version AS v
                      WHERE v.collection_id = o.collection_id AND v.created_change = p_change)
    UNION ALL
    SELECT 7, 'restore dataset', v.run_id, v.data_id_key, v.dataset_id, NULL, NULL
    FROM calib.dataset_version AS v WHERE v.removed_change = p_change
    UNION ALL
    SELECT 8, 'restore chain position', v.parent_id, NULL, NULL, NULL,
           jsonb_build_object('position', v.position, 'child', (
               SELECT n.name FROM calib.collection_version AS n WHERE n.collection_id = v.child_id
               ORDER BY n.created_change DESC LIMIT 1))
    FROM calib.chain_version AS v WHERE v.removed_change = p_change
    UNION ALL
    SELECT 9, 'restore tag', v.collection_id, v.data_id_key, v.dataset_id, NULL, NULL
    FROM calib.tag_version AS v WHERE v.removed_change = p_change
    UNION ALL
    SELECT 10, 'restore certification', v.collection_id, v.data_id_key, v.dataset_id,
           v.validity, NULL
    FROM calib.certification_version AS v WHERE v.removed_change = p_change
)
SELECT i.action,
       (SELECT n.name FROM calib.collection_version AS n WHERE n.collection_id = i.collection_id
        ORDER BY n.created_change DESC LIMIT 1),
       t.name, di.value, i.dataset_id, i.validity, i.detail
FROM items AS i
LEFT JOIN calib.data_id AS di ON di.data_id_key = i.data_id_key
LEFT JOIN calib.dataset_type AS t ON t.dataset_type_id = di.dataset_type_id
ORDER BY i.step, 2, t.name, i.data_id_key, lower(i.validity) NULLS FIRST, (i.detail->>'position')::integer
$$;
