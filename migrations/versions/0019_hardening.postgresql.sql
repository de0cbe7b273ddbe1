-- FROZEN upgrade of revision 0019, written by migrations/freeze.py from sources/0019_hardening.postgresql.sql.
-- Never edit by hand.
-- Revision 0019 (0018 -> 0019) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0019_hardening.postgresql.sql. calib._revision answers 0019; each topic adds
-- its block below, before the closing comments, grants and security.
CREATE OR REPLACE FUNCTION calib._revision()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
/* The schema revision these functions belong to: calib.check_integrity compares it with
   calib.alembic_version. Every later revision re-creates this function with its own number
   (tests/test_health.py fails when an installed database answers another revision than
   calibcert.schema.HEAD_REVISION). */
SELECT '0019'::text
$$;

-- sec-install: begin
-- Installs and upgrades pin the session's search_path first (sql/schema/preamble.sql, run
-- by migrations/env.py before any revision and by sql/install.sql): nothing to change in
-- place. check_integrity learns foreign_dependency and missing_guard (README "Integrity
-- check and statistics"), for databases installed before that pin or changed since.
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

-- sec-install: end
-- sec-locks: begin
-- sec-locks: the epoch lock is a row of calibcert's own (calib.epoch_lock, locked FOR UPDATE),
-- no longer an advisory lock whose key any login could take and hold, stopping every write.
/* The epoch lock (revision 0019; README "History and time travel"): one row, locked FOR
   UPDATE by calib._stamp_epoch from the moment a committing transaction takes its epoch to
   the commit itself, so that epochs follow commit order. A row of calibcert's own rather
   than an advisory lock (revisions 0014-0018 took pg_advisory_xact_lock on a key printed
   in the README): pg_advisory_lock is executable by every login, and a session holding
   that key, idle and outside any transaction, stopped every write of the database. Taking
   a row lock needs UPDATE on the table (SELECT ... FOR UPDATE / NO KEY UPDATE / SHARE /
   KEY SHARE alike), and so do LOCK TABLE's modes beyond ACCESS SHARE: only calib_owner
   has it. The service roles get SELECT like on every table (schema/grants.sql): a
   reader's ACCESS SHARE conflicts with none of the ROW SHARE lock a row lock takes.
   A row lock is not a table lock: it is recorded in the row (a small WAL record, which a
   hot standby replays without a conflict), never an ACCESS EXCLUSIVE lock logged for the
   standbys, and it leaves autovacuum (SHARE UPDATE EXCLUSIVE) free to run. The row is
   only ever locked, never updated: no new row versions, no bloat. */
CREATE TABLE calib.epoch_lock (
    only_row boolean NOT NULL DEFAULT true,
    CONSTRAINT epoch_lock_pkey PRIMARY KEY (only_row),
    CONSTRAINT epoch_lock_one_row CHECK (only_row)
);
INSERT INTO calib.epoch_lock DEFAULT VALUES;
COMMENT ON TABLE calib.epoch_lock IS
    'One row, locked FOR UPDATE by every committing change from the moment it takes its '
    'epoch to its commit (calib._stamp_epoch), so that epochs follow commit order. Only '
    'calib_owner can lock it: a row lock needs UPDATE on the table.';

CREATE OR REPLACE FUNCTION calib._stamp_epoch()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Deferred constraint trigger change_epoch on calib.change: at COMMIT, gives the
   transaction's change its epoch and commit time. The epoch is taken under the epoch
   lock, the one row of calib.epoch_lock locked FOR UPDATE (revision 0019; an advisory
   lock up to 0018, which any login could take and hold: schema/epoch_lock.sql), held
   until the commit has happened and is visible: the next committer waits for it, so epochs
   follow commit order and once calib.current_epoch() returns E, no change with an epoch
   below E can still commit. The lock is held only from here to the commit itself, so
   writers of different collections run concurrently until their last moment. SET
   CONSTRAINTS ALL IMMEDIATE fires this early: the epoch is then taken early and the lock
   held longer, still in commit order (later writes of the same transaction reuse the
   change). Numbering at first write instead would be wrong: see calib.epoch_seq.
   SECURITY DEFINER: a deferred trigger runs at COMMIT as the session's role, outside the
   SECURITY DEFINER function that made the change, and no service role may write
   calib.change, take numbers from calib.epoch_seq or lock calib.epoch_lock itself.
   Errors: 55P03 (wait 'epoch') when the lock is not granted within calib.lock_timeout;
   P0002 (no rows) if the row of calib.epoch_lock was deleted by hand: every commit then
   fails rather than numbering without the lock.
   Locks: the row of calib.epoch_lock FOR UPDATE, to the end of the transaction. */
DECLARE
    v_epoch bigint;
    v_old text;
    v_row boolean;
BEGIN
    /* Usually nobody else is committing: take the lock without waiting (SKIP LOCKED: no
       row when another transaction holds it), and without the cost of the bounded wait
       below (a savepoint and two settings; a 1-row certify paid ~15% more for them).
       Otherwise wait, bounded like every wait (calib._bound_waits): normally the holder is
       only committing, but a session that ran SET CONSTRAINTS ALL IMMEDIATE holds the
       lock from its first change to its end. */
    PERFORM FROM calib.epoch_lock FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        v_old := calib._bound_waits();
        BEGIN
            SELECT l.only_row INTO STRICT v_row FROM calib.epoch_lock AS l FOR UPDATE;
        EXCEPTION WHEN lock_not_available THEN
            IF calib._lock_timeout('epoch', 'the epoch lock, held by another transaction that is committing',
                                   '{}') IS NULL THEN END IF;
        END;
        PERFORM set_config('lock_timeout', v_old, true);
    END IF;
    v_epoch := nextval('calib.epoch_seq');
    UPDATE calib.change SET epoch = v_epoch, committed_at = clock_timestamp()
    WHERE change_id = NEW.change_id;
    RETURN NULL;
END
$$;

-- sec-locks: a request's replay position (calib._replay_call) counts only when this
-- transaction's calls left it, and the replayed change is checked to be the caller's role's
-- on every call (a hand-set '0' skipped that check; 'x' gave a raw 22P02).
CREATE OR REPLACE FUNCTION calib._request(p_operation text)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Idempotent retries (README "Retention and request ids"): called first by every
   mutating function when the setting calib.request_id is not empty (the functions test
   the setting inline, so that a call without one pays nothing). A request id names one
   change (transaction); a retried transaction carrying it replays the first one's
   results call by call.
   - This transaction already holds the id (its change was claimed by an earlier call):
     NULL, the call runs (and records its result: calib._request_result).
   - A committed change holds it: replay. Returns {"op", "result"} of the call at the same
     position in that change (the n-th mutating call of this transaction gets the n-th
     result); the caller returns that result and changes nothing. The change must be the
     caller's own role's (calib._caller()): another role's id is refused without showing
     its result. A call that does not match (another operation, or more calls than the
     change made) is refused: the retry is not the same request.
   - Nobody holds it: this transaction's change is created now and claims the id (the
     unique index change_request_id_key). If an uncommitted transaction holds it, the
     claim waits for it (bounded by calib.lock_timeout): it committed -> replay as above;
     it rolled back -> the claim succeeds and the call runs. Under REPEATABLE READ or
     SERIALIZABLE a change committed after the snapshot cannot be read: 40001, retry.
   The setting must be in place before the transaction's first change: a transaction
   whose change has no or another request id is refused (request_id_late).
   While replaying, the position of the next call is kept in the transaction-local setting
   calib._replay_call, with the transaction's start (transaction_timestamp(), as epoch
   seconds): a value this transaction's calls did not leave (set by hand, or not of the
   form) is ignored and the call takes the way above (revision 0019; before, '0' set by hand
   skipped the role check and 'x' gave a raw 22P02). Not the transaction id, as
   calib._change has it: a replay writes nothing, and taking an id would make its commit
   write and flush WAL. Whatever the setting holds, the replayed change is checked on every
   call to be this request id's and the caller's role's: a caller who writes its own
   transaction's start there can at most replay its own role's recorded results out of
   order, which change nothing and which it may SELECT anyway.
   Arguments: p_operation: the public function's name, as calib._operation has it.
   Returns: NULL (run the call) or the recorded {"op", "result"} to return.
   Errors: KC015 request_id_invalid (longer than 200 characters), KC015 request_id_late,
   KC015 request_id_foreign (another role's change), KC015 request_id_mismatch,
   40001 (the holder committed after this transaction's snapshot), 55P03 (wait
   'request_id') when the holder does not end within calib.lock_timeout.
   Locks: this transaction's change row; waits for a concurrent holder of the same id. */
DECLARE
    v_id text := nullif(current_setting('calib.request_id', true), '');
    v_mine text := current_setting('calib._change', true);
    v_change calib.change;
    v_n integer;
    v_old text;
    v_claimed boolean := false;
    v_step jsonb;
    v_replay text[];
BEGIN
    IF v_id IS NULL THEN
        RETURN NULL;
    END IF;
    IF length(v_id) > 200 THEN
        IF calib._raise('KC015',
            format('request id must be at most 200 characters, not %s', length(v_id)),
            jsonb_build_object('kind', 'request_id_invalid', 'length', length(v_id))) IS NULL THEN END IF;
    END IF;
    /* Replaying already (an earlier call of this transaction found the id committed and
       left the next position, with this transaction's start). */
    v_replay := regexp_match(current_setting('calib._replay_call', true), '^([0-9]{1,9}) (\S+)$');
    IF v_replay[2] = extract(epoch FROM transaction_timestamp())::text THEN
        SELECT * INTO v_change FROM calib.change AS c
        WHERE c.request_id = v_id AND c.epoch IS NOT NULL;
        IF FOUND THEN
            v_n := v_replay[1]::integer;
        END IF;
    END IF;
    IF v_n IS NULL THEN
        /* This transaction's own change, if it has one (the same check as calib._change). */
        IF v_mine ~ '^[0-9]{1,18}$' THEN
            SELECT * INTO v_change FROM calib.change AS c
            WHERE c.change_id = v_mine::bigint AND c.xid = pg_current_xact_id();
            IF FOUND THEN
                IF v_change.request_id IS DISTINCT FROM v_id THEN
                    IF calib._raise('KC015',
                        format('request id %L set after this transaction''s first change: set calib.request_id before the first call', v_id),
                        jsonb_build_object('kind', 'request_id_late', 'request_id', v_id)) IS NULL THEN END IF;
                END IF;
                RETURN NULL;  -- ours: the call runs
            END IF;
        END IF;
        SELECT * INTO v_change FROM calib.change AS c
        WHERE c.request_id = v_id AND c.epoch IS NOT NULL;
        IF NOT FOUND THEN
            v_old := calib._bound_waits();
            BEGIN
                /* The claim: a concurrent holder makes this UPDATE wait on the unique index
                   until it ends. */
                v_mine := calib._change()::text;  -- its own statement: the UPDATE's
                -- snapshot would not see a row its WHERE clause inserted
                UPDATE calib.change SET request_id = v_id WHERE change_id = v_mine::bigint;
                v_claimed := true;
            EXCEPTION
                WHEN unique_violation THEN
                    NULL;  -- the holder committed: undone (change row and setting), replay below
                WHEN lock_not_available THEN
                    IF calib._lock_timeout('request_id',
                        format('request id %L, held by a transaction that has not ended', v_id),
                        jsonb_build_object('request_id', v_id)) IS NULL THEN END IF;
            END;
            PERFORM set_config('lock_timeout', v_old, true);
            IF v_claimed THEN
                RETURN NULL;
            END IF;
            /* A new statement: in READ COMMITTED it sees the holder's commit. */
            SELECT * INTO v_change FROM calib.change AS c
            WHERE c.request_id = v_id AND c.epoch IS NOT NULL;
            IF NOT FOUND THEN
                IF calib._raise('40001',
                    format('request id %L was committed by another transaction after this transaction''s snapshot; retry', v_id),
                    jsonb_build_object('kind', 'request_id_snapshot', 'request_id', v_id)) IS NULL THEN END IF;
            END IF;
        END IF;
        v_n := 0;
    END IF;
    /* On the replay way too: a replay of another role's change is refused, whatever the
       settings say. */
    IF v_change.db_role IS DISTINCT FROM calib._caller() THEN
        IF calib._raise('KC015',
            format('request id %L belongs to a change of another role: choose another request id', v_id),
            jsonb_build_object('kind', 'request_id_foreign', 'request_id', v_id)) IS NULL THEN END IF;
    END IF;
    v_step := v_change.results -> v_n;
    IF v_step IS NULL OR v_step ->> 'op' IS DISTINCT FROM p_operation THEN
        IF calib._raise('KC015',
            format('request id %L was committed at epoch %s, whose call %s was %s, not %s: a retry must repeat the same calls',
                   v_id, v_change.epoch, v_n + 1, coalesce(v_step ->> 'op', 'none'), p_operation),
            jsonb_build_object('kind', 'request_id_mismatch', 'request_id', v_id,
                               'epoch', v_change.epoch, 'call', v_n + 1,
                               'recorded', v_step ->> 'op', 'operation', p_operation)) IS NULL THEN END IF;
    END IF;
    PERFORM set_config('calib._replay_call',
                       (v_n + 1)::text || ' ' || extract(epoch FROM transaction_timestamp())::text, true);
    RETURN v_step;
END
$$;

-- sec-locks: documents nested too deep for PostgreSQL (repeat('[', 100000); an array literal
-- of 7 dimensions) are KC016 document_syntax, not the raw 54001 / 54000.
CREATE OR REPLACE FUNCTION calib._json_text(p_value text, p_what text, p_position integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* A JSON value given as text (the all-text forms: a data ID, a where clause, a list
   document, an element of a PostgreSQL array literal of data IDs): parsed, or KC016
   (document_syntax) naming the argument p_what and, inside a list, the element's 1-based
   position p_position. NULL stays NULL. JSON nested deeper than the server's stack allows
   (54001 from the parser: repeat('[', 100000)) is such a document too (revision 0019). */
BEGIN
    RETURN p_value::jsonb;
EXCEPTION WHEN invalid_text_representation OR invalid_parameter_value OR statement_too_complex THEN
    IF calib._raise('KC016',
        format('%s%s cannot be read as %s: %s', p_what,
               CASE WHEN p_position IS NULL THEN '' ELSE format(' (element %s)', p_position) END,
               'JSON', SQLERRM),
        jsonb_build_object('kind', 'document_syntax', 'what', p_what, 'position', p_position,
                           'syntax', 'JSON', 'reason', SQLERRM)) IS NULL THEN END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION calib._document(p_value text, p_what text, p_json_elements boolean)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* A list argument of an all-text form, as a JSON array document: the text is a JSON array
   (starts with '[') or a PostgreSQL array literal (starts with '{'), whose elements become
   JSON strings (NULL: null) or, with p_json_elements (lists of data IDs), are each read as
   JSON. NULL stays NULL. Errors, KC016 naming the argument p_what: not JSON and not an
   array literal (document_syntax), JSON that is not an array (document_not_array), a
   data-ID element that is not JSON (document_syntax with the element's position); also
   when nested too deep for PostgreSQL (an array literal of more than 6 dimensions: 54000;
   JSON deeper than the stack allows: 54001), which were raw errors before revision 0019. */
DECLARE
    v_items text[];
    v_json jsonb;
    v_out jsonb[];
    v_reason text;
BEGIN
    IF p_value IS NULL THEN
        RETURN NULL;
    END IF;
    IF left(ltrim(p_value, E' \t\r\n'), 1) <> '{' THEN
        RETURN calib._document_array(calib._json_text(p_value, p_what), p_what);
    END IF;
    BEGIN
        v_items := p_value::text[];
    EXCEPTION WHEN invalid_text_representation OR program_limit_exceeded THEN
        /* Not an array literal. A JSON object (one data ID instead of a list of them) is
           told as such; anything else is a broken array literal. */
        v_reason := SQLERRM;
        BEGIN
            v_json := p_value::jsonb;
        EXCEPTION WHEN invalid_text_representation OR statement_too_complex THEN
            IF calib._raise('KC016',
                format('%s%s cannot be read as %s: %s', p_what, '',
                       'a JSON array or a PostgreSQL array literal', v_reason),
                jsonb_build_object('kind', 'document_syntax', 'what', p_what, 'position', NULL,
                                   'syntax', 'a JSON array or a PostgreSQL array literal',
                                   'reason', v_reason)) IS NULL THEN END IF;
        END;
        RETURN calib._document_array(v_json, p_what);
    END;
    IF p_json_elements THEN
        SELECT array_agg(calib._json_text(u.v, p_what, u.n::integer) ORDER BY u.n)
        INTO v_out FROM unnest(v_items) WITH ORDINALITY AS u(v, n);
    ELSE
        SELECT array_agg(to_jsonb(u.v) ORDER BY u.n)
        INTO v_out FROM unnest(v_items) WITH ORDINALITY AS u(v, n);
    END IF;
    RETURN coalesce(to_jsonb(v_out), '[]'::jsonb);
END
$$;

-- sec-locks: end
-- lead: begin
-- lead: end
-- Generated by migrations/comments.py from the headers in sql/functions/ (do not
-- edit: edit the header, then run python migrations/comments.py). One COMMENT
-- per public function overload: purpose, arguments, returns, locks, errors.
-- CREATE OR REPLACE keeps a function's comment; a revision that changes a
-- header runs this file again.
COMMENT ON FUNCTION calib.certifications(text, text) IS
    'Every certification in p_collection (through a chain: in every CALIBRATION member, in search order, each row naming the member it is stored in), optionally of one dataset type. Ordered by member, dataset type, data ID (interning order), begin.
Arguments: p_collection text, p_dataset_type text DEFAULT NULL
Locks: none; read-only.
Errors: KC002 unknown collection, KC005 unknown dataset type.';
COMMENT ON FUNCTION calib.certifications(text, text, bigint) IS
    'certifications as of epoch p_as_of (NULL: now): every certification p_collection held then, through its chains as they were then, each row naming the member it was in (a member reached through a snapshot: as of the snapshot''s epoch, f.member_epoch).
Arguments: p_collection text, p_dataset_type text, p_as_of bigint
Locks: none; read-only.
Errors: as certifications; KC015 as_of_range; KC002 for a collection that did not exist at that epoch.';
COMMENT ON FUNCTION calib.certify(text, uuid[], tstzrange, boolean) IS
    'Certify each dataset of p_datasets into CALIBRATION collection p_collection over p_timespan ([) bounds; +-infinity or a missing bound = unbounded). All or nothing: any overlap with a stored certification of the same calibration key (collection, dataset type, data ID), or between two datasets of this call, stores nothing. p_close_open: a stored certification of the same key with an unbounded end that begins before the new begin is first closed at the new begin; every other overlap still fails. Returns the number of certifications stored.
Arguments: p_collection text, p_datasets uuid[], p_timespan tstzrange, p_close_open boolean DEFAULT false
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC017 caller not a writer, KC018 refused by the collection''s state, KC002/KC003 collection unknown or not CALIBRATION, KC009 bad timespan, KC007 unknown dataset, KC006 non-calibration type, KC001 conflict (detail lists every conflict), 55P03 lock timeout.';
COMMENT ON FUNCTION calib.certify(text, jsonb, tstzrange, boolean) IS
    'certify with the datasets as one JSON array document of UUID strings (''["<uuid>", ...]''); the same results and errors, plus KC016 for a document that is not such an array (calib._uuids).
Arguments: p_collection text, p_datasets jsonb, p_timespan tstzrange, p_close_open boolean DEFAULT false
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC017 caller not a writer, KC018 refused by the collection''s state, KC002/KC003 collection unknown or not CALIBRATION, KC009 bad timespan, KC007 unknown dataset, KC006 non-calibration type, KC001 conflict (detail lists every conflict), 55P03 lock timeout.';
COMMENT ON FUNCTION calib.certify(text, text, text, text) IS
    'certify with every argument as text, the form that untyped literals and drivers binding text reach: datasets a JSON array or a PostgreSQL array literal (calib._document), the timespan a range of ISO 8601 instants with a UTC offset (calib._parse_timespan: a time without one is KC009), close_open a boolean''s text.
Arguments: p_collection text, p_datasets text, p_timespan text, p_close_open text DEFAULT ''false''
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC017 caller not a writer, KC018 refused by the collection''s state, KC002/KC003 collection unknown or not CALIBRATION, KC009 bad timespan, KC007 unknown dataset, KC006 non-calibration type, KC001 conflict (detail lists every conflict), 55P03 lock timeout.';
COMMENT ON FUNCTION calib.certify_series(text, uuid[], timestamptz[], boolean) IS
    'Certify a series given by begins only: item i is (p_datasets[i], p_begins[i]); each item''s end is the next begin of the same calibration key, the last one is unbounded. A NULL or -infinity begin means unbounded below. Then exactly as calib.certify. Returns the number of certifications stored.
Arguments: p_collection text, p_datasets uuid[], p_begins timestamptz[], p_close_open boolean DEFAULT false
Locks: the collection row, FOR NO KEY UPDATE.
Errors: as certify; KC001 also for two items of one key with the same begin; KC015 arrays of different lengths; KC009 a begin of +infinity.';
COMMENT ON FUNCTION calib.certify_series(text, jsonb, jsonb, boolean) IS
    'certify_series with datasets and begins as JSON array documents: UUID strings, and ISO 8601 instants with a UTC offset (calib._uuids, calib._instants). Same results and errors; KC016 for a document that is not such an array, KC009 for a time without an offset.
Arguments: p_collection text, p_datasets jsonb, p_begins jsonb, p_close_open boolean DEFAULT false
Locks: the collection row, FOR NO KEY UPDATE.
Errors: as certify; KC001 also for two items of one key with the same begin; KC015 arrays of different lengths; KC009 a begin of +infinity.';
COMMENT ON FUNCTION calib.certify_series(text, text, text, text) IS
    'certify_series with every argument as text: datasets and begins as JSON arrays or PostgreSQL array literals (calib._document), close_open a boolean''s text.
Arguments: p_collection text, p_datasets text, p_begins text, p_close_open text DEFAULT ''false''
Locks: the collection row, FOR NO KEY UPDATE.
Errors: as certify; KC001 also for two items of one key with the same begin; KC015 arrays of different lengths; KC009 a begin of +infinity.';
COMMENT ON FUNCTION calib.check_integrity() IS
    'Re-verifies every invariant of calibcert from the tables themselves, trusting no constraint or trigger (a superuser can drop or bypass those): one row per violation, no row when the database is healthy. Check names and detail keys: README "Integrity check and statistics"; the SQLite twin (sql/sqlite/functions/check_integrity.sql) reports the same checks under the same names. Set-based (one pass per check, no per-row loop), so it stays fast on a large database.
Arguments: none.
Returns: rows (check, detail), ordered by check, then detail.
Locks: none; read-only, one snapshot (STABLE), runs on a hot standby.
Errors: none of its own.';
COMMENT ON FUNCTION calib.close_open_range(text, text, timestamptz, jsonb[]) IS
    'Give every certification of p_dataset_type in p_collection whose end is unbounded (only those data IDs when p_data_ids is given) the end p_end. Returns how many were closed.
Arguments: p_collection text, p_dataset_type text, p_end timestamptz, p_data_ids jsonb[] DEFAULT NULL
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC009 if one of them begins at or after p_end (nothing is changed) or p_end is NULL / infinite; KC002/KC003/KC005/KC006/KC008 as decertify.';
COMMENT ON FUNCTION calib.close_open_range(text, text, timestamptz, jsonb) IS
    'close_open_range with the data IDs as one JSON array document (NULL or JSON null: all); same results and errors, KC016 for a document that is not an array. No default for p_data_ids: a three-argument call must keep reaching the typed form.
Arguments: p_collection text, p_dataset_type text, p_end timestamptz, p_data_ids jsonb
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC009 if one of them begins at or after p_end (nothing is changed) or p_end is NULL / infinite; KC002/KC003/KC005/KC006/KC008 as decertify.';
COMMENT ON FUNCTION calib.close_open_range(text, text, text, text) IS
    'close_open_range with every argument as text: the end an ISO 8601 instant with a UTC offset (calib._parse_instant), the data IDs a JSON array or a PostgreSQL array literal.
Arguments: p_collection text, p_dataset_type text, p_end text, p_data_ids text DEFAULT NULL
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC009 if one of them begins at or after p_end (nothing is changed) or p_end is NULL / infinite; KC002/KC003/KC005/KC006/KC008 as decertify.';
COMMENT ON FUNCTION calib.collection_digest(text, bigint) IS
    'calib.collection_digest(p_collection) as of epoch p_as_of (NULL: now): the digest of the collection''s content then, in the same canonical form (the 1-argument form''s header says it exactly): the rows of calib._digest_rows read as of that epoch, the collection as named then.
Arguments: p_collection, the collection''s name (as named at p_as_of); p_as_of an epoch (calib.current_epoch()) or NULL for now.
Returns: ''sha256:'' followed by 64 lowercase hex digits.
Locks: none; read-only, one snapshot, runs on a hot standby.
Errors: KC002 unknown collection (at that epoch), KC015 NULL name or as_of_range. jit = off: as for calib.collection_stats, compiling costs more than it saves here.';
COMMENT ON FUNCTION calib.collection_digest(text) IS
    'The digest of a collection''s current content: ''sha256:'' and the lowercase hex SHA-256 of its canonical form, which README "Collection digests" specifies exactly (so that another implementation can recompute it). Equal for equal content on PostgreSQL and SQLite and after export/import; the collection''s own name, doc, state and writers are not content, so a copy under another name has the same digest. A chain''s digest covers the names of its children in order, not their content (each child has a digest of its own).
Arguments: p_collection, the collection''s name.
Returns: ''sha256:'' followed by 64 lowercase hex digits.
Locks: none; read-only, one snapshot, runs on a hot standby.
Errors: KC002 unknown collection, KC015 NULL name.';
COMMENT ON FUNCTION calib.collection_stats() IS
    'Statistics of every collection, by name: its state (OPEN, APPEND_ONLY, FROZEN), datasets (RUN: the datasets it holds), tagged (TAGGED: tag rows), certifications, calibration_keys (distinct data IDs certified) and open_ended (certifications without an end) of a CALIBRATION collection, its earliest_begin and latest_end (NULL when some certification is unbounded on that side, or when there is none), children (CHAINED: direct children). A count that does not apply to the collection''s type is 0. Each table is read once, grouped by collection.
Arguments: none.
Returns: one row per collection, ordered by name.
Locks: none; read-only, one snapshot, runs on a hot standby.
Errors: none of its own.';
COMMENT ON FUNCTION calib.copy_collection(text, text, text) IS
    'Create p_destination with the type of p_source and all its associations: certifications with their timespans (CALIBRATION), tags (TAGGED) or chain children (CHAINED). Set-based: one INSERT ... SELECT. p_doc defaults to the source''s doc. A snapshot''s copy gets its source''s associations as of the snapshot''s epoch (revision 0014), in OPEN state.
Arguments: p_source text, p_destination text, p_doc text DEFAULT NULL
Locks: for a chain, calib._lock_chains(); the source row FOR SHARE (waits for writers in flight, then copies their complete result); the new row is invisible until commit. A destination name that another open transaction is creating: wait for it to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait collection_name).
Errors: KC002 unknown source (snapshot_member_removed: a snapshot of a chain whose member has been removed since), KC003 source is a RUN, KC010 destination exists, KC014 bad destination name.';
COMMENT ON FUNCTION calib.current_epoch() IS
    'The latest committed epoch (0 before any change): everything as of it is final, whatever commits later or concurrently (epochs follow commit order: calib._stamp_epoch).
Arguments: none.
Locks: none; read-only, runs on a hot standby.
Errors: none.';
COMMENT ON FUNCTION calib.decertify(text, text, tstzrange, jsonb[]) IS
    'Remove validity inside p_timespan from every certification of p_dataset_type in CALIBRATION collection p_collection (only those data IDs when p_data_ids is given): a certification fully covered is removed, one straddling an end is shortened, one containing the span is split in two. Set-based, one statement: a DELETE of the covered rows; an UPDATE that shortens each other row in place to its first remaining piece; an INSERT of the second piece of a split. The UPDATE gives the row a new certification_id (certification_id = DEFAULT) and this change as its creator: the history records the old row closed and new rows opened, exactly as a delete and an insert would, and calib.history / calib.explain / calib.revert / as-of reads answer the same. It is done in place because PostgreSQL does not re-check the foreign keys of a row whose key columns did not change: a split costs one foreign-key check per parent instead of two (revision 0016, bench/README.md "PostgreSQL writes (revision 0016)"). The INSERT reads the UPDATE''s RETURNING rows, so each row is shortened before its second piece is checked against the exclusion constraint. Returns the number of certifications touched; nothing matching is a no-op (0).
Arguments: p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb[] DEFAULT NULL
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009 bad timespan, KC008 bad data ID.';
COMMENT ON FUNCTION calib.decertify(text, text, tstzrange, jsonb) IS
    'decertify with the data IDs as one JSON array document (NULL or JSON null: all); same results and errors, KC016 for a document that is not an array. No default for p_data_ids: a three-argument call must keep reaching the typed form.
Arguments: p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009 bad timespan, KC008 bad data ID.';
COMMENT ON FUNCTION calib.decertify(text, text, text, text) IS
    'decertify with every argument as text: the timespan a range of ISO 8601 instants with a UTC offset (calib._parse_timespan), the data IDs a JSON array or a PostgreSQL array literal (calib._document).
Arguments: p_collection text, p_dataset_type text, p_timespan text, p_data_ids text DEFAULT NULL
Locks: the collection row, FOR NO KEY UPDATE.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009 bad timespan, KC008 bad data ID.';
COMMENT ON FUNCTION calib.epoch_at(timestamptz) IS
    'The last epoch committed at or before p_instant (0 if none was).
Arguments: p_instant timestamptz
Locks: none; read-only, runs on a hot standby.
Errors: KC015 NULL instant.';
COMMENT ON FUNCTION calib.epoch_at(text) IS
    'epoch_at with the instant as text (drivers binding text), read strictly (calib._parse_instant: a time without a UTC offset is KC009).
Arguments: p_instant text
Locks: none; read-only, runs on a hot standby.
Errors: KC015 NULL instant.';
COMMENT ON FUNCTION calib.explain(text, text, jsonb, timestamptz, bigint) IS
    'Why find(p_collection, p_dataset_type, p_data_id, p_at, p_as_of) answers what it answers: one row per member of the collection''s search path (as of p_as_of when given), in search order. outcome: ''no match'' (searched, nothing there), ''match'' (the deciding member: its dataset), ''ambiguous'' (the deciding member holds more than one match, find raises KC011: one row per match), ''skipped'' (not searched: after the deciding member, or a CALIBRATION member when p_at is NULL). On the deciding member''s rows: dataset_id, timespan (the matching certification''s validity; NULL for RUN and TAGGED members) and epoch (of the change that created the certification, tag or RUN dataset; NULL for the caller''s own uncommitted change). The decision is find''s own (calib.probe / calib._probe_as_of); see calib._explain.
Arguments: as find; p_as_of an epoch (NULL: now).
Returns: the rows above, by rank (and, for ''ambiguous'', by the matches'' begin).
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC002, KC005, KC008, KC015), KC015 as_of_range, KC002 for a collection that did not exist at p_as_of; never KC011.';
COMMENT ON FUNCTION calib.explain(text, text, jsonb, tstzrange, bigint) IS
    'explain of find(..., tstzrange): certifications overlapping p_timespan match ([) bounds, validated; NULL skips CALIBRATION members). Only a timespan can make a deciding member ''ambiguous'' (certifications of one data ID never overlap within a collection).
Arguments: as find''s timespan form; p_as_of an epoch (NULL: now).
Returns: as explain(..., timestamptz).
Locks: none; read-only.
Errors: as find''s timespan form (KC009 for a bad timespan); never KC011.';
COMMENT ON FUNCTION calib.explain(text, text, text, text, text) IS
    'explain with every argument as text (untyped literals, drivers binding text), read as find''s all-text form reads them: the data ID as JSON text (calib._json_text), p_at an instant, or a timespan when it starts with ''['' or ''('' (or is ''empty''), read strictly; p_as_of an epoch in decimal digits, NULL or '''' for now (calib._epoch_text).
Arguments: as above. Returns: as explain(..., timestamptz).
Locks: none; read-only.
Errors: as find''s all-text form; KC015 epoch_text.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, timestamptz) IS
    'The dataset of p_dataset_type with data ID p_data_id found by searching p_collection (chains flattened, in order) at instant p_at: the first member with any match decides; CALIBRATION members match certifications whose timespan contains p_at. NULL p_at skips CALIBRATION members. No row when nothing matches.
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamptz
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, tstzrange) IS
    'As find(..., timestamptz), matching certifications that overlap p_timespan ([) bounds, validated; NULL skips CALIBRATION members).
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_timespan tstzrange
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, text, text) IS
    'find with every argument as text, the form untyped literals and drivers binding text reach (with two typed forms for p_at, an untyped call would be "not unique"): the data ID as JSON text (calib._json_text), p_at an instant, or a timespan when it starts with ''['' or ''('' (or is ''empty''), read strictly by calibcert (calib._parse_instant / calib._parse_timespan: a time without a UTC offset is KC009). Then exactly the typed find.
Arguments: p_collection text, p_dataset_type text, p_data_id text, p_at text
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, text) IS
    'find with a typed data ID and p_at as text (an untyped time next to a jsonb data ID): an instant, or a timespan when it starts with ''['' or ''('' (or is ''empty''), read strictly (calib._parse_instant / calib._parse_timespan). Then exactly the typed find.
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_at text
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, timestamptz, bigint) IS
    'find as of epoch p_as_of (calib.current_epoch(), calib.epoch_at()): the answer find gave at that epoch, through the chains and collections as they were then (a collection removed or renamed since is found by the name it had). NULL p_as_of is find now (the four-argument form, unchanged). Generic plans (plan_cache_mode): planned once per session; custom plans of calib._lookup''s statements were made again on every call (1.1 ms instead of 0.55 ms per find as of an epoch).
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamptz, p_as_of bigint
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find; KC015 as_of_range (negative, or beyond the current epoch); KC002 for a collection that did not exist at that epoch.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, tstzrange, bigint) IS
    'As find(..., tstzrange) as of epoch p_as_of (NULL: now).
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_timespan tstzrange, p_as_of bigint
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, jsonb, text, bigint) IS
    'find(..., jsonb, text) as of epoch p_as_of (NULL: now): p_at an instant, or a timespan when it starts with ''['' or ''('' (or is ''empty''), read strictly.
Arguments: p_collection text, p_dataset_type text, p_data_id jsonb, p_at text, p_as_of bigint
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002, KC005, KC008.';
COMMENT ON FUNCTION calib.find(text, text, text, text, text) IS
    'find as of an epoch with every argument as text (drivers binding text): p_as_of an epoch in decimal digits, or NULL / '''' for now (calib._epoch_text). Then exactly the typed form.
Arguments: p_collection text, p_dataset_type text, p_data_id text, p_at text, p_as_of text
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find; KC015 epoch_text for an epoch that is not a decimal integer.';
COMMENT ON FUNCTION calib.find_many(text, text, jsonb[], timestamptz[]) IS
    'find for many (data ID, instant) pairs in one call: one row per pair, in input order (ord = 1-based position), NULL dataset where nothing matched. A NULL instant skips CALIBRATION members for that pair.
Arguments: p_collection text, p_dataset_type text, p_data_ids jsonb[], p_at timestamptz[]
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different lengths.';
COMMENT ON FUNCTION calib.find_many(text, text, jsonb[], tstzrange[]) IS
    'As find_many(..., timestamptz[]) with a timespan per pair. A timespan that is a single instant written [t,t] is accepted as that instant (the Python client sends mixed instants and timespans this way); every other span must have [) bounds.
Arguments: p_collection text, p_dataset_type text, p_data_ids jsonb[], p_timespans tstzrange[]
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different lengths.';
COMMENT ON FUNCTION calib.find_many(text, text, jsonb, jsonb) IS
    'find_many with the data IDs and the times as JSON array documents: the times are ISO 8601 instants with a UTC offset, or (when one of them starts with ''['' or ''('') all timespans as range strings; null for no time. Same results and errors as the typed forms; KC016 for a document that is not such an array, KC009 for a time without an offset.
Arguments: p_collection text, p_dataset_type text, p_data_ids jsonb, p_at jsonb
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different lengths.';
COMMENT ON FUNCTION calib.find_many(text, text, text, text) IS
    'find_many with every argument as text: data IDs and times as JSON arrays or PostgreSQL array literals (calib._document), then as find_many(text, text, jsonb, jsonb).
Arguments: p_collection text, p_dataset_type text, p_data_ids text, p_at text
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different lengths.';
COMMENT ON FUNCTION calib.find_many(text, text, jsonb[], timestamptz[], bigint) IS
    'find_many as of epoch p_as_of (NULL: now): the answers find gave at that epoch, through the chains as they were then.
Arguments: p_collection text, p_dataset_type text, p_data_ids jsonb[], p_at timestamptz[], p_as_of bigint
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find_many; KC015 as_of_range.';
COMMENT ON FUNCTION calib.find_many(text, text, jsonb[], tstzrange[], bigint) IS
    'As find_many(..., tstzrange[]) as of epoch p_as_of (NULL: now).
Arguments: p_collection text, p_dataset_type text, p_data_ids jsonb[], p_timespans tstzrange[], p_as_of bigint
Locks: none; read-only (STABLE), runs on a hot standby.
Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different lengths.';
COMMENT ON FUNCTION calib.get_chain(text) IS
    'The direct children of CHAINED collection p_parent, in order. A snapshot of a chain (revision 0014): its source''s children as they were at the snapshot''s epoch (calib._chain_as_of).
Arguments: p_parent text
Locks: none. Read-only.
Errors: KC002 unknown collection, KC003 not CHAINED.';
COMMENT ON FUNCTION calib.get_chain(text, bigint) IS
    'get_chain as of epoch p_as_of (NULL: now): the children chain p_parent had then, by the names they had then (calib._chain_as_of).
Arguments: p_parent text, p_as_of bigint
Locks: none. Read-only.
Errors: as get_chain; KC015 as_of_range; KC002 for a chain that did not exist then.';
COMMENT ON FUNCTION calib.get_datasets(uuid[]) IS
    'The datasets with the given ids, in input order.
Arguments: p_ids uuid[]
Locks: none; read-only.
Errors: KC007 unknown id, KC015 NULL.';
COMMENT ON FUNCTION calib.get_datasets(jsonb) IS
    'get_datasets with the ids as one JSON array document of UUID strings (calib._uuids).
Arguments: p_ids jsonb
Locks: none; read-only.
Errors: KC007 unknown id, KC015 NULL.';
COMMENT ON FUNCTION calib.get_datasets(text) IS
    'get_datasets with the ids as text: a JSON array or a PostgreSQL array literal.
Arguments: p_ids text
Locks: none; read-only.
Errors: KC007 unknown id, KC015 NULL.';
COMMENT ON FUNCTION calib.history(text, text, jsonb, bigint, bigint) IS
    'The changes of collection p_collection (every collection that ever bore that name, removed ones included), oldest first: one row per changed certification, tag, dataset (of a RUN), collection row or chain position per change. Each row: the change''s epoch and commit time, database role, client user and reason (calib.user, calib.reason), the operation (the public function, ''sql'' for raw SQL, ''upgrade'' for what existed at revision 0014), the collection''s name; for certifications the dataset type, data ID, dataset and validity before/after (certify: before NULL; removal by decertify: after NULL; a shortened or split certification: both, a split''s other piece a row with before NULL); for tags and datasets the same columns with NULL validity. Collection-level rows (detail.what = ''collection'': registration = before NULL, removal = after NULL, state or writer changes = both; ''chain'': a chain position''s child before/after) have NULL dataset columns and appear only when neither p_dataset_type nor p_data_id is given. Within a change: certifications, tags, datasets by dataset type and data ID, what went before what came, by begin. The caller''s own uncommitted change is shown with a NULL epoch.
Arguments: p_dataset_type / p_data_id narrow to one dataset type / data ID (a data ID needs its dataset type); p_since / p_until keep epochs in [since, until]. Pruned history (calib.prune_history): a p_since below the history horizon is refused (the changes before it are incomplete); without p_since the rows start at the horizon. The last column is the change''s request id (setting calib.request_id), NULL without.
Locks: none; read-only, runs on a hot standby.
Errors: KC002 a name no collection ever had, KC005 unknown dataset type, KC008 invalid data ID, KC015 data ID without dataset type, KC015 as_of_pruned.';
COMMENT ON FUNCTION calib.history(text, text, text, text, text) IS
    'history with every argument as text (drivers binding text): the data ID as JSON text (calib._json_text), the epochs in decimal digits (calib._epoch_text); NULL or '''' for none. Then exactly the typed form.
Arguments: p_collection text, p_dataset_type text, p_data_id text, p_since text, p_until text
Locks: none; read-only, runs on a hot standby.
Errors: KC002 a name no collection ever had, KC005 unknown dataset type, KC008 invalid data ID, KC015 data ID without dataset type, KC015 as_of_pruned.';
COMMENT ON FUNCTION calib.insert_datasets(text, text, jsonb[], uuid[]) IS
    'Create one dataset per data ID in RUN collection p_run; returns (id, canonical data ID) in input order. p_ids brings the caller''s own UUIDs (same length); otherwise random UUIDs are generated. Set-based: data IDs are interned and datasets inserted with one statement each. A dimension used for the first time gets the value type of its first value here.
Arguments: p_dataset_type text, p_run text, p_data_ids jsonb[], p_ids uuid[] DEFAULT NULL
Locks: the run''s collection row (calib._lock_collections); then the new data IDs (in data_id_type_value_key) and the new dataset ids (dataset_pkey), in sorted order: a transaction creating one of them too, still open, makes this call wait for it to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait data_id or dataset_id, with the call''s first data IDs / ids). A dimension''s first use: see calib._fix_dimensions.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 run unknown or not a RUN, KC005 unknown type, KC008 bad data ID (calib._canonical_data_ids: also a value of the other type than its dimension''s), KC010 a data ID repeated in the call or already in the run, or an id already used, KC015 NULLs / p_ids of another length.';
COMMENT ON FUNCTION calib.insert_datasets(text, text, jsonb, jsonb) IS
    'insert_datasets with the data IDs and the ids as JSON array documents (''[{"instrument": "Cam", "detector": 1}]'', ''["<uuid>"]''); same results and errors, KC016 for a document that is not such an array.
Arguments: p_dataset_type text, p_run text, p_data_ids jsonb, p_ids jsonb DEFAULT NULL
Locks: the run''s collection row (calib._lock_collections); then the new data IDs (in data_id_type_value_key) and the new dataset ids (dataset_pkey), in sorted order: a transaction creating one of them too, still open, makes this call wait for it to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait data_id or dataset_id, with the call''s first data IDs / ids). A dimension''s first use: see calib._fix_dimensions.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 run unknown or not a RUN, KC005 unknown type, KC008 bad data ID (calib._canonical_data_ids: also a value of the other type than its dimension''s), KC010 a data ID repeated in the call or already in the run, or an id already used, KC015 NULLs / p_ids of another length.';
COMMENT ON FUNCTION calib.insert_datasets(text, text, text, text) IS
    'insert_datasets with every argument as text: data IDs and ids as JSON arrays or PostgreSQL array literals (calib._document).
Arguments: p_dataset_type text, p_run text, p_data_ids text, p_ids text DEFAULT NULL
Locks: the run''s collection row (calib._lock_collections); then the new data IDs (in data_id_type_value_key) and the new dataset ids (dataset_pkey), in sorted order: a transaction creating one of them too, still open, makes this call wait for it to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait data_id or dataset_id, with the call''s first data IDs / ids). A dimension''s first use: see calib._fix_dimensions.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 run unknown or not a RUN, KC005 unknown type, KC008 bad data ID (calib._canonical_data_ids: also a value of the other type than its dimension''s), KC010 a data ID repeated in the call or already in the run, or an id already used, KC015 NULLs / p_ids of another length.';
COMMENT ON FUNCTION calib.list_collections(text) IS
    'Every collection (optionally of one type: RUN, TAGGED, CALIBRATION or CHAINED, any case), by name, with its state (OPEN, APPEND_ONLY, FROZEN) and writer list (NULL: every certifier). A snapshot (calib.snapshot_collection, revision 0014) has the type of its source and names it: snapshot_of (the source''s name at the snapshot''s epoch, which it may no longer bear) and snapshot_epoch; both NULL for every other collection.
Arguments: p_type text DEFAULT NULL
Locks: none; read-only.
Errors: none of its own.';
COMMENT ON FUNCTION calib.list_collections(text, bigint) IS
    'list_collections as of epoch p_as_of (NULL: now, the one-argument form): every collection that existed then, with its name, type, state and writer list then (calib.collection_version), a snapshot with its source and epoch. A collection''s doc has no history: its current doc, NULL for a collection removed since.
Arguments: p_type (as list_collections), p_as_of an epoch (calib.current_epoch()).
Locks: none; read-only.
Errors: KC015 as_of_range.';
COMMENT ON FUNCTION calib.list_dataset_types() IS
    'Every dataset type, by name.
Arguments: none.
Locks: none; read-only.
Errors: none of its own.';
COMMENT ON FUNCTION calib.probe(integer, integer, tstzrange) IS
    'The lookup rule, the one place it is written on PostgreSQL. The collection''s stored search path (calib.search_path: itself, or a chain''s members flattened) is searched in rank order and the first member with any match for the data ID key decides: RUN and TAGGED members match by data ID for all time, CALIBRATION members by certifications overlapping p_span (an instant t is the range [t,t]; a NULL span skips them). One row for the deciding member: its dataset, and ambiguous = it has more than one match (the caller raises KC011); no row when no member matches.
Arguments: p_collection_id and p_data_id_key internal ids (calib.collection, calib.data_id), p_span the time (NULL skips CALIBRATION members).
Locks: none; read-only.
Errors: none of its own (callers resolve names to ids first and raise).';
COMMENT ON FUNCTION calib.prune_history(bigint) IS
    'Retention (README "Retention and request ids"): drops the history older than epoch p_before. Deleted: every closed version (of certification_version, collection_version, chain_version, tag_version, dataset_version) whose removing change has an epoch below p_before -- no as-of read at an epoch >= p_before can see it (calib._visible: it was gone by then) and history from p_before on never shows it --, then every change row below p_before that no version and no current certification refers to any more. Versions still visible at p_before (current ones, or closed at or after p_before) stay with the changes that created them, so as-of reads at every epoch >= p_before answer exactly as before (tests/test_pg_retention.py replays them all). The history horizon (calib.history_horizon) becomes p_before: as-of reads and history since an epoch below it are then refused (as_of_pruned) instead of answered wrongly. The horizon never moves back: a p_before at or below it drops nothing. A change''s request id goes with its row: a retry of a pruned request is no longer recognised.
Arguments: p_before: 0 <= p_before <= calib.current_epoch().
Returns: the number of versions dropped.
Locks: the calib.history_horizon row FOR UPDATE (prunes take turns; a wait bounded by calib.lock_timeout); ROW EXCLUSIVE on the version tables and calib.change, like any writer, and the deleted rows, which nobody writes any more (closed versions, changes nothing refers to). No table lock: lookups (current and as-of) and writers go on. The work is linear in the history dropped plus one pass over the current certifications; to keep each transaction short, prune in steps of increasing p_before.
Errors: KC015 argument_null, KC015 prune_range (p_before out of range), KC015 prune_snapshot (a snapshot reads an epoch below p_before), 55P03 (wait ''history_horizon'') when another prune holds the horizon beyond calib.lock_timeout, 0A000 change_delete_isolation in a transaction under REPEATABLE READ or SERIALIZABLE (changes are deleted only under READ COMMITTED: calib._change_refs_check).';
COMMENT ON FUNCTION calib.query_datasets(text, text, jsonb) IS
    'The datasets of p_dataset_type visible in a RUN, TAGGED or CHAINED collection without a time: for each data ID the first RUN / TAGGED member holding it decides (as find with no time); CALIBRATION members are skipped. p_where narrows by data-ID values (jsonb containment, e.g. ''{"detector": 3}''). Ordered by data ID (interning order). This is how "certify all biases in this run" picks its datasets. A snapshot (revision 0014) holds its source''s datasets and tags as of the snapshot''s epoch.
Arguments: p_collection text, p_dataset_type text, p_where jsonb DEFAULT NULL
Locks: none; read-only.
Errors: KC002, KC003 (a CALIBRATION collection itself), KC005, KC008 (p_where: a bad value, or one of the other type than its dimension''s; calib._canonical_where).';
COMMENT ON FUNCTION calib.query_datasets(text, text, text) IS
    'query_datasets with the where clause as JSON text (a driver binding text): parsed by calib._json_text (KC016 if it is not JSON). No default: a two-argument call keeps reaching the typed form.
Arguments: p_collection text, p_dataset_type text, p_where text
Locks: none; read-only.
Errors: KC002, KC003 (a CALIBRATION collection itself), KC005, KC008 (p_where: a bad value, or one of the other type than its dimension''s; calib._canonical_where).';
COMMENT ON FUNCTION calib.query_datasets(text, text, jsonb, bigint) IS
    'query_datasets as of epoch p_as_of (NULL: now, the three-argument form): the same rule (for each data ID the first RUN / TAGGED member of the search path holding it decides) applied to the collections, chains, datasets and tags visible then (a snapshot member read at its own epoch: calib._search_path_as_of''s member_epoch); each dataset''s RUN by the name it had then.
Arguments: as query_datasets; p_as_of an epoch (calib.current_epoch()).
Locks: none; read-only.
Errors: as query_datasets, KC002 for a collection missing at that epoch; KC015 as_of_range.';
COMMENT ON FUNCTION calib.register_collection(text, text, text) IS
    'Register a collection. p_type is RUN, TAGGED, CALIBRATION or CHAINED (any case). Returns true if it was created, false if it existed with the same type (a no-op; the stored doc is kept). Concurrent registrations of one name are safe (ON CONFLICT). The name is stored in Unicode NFC.
Arguments: p_name text, p_type text, p_doc text DEFAULT NULL
Locks: the new name in the unique index collection_name_key: a second transaction registering the same new name waits for the first to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait collection_name).
Errors: KC014 bad name, KC015 unknown type / NULL, KC010 exists with another type.';
COMMENT ON FUNCTION calib.register_dataset_type(text, text[], boolean) IS
    'Register a dataset type: its data IDs have exactly the keys p_dimensions (ordered, distinct names). Returns true if created, false if the same definition existed. Names are stored in Unicode NFC; at most 32 dimensions (with the 2000-byte limit of a data ID, no data ID can outgrow a btree entry).
Arguments: p_name text, p_dimensions text[], p_is_calibration boolean DEFAULT true
Locks: the new name in the unique index dataset_type_name_key: a second transaction registering the same new name waits for the first to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait dataset_type_name).
Errors: KC014 bad name, KC015 NULL / repeated dimension / more than 32, KC010 exists with another definition; 55P03 lock timeout (kind lock_timeout).';
COMMENT ON FUNCTION calib.register_dataset_type(text, jsonb, boolean) IS
    'register_dataset_type with the dimensions as one JSON array document of names (''["instrument", "detector"]'', calib._names).
Arguments: p_name text, p_dimensions jsonb, p_is_calibration boolean DEFAULT true
Locks: the new name in the unique index dataset_type_name_key: a second transaction registering the same new name waits for the first to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait dataset_type_name).
Errors: KC014 bad name, KC015 NULL / repeated dimension / more than 32, KC010 exists with another definition; 55P03 lock timeout (kind lock_timeout).';
COMMENT ON FUNCTION calib.register_dataset_type(text, text, text) IS
    'register_dataset_type with every argument as text: the dimensions a JSON array or a PostgreSQL array literal, is_calibration a boolean''s text.
Arguments: p_name text, p_dimensions text, p_is_calibration text DEFAULT ''true''
Locks: the new name in the unique index dataset_type_name_key: a second transaction registering the same new name waits for the first to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait dataset_type_name).
Errors: KC014 bad name, KC015 NULL / repeated dimension / more than 32, KC010 exists with another definition; 55P03 lock timeout (kind lock_timeout).';
COMMENT ON FUNCTION calib.remove_collection(text) IS
    'Remove a TAGGED, CALIBRATION or CHAINED collection with its associations (tags, certifications, chain children); its datasets stay in their RUNs. A RUN may be removed only while it holds no dataset.
Arguments: p_name text
Locks: calib._lock_chains(), then the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002 unknown, KC013 still a child of a chain / RUN with datasets.';
COMMENT ON FUNCTION calib.revert(bigint, boolean) IS
    'Undo the change committed as epoch p_epoch by writing its inverse as a new change (operation ''revert''; history is kept, and a revert can itself be reverted): the certifications, tags, chain positions, datasets and collections it created are removed, those it removed or changed are restored as they were (same ids, validity, state and writers), collections whose state or writers it changed get them back. A later change that makes this impossible fails the whole call and nothing is changed: a row the change created has since been changed or removed, a dataset or collection it created is used since, a row to restore has lost its place, its collection or its dataset (KC019 RevertConflictError, naming the epoch and the later epoch in the way), or a restored certification would overlap a later one (KC001, kind revert_overlap). What is not versioned is not reverted: dataset types, interned data IDs, a collection''s doc. The change''s reason is ''revert of epoch N'' unless calib.reason is set. Role: calib_admin (README "Revert": a change can span collections, chains and collection registrations, which only admins make).
Arguments: p_epoch an epoch of calib.change; p_dry_run true: everything is done and checked, then rolled back (a conflict raises just the same), nothing is written.
Returns: what it does (or would do), calib._revert_actions: one row per row removed or restored (action, collection, dataset_type, data_id, dataset, validity, detail), in the order it is done.
Locks: calib._lock_chains() when chains or collection registrations are touched, then every touched collection''s row in ascending id (calib._lock_collections), before any check (calib._revert_apply).
Errors: KC015 NULL epoch or no change with that epoch (revert_epoch_missing) or one below the history horizon (as_of_pruned), KC019, KC001, KC017/KC018 a touched collection''s writer list or state (FROZEN, APPEND_ONLY); 55P03 a lock wait ran out.';
COMMENT ON FUNCTION calib.revert(text, text) IS
    'revert with both arguments as text (drivers binding text): the epoch in decimal digits (calib._epoch_text), dry_run as PostgreSQL reads a boolean (NULL or '''': false). Then exactly the typed form.
Arguments: p_epoch text, p_dry_run text
Locks: calib._lock_chains() when chains or collection registrations are touched, then every touched collection''s row in ascending id (calib._lock_collections), before any check (calib._revert_apply).
Errors: KC015 NULL epoch or no change with that epoch (revert_epoch_missing) or one below the history horizon (as_of_pruned), KC019, KC001, KC017/KC018 a touched collection''s writer list or state (FROZEN, APPEND_ONLY); 55P03 a lock wait ran out.';
COMMENT ON FUNCTION calib.set_chain(text, text[]) IS
    'Replace the children of CHAINED collection p_parent, atomically, by p_children in order (a repeated child is kept at its first position only; an empty array empties the chain).
Arguments: p_parent text, p_children text[]
Locks: calib._lock_chains(), then the parent row (calib._lock_collections).
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002 unknown parent or child, KC003 parent not CHAINED, KC004 a cycle (the parent itself, or a chain that already contains the parent), KC015 NULL.';
COMMENT ON FUNCTION calib.set_chain(text, jsonb) IS
    'set_chain with the children as one JSON array document of names (calib._names). PL/pgSQL, as the typed form, so that both return the same void value.
Arguments: p_parent text, p_children jsonb
Locks: calib._lock_chains(), then the parent row (calib._lock_collections).
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002 unknown parent or child, KC003 parent not CHAINED, KC004 a cycle (the parent itself, or a chain that already contains the parent), KC015 NULL.';
COMMENT ON FUNCTION calib.set_chain(text, text) IS
    'set_chain with the children as text: a JSON array or a PostgreSQL array literal.
Arguments: p_parent text, p_children text
Locks: calib._lock_chains(), then the parent row (calib._lock_collections).
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002 unknown parent or child, KC003 parent not CHAINED, KC004 a cycle (the parent itself, or a chain that already contains the parent), KC015 NULL.';
COMMENT ON FUNCTION calib.set_collection_state(text, text) IS
    'Set the state of collection p_name: OPEN (every change allowed, the default), APPEND_ONLY (certify only at or after the latest begin of each calibration key, tag, insert_datasets, close_open and close_open_range; no decertify, untag, set_chain or removal) or FROZEN (no change at all, from any role, raw SQL included). Case-insensitive. Returns the previous state. Unfreezing (FROZEN to OPEN or APPEND_ONLY) is allowed to whoever may call this function (calib_admin): it is not itself refused by the state, nor by the writer list, which restricts changes of the collection''s content, not its administration.
Arguments: p_name text, p_state text
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections): waits for the writers in flight, and a writer that comes after sees the new state.
Errors: KC002 unknown collection, KC015 NULL or unknown state, KC018 snapshot_frozen (a snapshot, calib.snapshot_collection, stays FROZEN).';
COMMENT ON FUNCTION calib.set_collection_writers(text, text[]) IS
    'Only members of the roles p_roles (directly or through other roles, as pg_has_role MEMBER says; a superuser always) may change collection p_name from now on; NULL resets to the default, every role allowed to call the mutating functions. A role repeated is kept once, at its first position. Roles are stored by name: a role renamed or dropped later grants nothing (fail-closed); set the list again. Which role is checked: the session''s SET ROLE, else its login (calib._caller). Returns the previous list (NULL for the default). Allowed on a FROZEN collection: the list is the collection''s administration, not its content.
Arguments: p_name text, p_roles text[]
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC002 unknown collection; KC015 an empty list, a NULL element, a role that does not exist.';
COMMENT ON FUNCTION calib.set_collection_writers(text, jsonb) IS
    'set_collection_writers with the roles as one JSON array document of names (calib._names); NULL or JSON null resets to every certifier.
Arguments: p_name text, p_roles jsonb
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC002 unknown collection; KC015 an empty list, a NULL element, a role that does not exist.';
COMMENT ON FUNCTION calib.set_collection_writers(text, text) IS
    'set_collection_writers with the roles as text: a JSON array or a PostgreSQL array literal; NULL resets to every certifier.
Arguments: p_name text, p_roles text
Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).
Errors: KC002 unknown collection; KC015 an empty list, a NULL element, a role that does not exist.';
COMMENT ON FUNCTION calib.snapshot_collection(text, text, bigint) IS
    'Create collection p_name that reads as p_source did at epoch p_as_of (NULL: the current epoch at the call, calib.current_epoch(): what is committed, not the caller''s own uncommitted changes), in O(1): one collection row (the source''s type then, state FROZEN) and one calib.snapshot row (source id, epoch); no certification, tag, dataset or chain row is copied. Every read of it (find, find_many, certifications, get_chain, collection_digest, as a chain member) is an as-of read of the source (calib.probe''s snapshot branch, calib._probe_as_of). It refuses every write (FROZEN by construction: calib._check_change and the FROZEN triggers; set_collection_state refuses to unfreeze it); remove_collection (admin) removes it. The source is taken as named at that epoch, so a collection removed (or renamed away) since can still be snapshotted as it was; a snapshot keeps reading its source''s versions after the source is removed. A snapshot of a snapshot reads what the first one reads (same source, same epoch).
Arguments: p_source the collection to read (any type), p_name the new collection''s name (calib._check_name rules), p_as_of the epoch (0 .. current_epoch(); NULL: current).
Returns: the epoch the snapshot reads its source at.
Locks: the new name in the unique index collection_name_key (a second transaction creating the same name waits for the first to end, bounded: calib._bound_waits; 55P03, kind lock_timeout, wait collection_name). None on the source: the state at a committed epoch never changes. Its history: a change with operation snapshot_collection.
Errors: KC002 collection_missing_as_of (no collection of that name at the epoch), KC010 collection_exists, KC014 bad name, KC015 as_of_range / NULL source or name.';
COMMENT ON FUNCTION calib.snapshot_collection(text, text, text) IS
    'snapshot_collection with every argument as text (drivers binding text): p_as_of an epoch in decimal digits, or NULL / '''' for the current epoch (calib._epoch_text). Then exactly the typed form. No default: a two-argument call reaches the typed form. Arguments, Returns, Locks: as the typed form.
Arguments: p_source text, p_name text, p_as_of text
Locks: the new name in the unique index collection_name_key (a second transaction creating the same name waits for the first to end, bounded: calib._bound_waits; 55P03, kind lock_timeout, wait collection_name). None on the source: the state at a committed epoch never changes. Its history: a change with operation snapshot_collection.
Errors: as the typed form; KC015 epoch_text for an epoch that is not a decimal integer.';
COMMENT ON FUNCTION calib.tag(text, uuid[]) IS
    'Add datasets to TAGGED collection p_collection. A TAGGED collection holds at most one dataset per (dataset type, data ID); tagging a dataset already there is a no-op. Returns the number of datasets newly tagged.
Arguments: p_collection text, p_datasets uuid[]
Locks: the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset, KC010 another dataset of the same type and data ID is tagged already (or in the same call).';
COMMENT ON FUNCTION calib.tag(text, jsonb) IS
    'tag with the datasets as one JSON array document of UUID strings (calib._uuids).
Arguments: p_collection text, p_datasets jsonb
Locks: the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset, KC010 another dataset of the same type and data ID is tagged already (or in the same call).';
COMMENT ON FUNCTION calib.tag(text, text) IS
    'tag with the datasets as text: a JSON array or a PostgreSQL array literal.
Arguments: p_collection text, p_datasets text
Locks: the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset, KC010 another dataset of the same type and data ID is tagged already (or in the same call).';
COMMENT ON FUNCTION calib.untag(text, uuid[]) IS
    'Remove datasets from TAGGED collection p_collection; datasets not tagged there are ignored. Returns the number removed.
Arguments: p_collection text, p_datasets uuid[]
Locks: the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset.';
COMMENT ON FUNCTION calib.untag(text, jsonb) IS
    'untag with the datasets as one JSON array document of UUID strings (calib._uuids).
Arguments: p_collection text, p_datasets jsonb
Locks: the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset.';
COMMENT ON FUNCTION calib.untag(text, text) IS
    'untag with the datasets as text: a JSON array or a PostgreSQL array literal.
Arguments: p_collection text, p_datasets text
Locks: the collection row.
Errors: KC017/KC018 refused by the writer list / state (calib._check_change), KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset.';

/* Privileges. Functions run as their owner (SECURITY DEFINER, search_path pinned), so
   callers need EXECUTE, not table rights: every change goes through the functions (and so
   through their checks, locks and, later, the history ledger). No role but calib_owner may
   write a table: the service roles get SELECT at most.
   The roles are this database's (schema/roles.sql: <prefix>_reader, _certifier, _admin,
   prefix from calib.installation), a hierarchy by membership, so each function is granted
   once, to the lowest role that may call it (README "Roles"):
   - reader: lookups and listings, SELECT on every table;
   - certifier: also the changes to collections' content (datasets, tags, certifications,
     copies);
   - admin: also what shapes the registry: collections, dataset types, chains (and states,
     writer lists).
   calib_writer (default prefix only) holds nothing directly: it is a member of
   calib_certifier. Each role's privileges on calibcert's objects are first revoked, then
   granted: the result is exactly these lists, whatever an earlier revision granted (up to
   0011, calib_writer held every mutating function directly; a database given another
   prefix at its upgrade to 0012 keeps nothing for calib_reader and calib_writer). Private helpers (names
   starting with _) are not granted to anyone. Each JSON-document and all-text form of a
   function (README "Calling from another service") gets the grant of its typed form.
   PUBLIC gets nothing: schema/security.sql revokes what PostgreSQL gives it by default and
   hands every object to calib_owner. Role names go through %I; a function signature is
   cast to regprocedure (so a typo fails the install) and printed by PostgreSQL itself. */
DO $$
DECLARE
    v_prefix text := (SELECT i.role_prefix FROM calib.installation AS i);
    v_reader text := v_prefix || '_reader';
    v_certifier text := v_prefix || '_certifier';
    v_admin text := v_prefix || '_admin';
    v_role text;
    v_function regprocedure;
    v_elsewhere text;
BEGIN
    /* This database's roles, and the shared roles of revisions up to 0011 (calib_reader,
       calib_writer) when the database moved to another prefix at its upgrade to 0012. */
    FOR v_role IN SELECT r.rolname FROM pg_catalog.pg_roles AS r
                  WHERE r.rolname IN (v_reader, v_certifier, v_admin, 'calib_reader', 'calib_writer')
                  ORDER BY r.rolname LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON SCHEMA calib FROM %I', v_role);
        EXECUTE pg_catalog.format('REVOKE ALL ON ALL TABLES IN SCHEMA calib FROM %I', v_role);
        EXECUTE pg_catalog.format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA calib FROM %I', v_role);
    END LOOP;
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA calib TO %I', v_reader);
    EXECUTE pg_catalog.format('GRANT SELECT ON ALL TABLES IN SCHEMA calib TO %I', v_reader);

    -- reader: lookups and listings.
    FOREACH v_function IN ARRAY ARRAY[
        'calib.find(text, text, jsonb, timestamptz)',
        'calib.find(text, text, jsonb, tstzrange)',
        'calib.find(text, text, text, text)',
        'calib.find(text, text, jsonb, text)',
        'calib.find_many(text, text, jsonb[], timestamptz[])',
        'calib.find_many(text, text, jsonb[], tstzrange[])',
        'calib.find_many(text, text, jsonb, jsonb)',
        'calib.find_many(text, text, text, text)',
        'calib.certifications(text, text)',
        'calib.query_datasets(text, text, jsonb)',
        'calib.query_datasets(text, text, text)',
        'calib.get_datasets(uuid[])',
        'calib.get_datasets(jsonb)',
        'calib.get_datasets(text)',
        'calib.get_chain(text)',
        'calib.list_collections(text)',
        'calib.list_dataset_types()',
        'calib.probe(integer, integer, tstzrange)',
        /* Snapshots (revision 0014): calib.probe, run with its caller's rights, answers a
           snapshot member by calling this private, read-only helper (PostgreSQL checks
           EXECUTE when the plan starts, even for a branch that never runs): an as-of
           lookup by ids, which a reader may make anyway. */
        'calib._snapshot_ids(integer, integer, tstzrange, bigint)',
        'calib.check_integrity()',
        'calib.collection_stats()',
        'calib.collection_digest(text)',
        -- history (revision 0014): epochs, as-of forms, history
        'calib.current_epoch()',
        'calib.epoch_at(timestamptz)',
        'calib.epoch_at(text)',
        'calib.history(text, text, jsonb, bigint, bigint)',
        'calib.history(text, text, text, text, text)',
        -- explain (revision 0014): a read, like find (reader)
        'calib.explain(text, text, jsonb, timestamptz, bigint)',
        'calib.explain(text, text, jsonb, tstzrange, bigint)',
        'calib.explain(text, text, text, text, text)',
        'calib.find(text, text, jsonb, timestamptz, bigint)',
        'calib.find(text, text, jsonb, tstzrange, bigint)',
        'calib.find(text, text, jsonb, text, bigint)',
        'calib.find(text, text, text, text, text)',
        'calib.find_many(text, text, jsonb[], timestamptz[], bigint)',
        'calib.find_many(text, text, jsonb[], tstzrange[], bigint)',
        'calib.certifications(text, text, bigint)',
        'calib.get_chain(text, bigint)',
        'calib.list_collections(text, bigint)',
        'calib.query_datasets(text, text, jsonb, bigint)',
        'calib.collection_digest(text, bigint)'
    ]::regprocedure[] LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', v_function, v_reader);
    END LOOP;

    -- certifier: changes to the content of collections.
    FOREACH v_function IN ARRAY ARRAY[
        'calib.insert_datasets(text, text, jsonb[], uuid[])',
        'calib.insert_datasets(text, text, jsonb, jsonb)',
        'calib.insert_datasets(text, text, text, text)',
        'calib.tag(text, uuid[])',
        'calib.tag(text, jsonb)',
        'calib.tag(text, text)',
        'calib.untag(text, uuid[])',
        'calib.untag(text, jsonb)',
        'calib.untag(text, text)',
        'calib.certify(text, uuid[], tstzrange, boolean)',
        'calib.certify(text, jsonb, tstzrange, boolean)',
        'calib.certify(text, text, text, text)',
        'calib.certify_series(text, uuid[], timestamptz[], boolean)',
        'calib.certify_series(text, jsonb, jsonb, boolean)',
        'calib.certify_series(text, text, text, text)',
        'calib.decertify(text, text, tstzrange, jsonb[])',
        'calib.decertify(text, text, tstzrange, jsonb)',
        'calib.decertify(text, text, text, text)',
        'calib.close_open_range(text, text, timestamptz, jsonb[])',
        'calib.close_open_range(text, text, timestamptz, jsonb)',
        'calib.close_open_range(text, text, text, text)',
        'calib.copy_collection(text, text, text)',
        /* A snapshot is a copy that costs nothing: the same role as copy_collection (it
           creates a collection from another's content and changes nothing else). Removing
           one stays admin (remove_collection). */
        'calib.snapshot_collection(text, text, bigint)',
        'calib.snapshot_collection(text, text, text)'
    ]::regprocedure[] LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', v_function, v_certifier);
    END LOOP;

    -- admin: the registry's shape.
    FOREACH v_function IN ARRAY ARRAY[
        'calib.register_collection(text, text, text)',
        'calib.remove_collection(text)',
        'calib.set_chain(text, text[])',
        'calib.set_chain(text, jsonb)',
        'calib.set_chain(text, text)',
        'calib.register_dataset_type(text, text[], boolean)',
        'calib.register_dataset_type(text, jsonb, boolean)',
        'calib.register_dataset_type(text, text, text)',
        'calib.set_collection_state(text, text)',
        'calib.set_collection_writers(text, text[])',
        'calib.set_collection_writers(text, jsonb)',
        'calib.set_collection_writers(text, text)',
        -- retention: dropping history is a DBA's decision, like the registry's shape
        'calib.prune_history(bigint)',
        -- revert (revision 0014): a change can span collections, chains and collection
        -- registrations, which only admins make (README "Revert")
        'calib.revert(bigint, boolean)',
        'calib.revert(text, text)'
    ]::regprocedure[] LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', v_function, v_admin);
    END LOOP;

    /* Two calibcert databases of one cluster installed with the same prefix share their
       roles: a grant of one of them made for either database reaches both. Not an error
       (a database cloned from a template shares them on purpose), but the DBA is told,
       from the shared catalog's record of privileges held in other databases. */
    SELECT pg_catalog.string_agg(DISTINCT pg_catalog.quote_ident(d.datname), ', ')
    INTO v_elsewhere
    FROM pg_catalog.pg_shdepend AS s
    JOIN pg_catalog.pg_database AS d ON d.oid = s.dbid
    WHERE s.deptype = 'a' AND s.refclassid = 'pg_catalog.pg_authid'::regclass
      AND s.refobjid IN (SELECT r.oid FROM pg_catalog.pg_roles AS r
                         WHERE r.rolname IN (v_reader, v_certifier, v_admin))
      AND d.datname <> pg_catalog.current_database();
    IF v_elsewhere IS NOT NULL THEN
        RAISE WARNING USING
            MESSAGE = pg_catalog.format('calibcert roles %s, %s and %s also hold privileges in '
                'database(s) %s: a grant of these roles reaches both databases',
                v_reader, v_certifier, v_admin, v_elsewhere),
            HINT = 'To grant this database separately, install it with its own role prefix '
                '(SET calib.role_prefix = ''name'', or calibcert db upgrade --role-prefix '
                'name, before the first install; README "Roles").';
    END IF;
END
$$;

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

