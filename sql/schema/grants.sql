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
