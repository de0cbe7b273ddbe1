CREATE OR REPLACE FUNCTION calib.check_integrity()
RETURNS TABLE ("check" text, detail jsonb)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
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
   without; bench/health.py).

   foreign_dependency (revision 0019) is PostgreSQL's alone: SQLite has no search path to
   bind a name through. */
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

        /* Revision 0019: no calib object (constraint, index, trigger, column default, view
           rule, function) depends on a function, operator, operator class or family
           outside pg_catalog and calib, btree_gist's own members excepted (pg_catalog's
           built-ins are pinned: pg_depend records no dependency on them). Such a
           dependency is a name an install resolved through a search_path where someone
           had planted it (README "Security"): it runs as calib_owner on writes. */
        UNION ALL
        SELECT 'foreign_dependency',
               jsonb_build_object('object', pg_describe_object(f.classid, f.objid, f.objsubid),
                                  'depends_on', pg_describe_object(f.refclassid, f.refobjid,
                                                                   f.refobjsubid))
        /* f: the dependencies on such objects anywhere in the database (a few among
           thousands: joined first, OFFSET 0 keeps the per-row lookups below for them). */
        FROM (SELECT d.classid, d.objid, d.objsubid, d.refclassid, d.refobjid, d.refobjsubid
              FROM pg_depend AS d
              LEFT JOIN pg_proc AS p
                     ON d.refclassid = 'pg_proc'::regclass AND p.oid = d.refobjid
              LEFT JOIN pg_operator AS o
                     ON d.refclassid = 'pg_operator'::regclass AND o.oid = d.refobjid
              LEFT JOIN pg_opclass AS oc
                     ON d.refclassid = 'pg_opclass'::regclass AND oc.oid = d.refobjid
              LEFT JOIN pg_opfamily AS ofa
                     ON d.refclassid = 'pg_opfamily'::regclass AND ofa.oid = d.refobjid
              WHERE d.refclassid IN ('pg_proc'::regclass, 'pg_operator'::regclass,
                                     'pg_opclass'::regclass, 'pg_opfamily'::regclass)
                AND coalesce(p.pronamespace, o.oprnamespace, oc.opcnamespace, ofa.opfnamespace)
                    NOT IN ('pg_catalog'::regnamespace, 'calib'::regnamespace)
                AND (d.refclassid, d.refobjid) NOT IN (
                        SELECT e.classid, e.objid FROM pg_depend AS e
                        JOIN pg_extension AS x ON x.oid = e.refobjid
                        WHERE e.refclassid = 'pg_extension'::regclass AND e.deptype = 'e'
                          AND x.extname = 'btree_gist')
              OFFSET 0) AS f
        /* ... held by an object of schema calib */
        WHERE CASE f.classid
                  WHEN 'pg_class'::regclass THEN
                      (SELECT c.relnamespace FROM pg_class AS c WHERE c.oid = f.objid)
                  WHEN 'pg_constraint'::regclass THEN
                      (SELECT k.connamespace FROM pg_constraint AS k WHERE k.oid = f.objid)
                  WHEN 'pg_trigger'::regclass THEN
                      (SELECT c.relnamespace FROM pg_trigger AS t
                       JOIN pg_class AS c ON c.oid = t.tgrelid WHERE t.oid = f.objid)
                  WHEN 'pg_attrdef'::regclass THEN
                      (SELECT c.relnamespace FROM pg_attrdef AS a
                       JOIN pg_class AS c ON c.oid = a.adrelid WHERE a.oid = f.objid)
                  WHEN 'pg_rewrite'::regclass THEN
                      (SELECT c.relnamespace FROM pg_rewrite AS r
                       JOIN pg_class AS c ON c.oid = r.ev_class WHERE r.oid = f.objid)
                  WHEN 'pg_proc'::regclass THEN
                      (SELECT p.pronamespace FROM pg_proc AS p WHERE p.oid = f.objid)
                  WHEN 'pg_type'::regclass THEN
                      (SELECT y.typnamespace FROM pg_type AS y WHERE y.oid = f.objid)
              END = 'calib'::regnamespace

        /* Revision 0019: every guard is there and enabled: the exclusion constraint and
           the triggers that enforce the rules and write the history. A DROP SCHEMA public
           CASCADE by the database owner of a database whose btree_gist lives there drops
           certification_no_overlap silently; DISABLE TRIGGER needs no CASCADE at all. The
           list is written here only: tests/test_install_hostile.py drops each trigger and
           exclusion constraint of a fresh install in turn and needs this check to name
           it. */
        UNION ALL
        SELECT 'missing_guard',
               jsonb_build_object('table', g.tbl, 'kind', g.kind, 'guard', g.guard,
                                  'state', CASE WHEN a.found THEN 'disabled' ELSE 'missing' END)
        FROM (VALUES
                  ('certification', 'constraint', 'certification_no_overlap'),
                  ('certification', 'trigger', 'certification_frozen_delete'),
                  ('certification', 'trigger', 'certification_frozen_insert'),
                  ('certification', 'trigger', 'certification_frozen_truncate'),
                  ('certification', 'trigger', 'certification_frozen_update'),
                  ('certification', 'trigger', 'certification_normalize_validity'),
                  ('certification', 'trigger', 'certification_versions_delete'),
                  ('certification', 'trigger', 'certification_versions_row'),
                  ('certification', 'trigger', 'certification_versions_statement'),
                  ('certification', 'trigger', 'certification_versions_truncate'),
                  ('certification', 'trigger', 'certification_versions_update'),
                  ('certification_version', 'trigger', 'certification_version_change_insert'),
                  ('certification_version', 'trigger', 'certification_version_change_update'),
                  ('change', 'trigger', 'change_epoch'),
                  ('change', 'trigger', 'change_refs_before_delete'),
                  ('change', 'trigger', 'change_refs_delete'),
                  ('change', 'trigger', 'change_refs_rekey'),
                  ('change', 'trigger', 'change_refs_truncate'),
                  ('collection', 'trigger', 'collection_frozen_guard'),
                  ('collection', 'trigger', 'collection_frozen_truncate'),
                  ('collection', 'trigger', 'collection_search_path_insert'),
                  ('collection', 'trigger', 'collection_type_search_path'),
                  ('collection', 'trigger', 'collection_type_search_path_before'),
                  ('collection', 'trigger', 'collection_versions_delete'),
                  ('collection', 'trigger', 'collection_versions_insert'),
                  ('collection', 'trigger', 'collection_versions_truncate'),
                  ('collection', 'trigger', 'collection_versions_update'),
                  ('collection_chain', 'trigger', 'collection_chain_frozen_delete'),
                  ('collection_chain', 'trigger', 'collection_chain_frozen_insert'),
                  ('collection_chain', 'trigger', 'collection_chain_frozen_truncate'),
                  ('collection_chain', 'trigger', 'collection_chain_frozen_update'),
                  ('collection_chain', 'trigger', 'collection_chain_search_path_delete'),
                  ('collection_chain', 'trigger', 'collection_chain_search_path_insert'),
                  ('collection_chain', 'trigger', 'collection_chain_search_path_truncate'),
                  ('collection_chain', 'trigger', 'collection_chain_search_path_update'),
                  ('collection_chain', 'trigger', 'collection_chain_versions_delete'),
                  ('collection_chain', 'trigger', 'collection_chain_versions_insert'),
                  ('collection_chain', 'trigger', 'collection_chain_versions_truncate'),
                  ('collection_chain', 'trigger', 'collection_chain_versions_update'),
                  ('data_id', 'trigger', 'data_id_types_insert'),
                  ('data_id', 'trigger', 'data_id_types_update'),
                  ('dataset', 'trigger', 'dataset_frozen_delete'),
                  ('dataset', 'trigger', 'dataset_frozen_insert'),
                  ('dataset', 'trigger', 'dataset_frozen_truncate'),
                  ('dataset', 'trigger', 'dataset_frozen_update'),
                  ('dataset', 'trigger', 'dataset_versions_delete'),
                  ('dataset', 'trigger', 'dataset_versions_insert'),
                  ('dataset', 'trigger', 'dataset_versions_truncate'),
                  ('dataset', 'trigger', 'dataset_versions_update'),
                  ('tag', 'trigger', 'tag_frozen_delete'),
                  ('tag', 'trigger', 'tag_frozen_insert'),
                  ('tag', 'trigger', 'tag_frozen_truncate'),
                  ('tag', 'trigger', 'tag_frozen_update'),
                  ('tag', 'trigger', 'tag_versions_delete'),
                  ('tag', 'trigger', 'tag_versions_insert'),
                  ('tag', 'trigger', 'tag_versions_truncate'),
                  ('tag', 'trigger', 'tag_versions_update')) AS g (tbl, kind, guard)
        /* found: it exists; enabled: it fires in a normal session (trigger 'O' or 'A', an
           exclusion constraint always). */
        CROSS JOIN LATERAL (
            SELECT bool_or(true) AS found, bool_or(x.enabled) AS enabled
            FROM (SELECT true AS enabled FROM pg_constraint AS k
                  WHERE g.kind = 'constraint' AND k.contype = 'x' AND k.conname = g.guard
                    AND k.conrelid = pg_catalog.to_regclass('calib.' || g.tbl)
                  UNION ALL
                  SELECT t.tgenabled IN ('O', 'A') FROM pg_trigger AS t
                  WHERE g.kind = 'trigger' AND NOT t.tgisinternal AND t.tgname = g.guard
                    AND t.tgrelid = pg_catalog.to_regclass('calib.' || g.tbl)) AS x
        ) AS a
        WHERE a.enabled IS NOT TRUE

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
            /* The history's references of certification versions to their changes (kept
               by triggers since revision 0017, calib._version_change_check; the other
               version tables' references are declared foreign keys). */
            UNION ALL
            SELECT 'certification_version', 'change',
                   jsonb_build_object('created_change', v.created_change), count(*)
            FROM calib.certification_version AS v
            WHERE NOT EXISTS (SELECT FROM calib.change AS c
                              WHERE c.change_id = v.created_change)
            GROUP BY v.created_change
            UNION ALL
            SELECT 'certification_version', 'change',
                   jsonb_build_object('removed_change', v.removed_change), count(*)
            FROM calib.certification_version AS v
            WHERE NOT EXISTS (SELECT FROM calib.change AS c
                              WHERE c.change_id = v.removed_change)
            GROUP BY v.removed_change
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

        /* History (README "History and time travel"): every past state obeyed the same
           rule. Two versions of one calibration key (collection, data ID) whose validities
           overlap were never visible at the same epoch: a version is visible from its
           creating change's epoch until its removing one's (calib._visible), so the two
           epoch intervals must not meet. Pairs with a closed version only (two current
           ones are certification_overlap's); each pair once; a change still pending (no
           epoch yet) is not part of any past state. */
        UNION ALL
        SELECT 'history_overlap',
               jsonb_build_object('collection', c.name, 'dataset_type', t.name,
                                  'data_id', di.value, 'epoch', greatest(a.created, b.created),
                                  'dataset', a.dataset_id::text,
                                  'timespan', calib._span_json(a.validity),
                                  'other_dataset', b.dataset_id::text,
                                  'other_timespan', calib._span_json(b.validity))
        FROM (SELECT v.*, cc.epoch AS created, rc.epoch AS removed
              FROM calib.certification_version AS v
              JOIN calib.change AS cc ON cc.change_id = v.created_change
              JOIN calib.change AS rc ON rc.change_id = v.removed_change
              WHERE cc.epoch IS NOT NULL) AS a
        JOIN (SELECT h.*, cc.epoch AS created, rc.epoch AS removed
              FROM calib.certification_history AS h
              JOIN calib.change AS cc ON cc.change_id = h.created_change
              LEFT JOIN calib.change AS rc ON rc.change_id = h.removed_change
              WHERE cc.epoch IS NOT NULL) AS b
          ON b.collection_id = a.collection_id AND b.data_id_key = a.data_id_key
         AND b.validity && a.validity
         AND b.created < coalesce(a.removed, 'Infinity'::numeric)
         AND a.created < coalesce(b.removed, 'Infinity'::numeric)
         AND (b.removed_change IS NULL
              OR (a.certification_id, a.created_change)
                 < (b.certification_id, b.created_change))
        LEFT JOIN calib.collection AS c ON c.collection_id = a.collection_id
        LEFT JOIN calib.dataset_type AS t ON t.dataset_type_id = a.dataset_type_id
        LEFT JOIN calib.data_id AS di ON di.data_id_key = a.data_id_key

        /* A version ends after it begins: its removing change has a later epoch than its
           creating one (a version created and removed by one change is never kept), in
           every version table; grouped by table and the two epochs. */
        UNION ALL
        SELECT 'history_version_order',
               jsonb_build_object('table', v.tbl, 'created_epoch', cc.epoch,
                                  'removed_epoch', rc.epoch, 'versions', count(*))
        FROM (SELECT 'certification_version' AS tbl, x.created_change, x.removed_change
              FROM calib.certification_version AS x
              UNION ALL
              SELECT 'collection_version', x.created_change, x.removed_change
              FROM calib.collection_version AS x WHERE x.removed_change IS NOT NULL
              UNION ALL
              SELECT 'chain_version', x.created_change, x.removed_change
              FROM calib.chain_version AS x WHERE x.removed_change IS NOT NULL
              UNION ALL
              SELECT 'tag_version', x.created_change, x.removed_change
              FROM calib.tag_version AS x WHERE x.removed_change IS NOT NULL
              UNION ALL
              SELECT 'dataset_version', x.created_change, x.removed_change
              FROM calib.dataset_version AS x WHERE x.removed_change IS NOT NULL) AS v
        JOIN calib.change AS cc ON cc.change_id = v.created_change
        JOIN calib.change AS rc ON rc.change_id = v.removed_change
        WHERE rc.epoch <= cc.epoch
        GROUP BY v.tbl, cc.epoch, rc.epoch

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
$$;
