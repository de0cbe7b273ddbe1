-- The integrity check on SQLite: the twin of sql/functions/check_integrity.sql, the same
-- checks under the same names with the same detail keys (README "Integrity check and
-- statistics"), but foreign_dependency (no search path here to bind a name through). Each statement returns rows (check, detail JSON text); the backend
-- (pyclient/calibcert/backends/sqlite/check_integrity.py) runs them in order in one read
-- transaction, after the chain walk (walk_search_paths.sql) has filled
-- temp.search_path_walk for every collection, with :head = the package's schema revision
-- and two functions of its own: _uuid_text(blob) (a dataset id as text) and
-- _span_json(begin_us, end_us) (a timespan as the JSON pair calib._span_json gives).
-- Differs by necessity: keys of tag and certification rows name their run_id too (SQLite
-- repeats the dataset's RUN there); stored search paths are compared only while they are
-- not marked stale (a raw chain change marks them, and lookups then walk the chains).

-- schema_revision
SELECT 'schema_revision' AS "check",
       json_object('expected', :head,
                   'found', (SELECT json_group_array(v.version_num)
                             FROM (SELECT version_num FROM alembic_version
                                   ORDER BY version_num) AS v)) AS detail
WHERE (SELECT count(*) FROM alembic_version) <> 1
   OR NOT EXISTS (SELECT 1 FROM alembic_version WHERE version_num = :head);

-- missing_reference
SELECT 'missing_reference',
       json_object('table', m.tbl, 'references', m.ref, 'key', json(m.key), 'rows', m.n)
FROM (
    SELECT 'collection_chain' AS tbl, 'collection' AS ref,
           json_object('parent_id', ch.parent_id) AS key, count(*) AS n
    FROM collection_chain AS ch
    WHERE NOT EXISTS (SELECT 1 FROM collection AS c WHERE c.collection_id = ch.parent_id)
    GROUP BY ch.parent_id
    UNION ALL
    SELECT 'collection_chain', 'collection', json_object('child_id', ch.child_id), count(*)
    FROM collection_chain AS ch
    WHERE NOT EXISTS (SELECT 1 FROM collection AS c WHERE c.collection_id = ch.child_id)
    GROUP BY ch.child_id
    UNION ALL
    SELECT 'data_id', 'dataset_type', json_object('dataset_type_id', di.dataset_type_id),
           count(*)
    FROM data_id AS di
    WHERE NOT EXISTS (SELECT 1 FROM dataset_type AS t
                      WHERE t.dataset_type_id = di.dataset_type_id)
    GROUP BY di.dataset_type_id
    UNION ALL
    SELECT 'dataset', 'collection', json_object('run_id', d.run_id), count(*)
    FROM dataset AS d
    WHERE NOT EXISTS (SELECT 1 FROM collection AS c WHERE c.collection_id = d.run_id)
    GROUP BY d.run_id
    UNION ALL
    SELECT 'dataset', 'data_id',
           json_object('data_id_key', d.data_id_key, 'dataset_type_id', d.dataset_type_id),
           count(*)
    FROM dataset AS d
    WHERE NOT EXISTS (SELECT 1 FROM data_id AS di
                      WHERE di.data_id_key = d.data_id_key
                        AND di.dataset_type_id = d.dataset_type_id)
    GROUP BY d.data_id_key, d.dataset_type_id
    UNION ALL
    SELECT 'tag', 'collection', json_object('collection_id', g.collection_id), count(*)
    FROM tag AS g
    WHERE NOT EXISTS (SELECT 1 FROM collection AS c WHERE c.collection_id = g.collection_id)
    GROUP BY g.collection_id
    UNION ALL
    SELECT 'tag', 'dataset',
           json_object('dataset_id', _uuid_text(g.dataset_id),
                       'dataset_type_id', g.dataset_type_id, 'data_id_key', g.data_id_key,
                       'run_id', g.run_id), count(*)
    FROM tag AS g
    WHERE NOT EXISTS (SELECT 1 FROM dataset AS d
                      WHERE d.dataset_id = g.dataset_id
                        AND d.dataset_type_id = g.dataset_type_id
                        AND d.data_id_key = g.data_id_key AND d.run_id = g.run_id)
    GROUP BY g.dataset_id, g.dataset_type_id, g.data_id_key, g.run_id
    UNION ALL
    SELECT 'certification', 'collection', json_object('collection_id', ce.collection_id),
           count(*)
    FROM certification AS ce
    WHERE NOT EXISTS (SELECT 1 FROM collection AS c WHERE c.collection_id = ce.collection_id)
    GROUP BY ce.collection_id
    UNION ALL
    SELECT 'certification', 'dataset',
           json_object('dataset_id', _uuid_text(ce.dataset_id),
                       'dataset_type_id', ce.dataset_type_id, 'data_id_key', ce.data_id_key,
                       'run_id', ce.run_id), count(*)
    FROM certification AS ce
    WHERE NOT EXISTS (SELECT 1 FROM dataset AS d
                      WHERE d.dataset_id = ce.dataset_id
                        AND d.dataset_type_id = ce.dataset_type_id
                        AND d.data_id_key = ce.data_id_key AND d.run_id = ce.run_id)
    GROUP BY ce.dataset_id, ce.dataset_type_id, ce.data_id_key, ce.run_id
    -- The history's references of certification versions to their changes (no declared
    -- foreign key on SQLite; PostgreSQL keeps them by triggers since revision 0017).
    UNION ALL
    SELECT 'certification_version', 'change',
           json_object('created_change', v.created_change), count(*)
    FROM certification_version AS v
    WHERE NOT EXISTS (SELECT 1 FROM change AS c WHERE c.change_id = v.created_change)
    GROUP BY v.created_change
    UNION ALL
    SELECT 'certification_version', 'change',
           json_object('removed_change', v.removed_change), count(*)
    FROM certification_version AS v
    WHERE NOT EXISTS (SELECT 1 FROM change AS c WHERE c.change_id = v.removed_change)
    GROUP BY v.removed_change
) AS m;

-- dataset_outside_run, tag_outside_tagged, certification_outside_calibration,
-- chain_outside_chained
SELECT 'dataset_outside_run', json_object('collection', c.name, 'type', c.type, 'rows', count(*))
FROM dataset AS d JOIN collection AS c ON c.collection_id = d.run_id
WHERE c.type <> 'RUN'
GROUP BY c.name, c.type;
SELECT 'tag_outside_tagged', json_object('collection', c.name, 'type', c.type, 'rows', count(*))
FROM tag AS g JOIN collection AS c ON c.collection_id = g.collection_id
WHERE c.type <> 'TAGGED'
GROUP BY c.name, c.type;
SELECT 'certification_outside_calibration',
       json_object('collection', c.name, 'type', c.type, 'rows', count(*))
FROM certification AS ce JOIN collection AS c ON c.collection_id = ce.collection_id
WHERE c.type <> 'CALIBRATION'
GROUP BY c.name, c.type;
SELECT 'chain_outside_chained',
       json_object('collection', c.name, 'type', c.type, 'rows', count(*))
FROM collection_chain AS ch JOIN collection AS c ON c.collection_id = ch.parent_id
WHERE c.type <> 'CHAINED'
GROUP BY c.name, c.type;

-- certification_not_calibration_type
SELECT 'certification_not_calibration_type',
       json_object('collection', c.name, 'dataset_type', t.name, 'rows', count(*))
FROM certification AS ce
JOIN dataset_type AS t ON t.dataset_type_id = ce.dataset_type_id
LEFT JOIN collection AS c ON c.collection_id = ce.collection_id
WHERE t.is_calibration = 0
GROUP BY c.name, t.name;

-- tag_duplicate_data_id
SELECT 'tag_duplicate_data_id',
       json_object('collection', c.name, 'dataset_type', t.name, 'data_id', json(di.value),
                   'datasets', json(x.ids))
FROM (SELECT y.collection_id, y.dataset_type_id, y.data_id_key,
             json_group_array(y.id) AS ids
      FROM (SELECT g.collection_id, d.dataset_type_id, d.data_id_key,
                   _uuid_text(d.dataset_id) AS id
            FROM tag AS g JOIN dataset AS d ON d.dataset_id = g.dataset_id
            ORDER BY 1, 2, 3, 4) AS y
      GROUP BY y.collection_id, y.dataset_type_id, y.data_id_key
      HAVING count(*) > 1) AS x
LEFT JOIN collection AS c ON c.collection_id = x.collection_id
LEFT JOIN dataset_type AS t ON t.dataset_type_id = x.dataset_type_id
LEFT JOIN data_id AS di ON di.data_id_key = x.data_id_key;

-- certification_overlap: one sort per key; a certification that begins before the latest
-- end of those sorted before it overlaps one of them, and is paired with each it overlaps.
SELECT 'certification_overlap',
       json_object('collection', c.name, 'dataset_type', t.name, 'data_id', json(di.value),
                   'dataset', _uuid_text(a.dataset_id),
                   'timespan', json(_span_json(a.begin_us, a.end_us)),
                   'other_dataset', _uuid_text(b.dataset_id),
                   'other_timespan', json(_span_json(b.begin_us, b.end_us)))
FROM (SELECT s.* FROM (
          SELECT ce.collection_id, ce.data_id_key, ce.dataset_type_id, ce.dataset_id,
                 ce.begin_us, ce.end_us,
                 max(ce.end_us) OVER (
                     PARTITION BY ce.collection_id, ce.data_id_key ORDER BY ce.begin_us
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before_end
          FROM certification AS ce) AS s
      WHERE s.before_end > s.begin_us) AS b
JOIN certification AS a
  ON a.collection_id = b.collection_id AND a.data_id_key = b.data_id_key
 AND a.begin_us < b.begin_us AND a.end_us > b.begin_us
LEFT JOIN collection AS c ON c.collection_id = b.collection_id
LEFT JOIN dataset_type AS t ON t.dataset_type_id = b.dataset_type_id
LEFT JOIN data_id AS di ON di.data_id_key = b.data_id_key;

-- history_overlap: two versions of one calibration key whose validities overlap were never
-- visible at the same epoch (a version is visible from its created_change, an epoch here,
-- until its removed_change); pairs with a closed version only, each pair once.
WITH h AS (
    SELECT collection_id, data_id_key, begin_us, end_us, dataset_id, created_change,
           NULL AS removed_change
    FROM certification
    UNION ALL
    SELECT collection_id, data_id_key, begin_us, end_us, dataset_id, created_change,
           removed_change
    FROM certification_version)
SELECT 'history_overlap',
       json_object('collection', c.name, 'dataset_type', t.name, 'data_id', json(di.value),
                   'epoch', max(a.created_change, b.created_change),
                   'dataset', _uuid_text(a.dataset_id),
                   'timespan', json(_span_json(a.begin_us, a.end_us)),
                   'other_dataset', _uuid_text(b.dataset_id),
                   'other_timespan', json(_span_json(b.begin_us, b.end_us)))
FROM certification_version AS a
JOIN h AS b
  ON b.collection_id = a.collection_id AND b.data_id_key = a.data_id_key
 AND b.begin_us < a.end_us AND a.begin_us < b.end_us
 AND b.created_change < a.removed_change
 AND a.created_change < coalesce(b.removed_change, 9223372036854775807)
 AND (b.removed_change IS NULL
      OR (a.begin_us, a.created_change) < (b.begin_us, b.created_change))
LEFT JOIN collection AS c ON c.collection_id = a.collection_id
LEFT JOIN dataset_type AS t ON t.dataset_type_id = a.dataset_type_id
LEFT JOIN data_id AS di ON di.data_id_key = a.data_id_key;

-- history_version_order: a version's removing change comes after its creating one, in
-- every version table (epochs are change ids here).
SELECT 'history_version_order',
       json_object('table', v.tbl, 'created_epoch', v.created_change,
                   'removed_epoch', v.removed_change, 'versions', count(*))
FROM (SELECT 'certification_version' AS tbl, created_change, removed_change
      FROM certification_version
      UNION ALL
      SELECT 'collection_version', created_change, removed_change FROM collection_version
      UNION ALL
      SELECT 'chain_version', created_change, removed_change FROM chain_version
      UNION ALL
      SELECT 'tag_version', created_change, removed_change FROM tag_version
      UNION ALL
      SELECT 'dataset_version', created_change, removed_change FROM dataset_version) AS v
WHERE v.removed_change <= v.created_change
GROUP BY v.tbl, v.created_change, v.removed_change;

-- chain_cycle
WITH RECURSIVE reach (start_id, collection_id) AS (
    SELECT ch.parent_id, ch.child_id FROM collection_chain AS ch
    UNION
    SELECT r.start_id, ch.child_id
    FROM reach AS r JOIN collection_chain AS ch ON ch.parent_id = r.collection_id
)
SELECT 'chain_cycle', json_object('collection', c.name)
FROM (SELECT DISTINCT r.start_id FROM reach AS r WHERE r.start_id = r.collection_id) AS y
JOIN collection AS c ON c.collection_id = y.start_id;

-- search_path_mismatch: the stored paths (unless marked stale) against the fresh walk in
-- temp.search_path_walk, member by member with rank and type.
WITH st AS (
    SELECT z.collection_id, group_concat(z.member, ' ') AS members,
           json_group_array(json(z.named)) AS names
    FROM (SELECT sp.collection_id, sp.rank,
                 sp.rank || ':' || sp.member_id || ':' || sp.member_type AS member,
                 json_array(coalesce(m.name, CAST(sp.member_id AS TEXT)), sp.member_type)
                     AS named
          FROM search_path AS sp
          LEFT JOIN collection AS m ON m.collection_id = sp.member_id
          ORDER BY sp.collection_id, sp.rank) AS z
    GROUP BY z.collection_id
), fr AS (
    SELECT z.collection_id, group_concat(z.member, ' ') AS members,
           json_group_array(json(z.named)) AS names
    FROM (SELECT w.collection_id, w.rank,
                 w.rank || ':' || w.member_id || ':' || w.member_type AS member,
                 json_array(m.name, w.member_type) AS named
          FROM temp.search_path_walk AS w
          JOIN collection AS m ON m.collection_id = w.member_id
          ORDER BY w.collection_id, w.rank) AS z
    GROUP BY z.collection_id
), ids AS (
    SELECT collection_id FROM st UNION SELECT collection_id FROM fr
)
SELECT 'search_path_mismatch',
       json_object('collection', coalesce(c.name, CAST(ids.collection_id AS TEXT)),
                   'stored', json(coalesce(st.names, '[]')),
                   'expected', json(coalesce(fr.names, '[]')))
FROM ids
LEFT JOIN st ON st.collection_id = ids.collection_id
LEFT JOIN fr ON fr.collection_id = ids.collection_id
LEFT JOIN collection AS c ON c.collection_id = ids.collection_id
WHERE st.members IS NOT fr.members
  AND (SELECT stale FROM search_path_state WHERE id = 1) = 0;

-- data_id_dimensions
SELECT 'data_id_dimensions',
       json_object('dataset_type', t.name, 'data_id', json(di.value),
                   'dimensions', json(t.dimensions))
FROM data_id AS di JOIN dataset_type AS t ON t.dataset_type_id = di.dataset_type_id
WHERE (SELECT group_concat(k, char(0)) FROM (SELECT j.key AS k FROM json_each(di.value) AS j
                                             ORDER BY j.key))
      IS NOT (SELECT group_concat(k, char(0)) FROM (SELECT j.value AS k
                                                    FROM json_each(t.dimensions) AS j
                                                    ORDER BY j.value));

-- dimension_value_type: json_each's types named as calib.check_integrity names jsonb's.
SELECT 'dimension_value_type',
       json_object('dimension', g.dim, 'expected', g.expected, 'found', g.found,
                   'data_ids', g.n, 'example', json(e.value))
FROM (SELECT v.dim, dm.value_type AS expected, v.found, count(*) AS n,
             min(v.data_id_key) AS first_key
      FROM (SELECT di.data_id_key, j.key AS dim,
                   CASE j.type WHEN 'text' THEN 'string' WHEN 'integer' THEN 'integer'
                               WHEN 'real' THEN 'number' WHEN 'true' THEN 'boolean'
                               WHEN 'false' THEN 'boolean' ELSE j.type END AS found
            FROM data_id AS di, json_each(di.value) AS j) AS v
      LEFT JOIN dimension AS dm ON dm.name = v.dim
      WHERE dm.value_type IS NOT v.found
      GROUP BY v.dim, dm.value_type, v.found) AS g
JOIN data_id AS e ON e.data_id_key = g.first_key;

-- missing_guard (revision 0019): every trigger of sql/sqlite/schema/ is there (the guards
-- for raw writers, FROZEN, the history, the stored search paths, the cache bumps). The list
-- is written here only: tests/test_install_hostile.py drops each trigger of a fresh file in
-- turn and needs it named. (SQLite cannot disable a trigger: state is always 'missing'.)
SELECT 'missing_guard',
       json_object('table', g.column1, 'kind', 'trigger', 'guard', g.column2,
                   'state', 'missing')
FROM (VALUES
    ('certification', 'certification_frozen_delete'),
    ('certification', 'certification_frozen_insert'),
    ('certification', 'certification_frozen_update'),
    ('certification', 'certification_guard_insert'),
    ('certification', 'certification_guard_update'),
    ('certification', 'certification_guard_update_refs'),
    ('certification', 'certification_history_delete'),
    ('certification', 'certification_history_insert'),
    ('certification', 'certification_history_update'),
    ('collection', 'collection_delete_bump'),
    ('collection', 'collection_frozen_delete'),
    ('collection', 'collection_frozen_update'),
    ('collection', 'collection_guard_delete'),
    ('collection', 'collection_guard_update'),
    ('collection', 'collection_history_delete'),
    ('collection', 'collection_history_insert'),
    ('collection', 'collection_history_update'),
    ('collection', 'collection_insert_bump'),
    ('collection', 'collection_search_path_delete'),
    ('collection', 'collection_search_path_insert'),
    ('collection', 'collection_search_path_update'),
    ('collection', 'collection_snapshot_state'),
    ('collection', 'collection_update_bump'),
    ('collection_chain', 'collection_chain_delete_bump'),
    ('collection_chain', 'collection_chain_frozen_delete'),
    ('collection_chain', 'collection_chain_frozen_insert'),
    ('collection_chain', 'collection_chain_frozen_update'),
    ('collection_chain', 'collection_chain_guard_insert'),
    ('collection_chain', 'collection_chain_guard_update'),
    ('collection_chain', 'collection_chain_history_delete'),
    ('collection_chain', 'collection_chain_history_insert'),
    ('collection_chain', 'collection_chain_history_update'),
    ('collection_chain', 'collection_chain_insert_bump'),
    ('collection_chain', 'collection_chain_search_path_delete'),
    ('collection_chain', 'collection_chain_search_path_insert'),
    ('collection_chain', 'collection_chain_search_path_update'),
    ('collection_chain', 'collection_chain_update_bump'),
    ('data_id', 'data_id_guard_delete'),
    ('data_id', 'data_id_guard_insert'),
    ('data_id', 'data_id_guard_update'),
    ('data_id', 'data_id_types_fix_insert'),
    ('data_id', 'data_id_types_fix_update'),
    ('data_id', 'data_id_types_guard_insert'),
    ('data_id', 'data_id_types_guard_update'),
    ('dataset', 'dataset_frozen_delete'),
    ('dataset', 'dataset_frozen_insert'),
    ('dataset', 'dataset_frozen_update'),
    ('dataset', 'dataset_guard_delete'),
    ('dataset', 'dataset_guard_insert'),
    ('dataset', 'dataset_guard_update'),
    ('dataset', 'dataset_history_delete'),
    ('dataset', 'dataset_history_insert'),
    ('dataset', 'dataset_history_update'),
    ('dataset_type', 'dataset_type_delete_bump'),
    ('dataset_type', 'dataset_type_guard_delete'),
    ('dataset_type', 'dataset_type_guard_update'),
    ('dataset_type', 'dataset_type_insert_bump'),
    ('dataset_type', 'dataset_type_update_bump'),
    ('dimension', 'dimension_delete_bump'),
    ('dimension', 'dimension_insert_bump'),
    ('dimension', 'dimension_update_bump'),
    ('history_horizon', 'history_horizon_guard_delete'),
    ('history_horizon', 'history_horizon_guard_update'),
    ('snapshot', 'snapshot_guard_delete'),
    ('snapshot', 'snapshot_guard_insert'),
    ('snapshot', 'snapshot_guard_update'),
    ('snapshot', 'snapshot_search_path_insert'),
    ('tag', 'tag_frozen_delete'),
    ('tag', 'tag_frozen_insert'),
    ('tag', 'tag_frozen_update'),
    ('tag', 'tag_guard_insert'),
    ('tag', 'tag_guard_update'),
    ('tag', 'tag_history_delete'),
    ('tag', 'tag_history_insert'),
    ('tag', 'tag_history_update')) AS g
WHERE NOT EXISTS (SELECT 1 FROM sqlite_master AS m
                  WHERE m.type = 'trigger' AND m.name = g.column2 AND m.tbl_name = g.column1);
