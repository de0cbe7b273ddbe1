-- FROZEN upgrade of revision 0012, written by migrations/freeze.py from sources/0012_dbas_in_control.postgresql.sql.
-- Never edit by hand.
-- Revision 0012 (0011 -> 0012) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0012_dbas_in_control.postgresql.sql (issue 15: DBAs in control).
-- * Roles (items 2, 6): <prefix>_reader ⊂ <prefix>_certifier ⊂ <prefix>_admin per
--   database, the prefix chosen at the first install (setting calib.role_prefix, default
--   calib) and kept in the new one-row table calib.installation; calib_writer becomes a
--   member of calib_certifier and holds nothing of its own (README "Roles", upgrade note).
-- * Collection states and writer lists (item 3): two columns of calib.collection (every
--   existing collection becomes OPEN with no writer list), calib._check_change called by
--   every mutating function after its lock, the FROZEN triggers (sql/schema/frozen.sql),
--   set_collection_state, set_collection_writers; list_collections shows both (a new
--   result type: dropped and created again).
-- * Bounded waits (item 5): calib._bound_waits sets the bound around every wait
--   (collection rows, the chain lock, a new collection / dataset-type name, a dimension's
--   first use, a new data ID or dataset id) and calib._lock_timeout raises 55P03 naming
--   what was waited for.
-- * Health (item 4): calib.check_integrity(), calib.collection_stats(), calib._revision();
--   every public function gets a COMMENT generated from its header (schema/comments.sql);
--   functions whose headers now follow the convention are re-created.
-- No row changes but the two new columns' defaults. SQLite: the state column and its
-- FROZEN triggers (0012_dbas_in_control.sqlite.sql).
/* Roles. Roles are cluster-wide, databases are not: several databases of one cluster may
   carry calibcert, and a grant of a role reaches every database that grants that role
   anything. So each database's service roles carry a name prefix chosen at its first
   install, or at the upgrade to revision 0012 (README "Roles"): the custom setting
   calib.role_prefix (default 'calib', which gives the contract's names), kept in the
   one-row table calib.installation so that every later revision and function uses the
   same roles. A database installed with prefix
   'survey2' has survey2_reader, survey2_certifier and survey2_admin, a hierarchy by
   membership (admin ⊃ certifier ⊃ reader: a grant of one role suffices); schema/grants.sql
   grants them, and only them. With the default prefix, calib_writer (the role of revisions
   up to 0011) stays as a member of calib_certifier, so that existing grants keep working.
   calib_owner owns every calibcert object (schema/security.sql hands them over) and is
   shared by the databases of the cluster: it has no LOGIN and can act only inside a
   database whose SECURITY DEFINER function runs. It must hold no power beyond calibcert's
   own tables, so a mistake in a function grants a caller calibcert's tables, never the
   cluster. An existing calib_owner (made by another calibcert database of the cluster, or
   by a DBA beforehand) is checked, never trusted: installing refuses a powerful one. */
CREATE TABLE IF NOT EXISTS calib.installation (
    singleton   boolean NOT NULL DEFAULT true,
    role_prefix text NOT NULL,
    CONSTRAINT installation_pkey PRIMARY KEY (singleton),
    CONSTRAINT installation_singleton_check CHECK (singleton),
    /* A prefix that makes plain lower-case role names a DBA can type unquoted, short enough
       for the longest name (<prefix>_certifier, 63 bytes at most), and never pg_*
       (reserved by PostgreSQL). */
    CONSTRAINT installation_role_prefix_check
        CHECK (role_prefix ~ '^[a-z_][a-z0-9_]{0,52}$' AND role_prefix !~ '^pg(_|$)')
);
COMMENT ON TABLE calib.installation IS
    'One row: the role-name prefix chosen at the first install (setting calib.role_prefix, '
    'default calib). The service roles of this database are <prefix>_reader, '
    '<prefix>_certifier and <prefix>_admin (README "Roles"). Never changed after install.';
DO $$
DECLARE
    v_wanted text := NULLIF(pg_catalog.current_setting('calib.role_prefix', true), '');
    v_prefix text;
    v_bad text;
    v_role text;
    v_pair text[];
BEGIN
    SELECT i.role_prefix INTO v_prefix FROM calib.installation AS i;
    IF v_prefix IS NULL THEN
        BEGIN
            INSERT INTO calib.installation (role_prefix)
            VALUES (COALESCE(v_wanted, 'calib'))
            RETURNING role_prefix INTO v_prefix;
        EXCEPTION WHEN check_violation THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = pg_catalog.format('calib.role_prefix %L is not a role-name prefix: '
                    'it must be 1-53 lower-case letters, digits or _, not start with a digit, '
                    'and not be pg or start with pg_', v_wanted),
                HINT = 'For example: SET calib.role_prefix = ''survey2'' (or calibcert db '
                    'upgrade --role-prefix survey2) before the first install.';
        END;
    ELSIF v_wanted IS NOT NULL AND v_wanted <> v_prefix THEN
        /* The prefix names the roles every grant of this database went to: changing it
           would silently take the database away from every service. */
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = pg_catalog.format('this database''s calibcert roles have the prefix %s, '
                'chosen at its first install; calib.role_prefix = %L cannot change it',
                v_prefix, v_wanted),
            HINT = 'Leave calib.role_prefix unset (or set it to the installed prefix) to upgrade.';
    END IF;

    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'calib_owner') THEN
        CREATE ROLE calib_owner NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
            NOBYPASSRLS NOINHERIT;
    END IF;
    SELECT pg_catalog.concat_ws(', ',
               CASE WHEN r.rolsuper THEN 'SUPERUSER' END,
               CASE WHEN r.rolcreaterole THEN 'CREATEROLE' END,
               CASE WHEN r.rolcreatedb THEN 'CREATEDB' END,
               CASE WHEN r.rolcanlogin THEN 'LOGIN' END,
               CASE WHEN r.rolreplication THEN 'REPLICATION' END,
               CASE WHEN r.rolbypassrls THEN 'BYPASSRLS' END,
               (SELECT 'member of ' || pg_catalog.string_agg(g.rolname, ', ' ORDER BY g.rolname)
                FROM pg_catalog.pg_auth_members AS m
                JOIN pg_catalog.pg_roles AS g ON g.oid = m.roleid
                WHERE m.member = r.oid))
    INTO v_bad
    FROM pg_catalog.pg_roles AS r WHERE r.rolname = 'calib_owner';
    IF v_bad <> '' THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = pg_catalog.format('role calib_owner must be NOLOGIN, without SUPERUSER, '
                'CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS, and a member of no role; it has: %s',
                v_bad),
            HINT = 'calibcert''s functions run as calib_owner: fix the role (ALTER ROLE '
                'calib_owner NOSUPERUSER ...; REVOKE ... FROM calib_owner) and install again.';
    END IF;

    /* The service roles (an existing one, made by a DBA beforehand, is used as it is). */
    FOREACH v_role IN ARRAY ARRAY[v_prefix || '_reader', v_prefix || '_certifier',
                                  v_prefix || '_admin'] LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', v_role);
        END IF;
    END LOOP;
    IF v_prefix = 'calib'
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'calib_writer') THEN
        CREATE ROLE calib_writer NOLOGIN;
    END IF;
    /* The hierarchy: each pair is (member, role it is granted). calib_writer, for grants
       made before revision 0012, is a certifier (it lost the admin functions). */
    FOREACH v_pair SLICE 1 IN ARRAY ARRAY[
            [v_prefix || '_certifier', v_prefix || '_reader'],
            [v_prefix || '_admin', v_prefix || '_certifier']]
            || CASE WHEN v_prefix = 'calib' THEN ARRAY[['calib_writer', 'calib_certifier']]
                    ELSE '{}'::text[] END LOOP
        IF NOT pg_catalog.pg_has_role(v_pair[1], v_pair[2], 'MEMBER') THEN
            EXECUTE pg_catalog.format('GRANT %I TO %I', v_pair[2], v_pair[1]);
        END IF;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION calib._bound_waits()
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* The bound of every wait inside a calib function, in one place (README "Locks, waits and
   retries"). Sets lock_timeout for the rest of the transaction (SET LOCAL) to the bound
   and returns the value it had, which the caller puts back once its wait is over
   (set_config(..., true)); if the wait fails instead, the error undoes the SET LOCAL with
   the (sub)transaction, so the session's own value is never changed.
   The bound is calib.lock_timeout (a custom setting, default '10s'), or the session's own
   lock_timeout when that is set and shorter: a session may shorten its waits, never
   lengthen them past calib.lock_timeout (a long waiter queued for a row also holds up
   every writer queued behind it). calib.lock_timeout = '0' means "do not wait": the bound
   is 1ms, the smallest PostgreSQL has; it never means "wait forever".
   Values as PostgreSQL writes times for settings: a number with an optional unit us, ms,
   s, min, h or d (no unit: milliseconds).
   Errors: KC015 calib.lock_timeout is not such a time.
   Locks: none. */
DECLARE
    v_old text := current_setting('lock_timeout');
    v_setting text := coalesce(nullif(current_setting('calib.lock_timeout', true), ''), '10s');
    v_ms numeric[];
    v_text text;
    v_m text[];
BEGIN
    FOREACH v_text IN ARRAY ARRAY[v_setting, v_old] LOOP
        v_m := regexp_match(v_text, '^\s*([0-9]+(?:\.[0-9]+)?)\s*(us|ms|s|min|h|d)?\s*$');
        IF v_m IS NULL THEN
            /* Only calib.lock_timeout can be malformed: PostgreSQL checked lock_timeout. */
            IF calib._raise('KC015',
                format('calib.lock_timeout must be a time such as ''10s'', ''500ms'' or ''0'' (do not wait), not %L',
                       v_setting),
                jsonb_build_object('kind', 'lock_timeout_setting', 'value', v_setting)) IS NULL THEN END IF;
        END IF;
        v_ms := v_ms || ceil(v_m[1]::numeric * CASE coalesce(v_m[2], 'ms')
            WHEN 'us' THEN 0.001 WHEN 'ms' THEN 1 WHEN 's' THEN 1000 WHEN 'min' THEN 60000
            WHEN 'h' THEN 3600000 ELSE 86400000 END);
    END LOOP;
    /* v_ms[1]: calib.lock_timeout (0: do not wait); v_ms[2]: the session's (0: none). */
    PERFORM set_config('lock_timeout',
        least(greatest(v_ms[1], 1), CASE WHEN v_ms[2] > 0 THEN v_ms[2] END, 2147483647)::bigint
            || 'ms', true);
    RETURN v_old;
END
$$;

CREATE OR REPLACE FUNCTION calib._lock_timeout(p_wait text, p_waiting_for text, p_facts jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* The one error of a bounded wait that ran out (calib._bound_waits), raised from the one
   handler shape every wait site has:

       v_old := calib._bound_waits();
       BEGIN
           <the statement that may wait>;
       EXCEPTION WHEN lock_not_available THEN
           IF calib._lock_timeout('<wait>', <what, as text>, <facts>) IS NULL THEN END IF;
       END;
       PERFORM set_config('lock_timeout', v_old, true);

   p_wait names the kind of wait (collection, chain_graph, collection_name,
   dataset_type_name, dimension, data_id, dataset_id); p_waiting_for says what was waited
   for, as the message prints it; p_facts holds the same facts for programs (the
   collection, dataset type, names, data IDs or ids). The DETAIL also carries the bound
   that ran out (lock_timeout, as in effect: the handler runs before it is put back).
   Errors: 55P03 (lock_not_available), always. */
BEGIN
    IF calib._raise('55P03',
        format('lock timeout: gave up after %s waiting for %s; nothing was changed, retry',
               current_setting('lock_timeout'), p_waiting_for),
        coalesce(p_facts, '{}')
            || jsonb_build_object('kind', 'lock_timeout', 'wait', p_wait,
                                  'waiting_for', p_waiting_for,
                                  'lock_timeout', current_setting('lock_timeout'))) IS NULL THEN END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib._lock_collections(p_ids integer[], p_mode text DEFAULT 'write')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* The locking protocol, in one place. A writer locks the rows of the collections it
   changes, FOR NO KEY UPDATE, in ascending collection_id (p_mode 'write'); a copy locks its
   source FOR SHARE (p_mode 'read') so it waits for writers in flight and then sees their
   whole result. Locks are held to the end of the transaction. Chain changes take
   calib._lock_chains() before this. Readers take no locks (MVCC), and FOR NO KEY UPDATE does
   not conflict with the FOR KEY SHARE that foreign-key checks take, so writers of different
   collections never wait for each other.

   The wait is bounded (calib._bound_waits: calib.lock_timeout, or the session's shorter
   lock_timeout); when it runs out, calib._lock_timeout raises 55P03 naming the
   collections. The session's lock_timeout is put back afterwards.
   A collection removed by a transaction that committed while we waited is not locked (the
   row is gone); that is an error, not a silent no-op, so the caller never writes into (or
   copies) a collection that no longer exists. Its name is read before the wait, for the
   message.
   One collection whose row is free now (the usual case) is locked by a first statement
   with SKIP LOCKED: it cannot wait, so it needs neither the names nor the bounded
   lock_timeout, and it halves the cost of a one-dataset certify's locking. A row that is
   locked by another writer, or gone, is skipped and then goes the general way below.
   Errors: 55P03 (lock_not_available, kind lock_timeout) when the wait times out; KC002 a
   collection removed concurrently; KC015 a malformed calib.lock_timeout. */
DECLARE
    v_old text;
    v_ids integer[];
    v_names text[];
    v_n integer;
    v_gone text;
BEGIN
    IF cardinality(p_ids) = 1 THEN
        IF p_mode = 'read' THEN
            PERFORM FROM calib.collection WHERE collection_id = p_ids[1] FOR SHARE SKIP LOCKED;
        ELSE
            PERFORM FROM calib.collection WHERE collection_id = p_ids[1]
            FOR NO KEY UPDATE SKIP LOCKED;
        END IF;
        IF FOUND THEN
            RETURN;
        END IF;
    END IF;
    v_ids := ARRAY(SELECT DISTINCT u FROM unnest(p_ids) AS u ORDER BY 1);
    v_names := ARRAY(SELECT coalesce(c.name, u.id::text)
                     FROM unnest(v_ids) WITH ORDINALITY AS u(id, ord)
                     LEFT JOIN calib.collection AS c ON c.collection_id = u.id
                     ORDER BY u.ord);
    v_old := calib._bound_waits();
    BEGIN
        IF p_mode = 'read' THEN
            PERFORM FROM calib.collection WHERE collection_id = ANY (v_ids)
            ORDER BY collection_id FOR SHARE;
        ELSE
            PERFORM FROM calib.collection WHERE collection_id = ANY (v_ids)
            ORDER BY collection_id FOR NO KEY UPDATE;
        END IF;
        GET DIAGNOSTICS v_n = ROW_COUNT;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('collection',
            format('the lock on collection %s, held by another transaction', array_to_string(
                ARRAY(SELECT quote_literal(n) FROM unnest(v_names) AS n), ', ')),
            jsonb_build_object('collection', v_names[1], 'collections', to_jsonb(v_names),
                               'mode', CASE p_mode WHEN 'read' THEN 'FOR SHARE'
                                                   ELSE 'FOR NO KEY UPDATE' END)) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF v_n < cardinality(v_ids) THEN
        SELECT v_names[i] INTO v_gone FROM generate_subscripts(v_ids, 1) AS i
        WHERE NOT EXISTS (SELECT FROM calib.collection AS c WHERE c.collection_id = v_ids[i])
        ORDER BY i LIMIT 1;
        IF calib._raise('KC002',
            format('collection %L was removed by a concurrent transaction', v_gone),
            jsonb_build_object('kind', 'collection_removed_concurrently', 'collection', v_gone)) IS NULL THEN END IF;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib._lock_chains()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* Serialises changes of the chain graph (set_chain, remove_collection, copy of a chain) so
   that two concurrent set_chain calls cannot each pass the cycle check and together make a
   cycle. SHARE ROW EXCLUSIVE conflicts with itself and with writes, not with reads.
   Taken before any collection row lock. The wait is bounded (calib._bound_waits) and ends
   with 55P03 (kind lock_timeout, wait chain_graph).
   Errors: 55P03 when the wait times out; KC015 a malformed calib.lock_timeout. */
DECLARE
    v_old text;
BEGIN
    v_old := calib._bound_waits();
    BEGIN
        LOCK TABLE calib.collection_chain IN SHARE ROW EXCLUSIVE MODE;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('chain_graph', 'the chain lock (calib.collection_chain), held by another transaction',
                               '{}') IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
END
$$;

CREATE OR REPLACE FUNCTION calib._fix_dimensions(p_type calib.dataset_type, p_data_ids jsonb[])
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* Fix the value type of each dimension of p_type that has none yet (calib.dimension) from
   its first value in p_data_ids, in input order: a string fixes 'string', a number
   'integer'. Run by insert_datasets before calib._canonical_data_ids checks the data IDs
   against the types, so that a later value of the other type in the same call is refused
   like one in a later call. Nothing to do (one index probe per dimension) once every
   dimension is fixed. Items that are no object or hold values of another kind are skipped:
   _canonical_data_ids refuses them, and the whole call with them.
   Concurrency: two transactions fixing one new dimension meet on dimension_pkey (ON
   CONFLICT DO NOTHING); the second waits for the first, then its checks (a later statement,
   a new snapshot) read the type the first one committed, so they cannot both store a type.
   Returns whether any dimension was new.
   Locks: the new rows of calib.dimension, until the transaction ends; the wait for another
   transaction's new row of the same dimension is bounded (calib._bound_waits; 55P03, kind
   lock_timeout, wait dimension). */
DECLARE
    v_old text;
    v_new boolean;
BEGIN
    IF p_data_ids IS NULL OR NOT EXISTS (
            SELECT FROM unnest(p_type.dimensions) AS d(name)
            WHERE NOT EXISTS (SELECT FROM calib.dimension AS x WHERE x.name = d.name)) THEN
        RETURN false;
    END IF;
    v_old := calib._bound_waits();
    BEGIN
        INSERT INTO calib.dimension (name, value_type)
        SELECT DISTINCT ON (e.name) e.name, e.value_type
        FROM unnest(p_data_ids) WITH ORDINALITY AS u(d, ord)
        CROSS JOIN LATERAL (
            SELECT normalize(j.key, NFC) AS name,
                   CASE jsonb_typeof(j.value) WHEN 'string' THEN 'string' ELSE 'integer' END
                       AS value_type
            FROM jsonb_each(CASE WHEN jsonb_typeof(u.d) = 'object' THEN u.d END) AS j
            WHERE jsonb_typeof(j.value) IN ('string', 'number')) AS e
        WHERE e.name = ANY (p_type.dimensions)
        ORDER BY e.name, u.ord
        ON CONFLICT ON CONSTRAINT dimension_pkey DO NOTHING;
        v_new := FOUND;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('dimension',
            format('another transaction using a dimension of dataset type %L (%s) for the first time',
                   p_type.name, array_to_string(p_type.dimensions, ', ')),
            jsonb_build_object('dataset_type', p_type.name,
                               'dimensions', to_jsonb(p_type.dimensions))) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    RETURN v_new;
END
$$;

CREATE OR REPLACE FUNCTION calib.register_collection(p_name text, p_type text, p_doc text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Register a collection. p_type is RUN, TAGGED, CALIBRATION or CHAINED (any case).
   Returns true if it was created, false if it existed with the same type (a no-op; the
   stored doc is kept). Concurrent registrations of one name are safe (ON CONFLICT).
   The name is stored in Unicode NFC.
   Errors: KC014 bad name, KC015 unknown type / NULL, KC010 exists with another type.
   Locks: the new name in the unique index collection_name_key: a second transaction
   registering the same new name waits for the first to end, bounded (calib._bound_waits;
   55P03, kind lock_timeout, wait collection_name). */
DECLARE
    v_type text := upper(p_type);
    v_existing text;
    v_old text;
    v_created boolean;
BEGIN
    p_name := normalize(p_name, NFC);  -- names are stored in NFC (calib._check_name)
    IF calib._check_name(p_name, 'collection name') IS NULL THEN END IF;
    IF v_type IS NULL OR v_type NOT IN ('RUN', 'TAGGED', 'CALIBRATION', 'CHAINED') THEN
        IF calib._raise('KC015',
            format('unknown collection type %L; expected RUN, TAGGED, CALIBRATION or CHAINED', p_type),
            jsonb_build_object('kind', 'collection_type_unknown', 'collection', p_name,
                               'type', p_type)) IS NULL THEN END IF;
    END IF;
    v_old := calib._bound_waits();
    BEGIN
        INSERT INTO calib.collection (name, type, doc) VALUES (p_name, v_type, p_doc)
        ON CONFLICT ON CONSTRAINT collection_name_key DO NOTHING;
        v_created := FOUND;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('collection_name',
            format('another transaction creating collection %L', p_name),
            jsonb_build_object('collection', p_name)) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF v_created THEN
        RETURN true;
    END IF;
    SELECT type INTO v_existing FROM calib.collection WHERE name = p_name;
    IF v_existing <> v_type THEN
        IF calib._raise('KC010',
            format('collection %L already exists as %s, not %s', p_name, v_existing, v_type),
            jsonb_build_object('kind', 'collection_exists_as', 'collection', p_name,
                               'type', v_existing, 'requested', v_type)) IS NULL THEN END IF;
    END IF;
    RETURN false;
END
$$;

CREATE OR REPLACE FUNCTION calib.register_dataset_type(
    p_name text, p_dimensions text[], p_is_calibration boolean DEFAULT true)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Register a dataset type: its data IDs have exactly the keys p_dimensions (ordered,
   distinct names). Returns true if created, false if the same definition existed.
   Names are stored in Unicode NFC; at most 32 dimensions (with the 2000-byte limit of a
   data ID, no data ID can outgrow a btree entry).
   Errors: KC014 bad name, KC015 NULL / repeated dimension / more than 32, KC010 exists with another
   definition; 55P03 lock timeout (kind lock_timeout).
   Locks: the new name in the unique index dataset_type_name_key: a second transaction
   registering the same new name waits for the first to end, bounded (calib._bound_waits;
   55P03, kind lock_timeout, wait dataset_type_name). */
DECLARE
    v_existing calib.dataset_type;
    v_dim text;
    v_old text;
    v_created boolean;
BEGIN
    /* Names are stored in NFC (calib._check_name), the dimension names too. */
    p_name := normalize(p_name, NFC);
    p_dimensions := CASE WHEN p_dimensions IS NOT NULL THEN ARRAY(SELECT normalize(u.d, NFC)
                          FROM unnest(p_dimensions) WITH ORDINALITY AS u(d, ord) ORDER BY u.ord) END;
    IF calib._check_name(p_name, 'dataset type name') IS NULL THEN END IF;
    IF p_dimensions IS NULL OR p_is_calibration IS NULL THEN
        IF calib._raise('KC015', 'dimensions and is_calibration must not be NULL',
                             jsonb_build_object('kind', 'dataset_type_definition_null',
                                                'dataset_type', p_name)) IS NULL THEN END IF;
    END IF;
    FOREACH v_dim IN ARRAY p_dimensions LOOP
        IF calib._check_name(v_dim, 'dimension name') IS NULL THEN END IF;
    END LOOP;
    IF cardinality(p_dimensions) <> (SELECT count(DISTINCT d) FROM unnest(p_dimensions) AS d) THEN
        IF calib._raise('KC015',
            format('dimensions of dataset type %L repeat a name: %s', p_name, p_dimensions),
            jsonb_build_object('kind', 'dimensions_repeated', 'dataset_type', p_name,
                               'dimensions', to_jsonb(p_dimensions))) IS NULL THEN END IF;
    END IF;
    IF cardinality(p_dimensions) > 32 THEN
        IF calib._raise('KC015',
            format('dataset type %L has %s dimensions; at most 32 are allowed', p_name,
                   cardinality(p_dimensions)),
            jsonb_build_object('kind', 'dimensions_count', 'dataset_type', p_name,
                               'count', cardinality(p_dimensions))) IS NULL THEN END IF;
    END IF;
    v_old := calib._bound_waits();
    BEGIN
        INSERT INTO calib.dataset_type (name, dimensions, is_calibration)
        VALUES (p_name, p_dimensions, p_is_calibration)
        ON CONFLICT ON CONSTRAINT dataset_type_name_key DO NOTHING;
        v_created := FOUND;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('dataset_type_name',
            format('another transaction creating dataset type %L', p_name),
            jsonb_build_object('dataset_type', p_name)) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF v_created THEN
        RETURN true;
    END IF;
    SELECT * INTO v_existing FROM calib.dataset_type WHERE name = p_name;
    IF v_existing.dimensions <> p_dimensions OR v_existing.is_calibration <> p_is_calibration THEN
        IF calib._raise('KC010',
            format('dataset type %L already exists with dimensions %s, is_calibration=%s',
                   p_name, v_existing.dimensions, v_existing.is_calibration),
            jsonb_build_object('kind', 'dataset_type_exists_as', 'dataset_type', p_name,
                               'dimensions', to_jsonb(v_existing.dimensions),
                               'is_calibration', v_existing.is_calibration)) IS NULL THEN END IF;
    END IF;
    RETURN false;
END
$$;

CREATE OR REPLACE FUNCTION calib.register_dataset_type(
    p_name text, p_dimensions jsonb, p_is_calibration boolean DEFAULT true)
RETURNS boolean
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* register_dataset_type with the dimensions as one JSON array document of names
   ('["instrument", "detector"]', calib._names). */
SELECT calib.register_dataset_type(p_name, calib._names(p_dimensions, 'dimensions'),
                                   p_is_calibration)
$$;

CREATE OR REPLACE FUNCTION calib.register_dataset_type(
    p_name text, p_dimensions text, p_is_calibration text DEFAULT 'true')
RETURNS boolean
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* register_dataset_type with every argument as text: the dimensions a JSON array or a
   PostgreSQL array literal, is_calibration a boolean's text. */
SELECT calib.register_dataset_type(
    p_name, calib._names(calib._document(p_dimensions, 'dimensions', false), 'dimensions'),
    calib._parse_boolean(p_is_calibration, 'is_calibration'))
$$;

CREATE OR REPLACE FUNCTION calib.copy_collection(p_source text, p_destination text, p_doc text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Create p_destination with the type of p_source and all its associations: certifications
   with their timespans (CALIBRATION), tags (TAGGED) or chain children (CHAINED). Set-based:
   one INSERT ... SELECT. p_doc defaults to the source's doc.
   Errors: KC002 unknown source, KC003 source is a RUN, KC010 destination exists, KC014 bad
   destination name.
   Locks: for a chain, calib._lock_chains(); the source row FOR SHARE (waits for writers in
   flight, then copies their complete result); the new row is invisible until commit. A
   destination name that another open transaction is creating: wait for it to end, bounded
   (calib._bound_waits; 55P03, kind lock_timeout, wait collection_name). */
DECLARE
    v_src calib.collection := calib._collection(p_source, ARRAY['TAGGED', 'CALIBRATION', 'CHAINED']);
    v_dst_id integer;
    v_old text;
BEGIN
    p_destination := normalize(p_destination, NFC);  -- names are stored in NFC
    IF calib._check_name(p_destination, 'collection name') IS NULL THEN END IF;
    IF v_src.type = 'CHAINED' THEN
        IF calib._lock_chains() IS NULL THEN END IF;
        /* Look it up again: a concurrent remove may have committed while we waited. */
        v_src := calib._collection(p_source, ARRAY['CHAINED']);
    END IF;
    IF calib._lock_collections(ARRAY[v_src.collection_id], 'read') IS NULL THEN END IF;
    v_old := calib._bound_waits();
    BEGIN
        INSERT INTO calib.collection (name, type, doc)
        VALUES (p_destination, v_src.type, coalesce(p_doc, v_src.doc))
        ON CONFLICT ON CONSTRAINT collection_name_key DO NOTHING
        RETURNING collection_id INTO v_dst_id;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('collection_name',
            format('another transaction creating collection %L', p_destination),
            jsonb_build_object('collection', p_destination, 'source', p_source)) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF v_dst_id IS NULL THEN
        IF calib._raise('KC010', format('collection %L already exists', p_destination),
                             jsonb_build_object('kind', 'collection_exists',
                                                'collection', p_destination)) IS NULL THEN END IF;
    END IF;
    IF v_src.type = 'CALIBRATION' THEN
        INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
        SELECT v_dst_id, c.dataset_type_id, c.data_id_key, c.dataset_id, c.validity
        FROM calib.certification AS c WHERE c.collection_id = v_src.collection_id;
    ELSIF v_src.type = 'TAGGED' THEN
        INSERT INTO calib.tag (collection_id, dataset_type_id, data_id_key, dataset_id)
        SELECT v_dst_id, t.dataset_type_id, t.data_id_key, t.dataset_id
        FROM calib.tag AS t WHERE t.collection_id = v_src.collection_id;
    ELSE
        INSERT INTO calib.collection_chain (parent_id, position, child_id)
        SELECT v_dst_id, ch.position, ch.child_id
        FROM calib.collection_chain AS ch WHERE ch.parent_id = v_src.collection_id;
    END IF;
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
   Locks: the run's collection row (calib._lock_collections); then the new data IDs (in
   data_id_type_value_key) and the new dataset ids (dataset_pkey), in sorted order: a
   transaction creating one of them too, still open, makes this call wait for it to end,
   bounded (calib._bound_waits; 55P03, kind lock_timeout, wait data_id or dataset_id, with
   the call's first data IDs / ids). A dimension's first use: see calib._fix_dimensions. */
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
    v_old text;
    v_step text;
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

    /* The new data IDs, then the new datasets: both may wait for another transaction that
       creates the same ones; one bound and one subtransaction for both (v_step says which
       wait ran out). */
    v_old := calib._bound_waits();
    BEGIN
        /* Intern in a fixed order so that concurrent callers cannot deadlock on each
           other's speculative insertions. */
        v_step := 'data_id';
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
        v_step := 'dataset_id';
        INSERT INTO calib.dataset (dataset_id, dataset_type_id, data_id_key, run_id)
        SELECT u.id, v_type.dataset_type_id, u.k, v_run.collection_id
        FROM unnest(v_ids, v_keys) AS u(id, k)
        ORDER BY u.id;
    EXCEPTION WHEN lock_not_available THEN
        IF v_step = 'data_id' THEN
            IF calib._lock_timeout('data_id',
                format('another transaction creating a %L data ID of this call (%s data IDs, the first %s)',
                       p_dataset_type, cardinality(v_values), v_values[1]),
                jsonb_build_object('dataset_type', p_dataset_type, 'collection', p_run,
                                   'data_ids', to_jsonb(v_values[1:10]),
                                   'n_data_ids', cardinality(v_values))) IS NULL THEN END IF;
        END IF;
        IF calib._lock_timeout('dataset_id',
            format('another transaction creating a dataset id of this call (%s ids, the first %s)',
                   cardinality(v_ids), v_ids[1]),
            jsonb_build_object('dataset_type', p_dataset_type, 'collection', p_run,
                               'datasets', to_jsonb(v_ids[1:10]),
                               'n_datasets', cardinality(v_ids))) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);

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
/* Every collection (optionally of one type: RUN, TAGGED, CALIBRATION or CHAINED, any
   case), by name, with its state (OPEN, APPEND_ONLY, FROZEN) and writer list (NULL: every
   certifier).
   Locks: none; read-only.
   Errors: none of its own. */
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
   bad timespan, KC008 bad data ID.
   Locks: the collection row, FOR NO KEY UPDATE. */
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
   not exist.
   Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections). */
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

CREATE OR REPLACE FUNCTION calib._revision()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
/* The schema revision these functions belong to: calib.check_integrity compares it with
   calib.alembic_version. Every later revision re-creates this function with its own number
   (tests/test_health.py fails when an installed database answers another revision than
   calibcert.schema.HEAD_REVISION). */
SELECT '0012'::text
$$;

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
                    WHERE c1.type <> 'CHAINED')
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

CREATE OR REPLACE FUNCTION calib.collection_stats()
RETURNS TABLE (name text, type text, state text, datasets bigint, tagged bigint, certifications bigint,
               calibration_keys bigint, open_ended bigint, earliest_begin timestamptz,
               latest_end timestamptz, children bigint)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
/* Statistics of every collection, by name: its state (OPEN, APPEND_ONLY, FROZEN), datasets (RUN: the datasets it holds), tagged
   (TAGGED: tag rows), certifications, calibration_keys (distinct data IDs certified) and
   open_ended (certifications without an end) of a CALIBRATION collection, its
   earliest_begin and latest_end (NULL when some certification is unbounded on that side,
   or when there is none), children (CHAINED: direct children). A count that does not
   apply to the collection's type is 0. Each table is read once, grouped by collection.
   Arguments: none.
   Returns: one row per collection, ordered by name.
   Locks: none; read-only, one snapshot, runs on a hot standby.
   Errors: none of its own.

   jit = off: JIT compilation costs more than the grouped scans it would speed up
   (as for calib.check_integrity; bench/health.py). */
SELECT c.name, c.type, c.state,
       coalesce(d.n, 0), coalesce(g.n, 0), coalesce(ce.n, 0), coalesce(ce.keys, 0),
       coalesce(ce.open_ended, 0),
       CASE WHEN ce.unbounded_begin = 0 THEN ce.earliest_begin END,
       CASE WHEN ce.open_ended = 0 THEN ce.latest_end END,
       coalesce(ch.n, 0)
FROM calib.collection AS c
LEFT JOIN (SELECT x.run_id, count(*) AS n FROM calib.dataset AS x GROUP BY x.run_id) AS d
       ON d.run_id = c.collection_id
LEFT JOIN (SELECT x.collection_id, count(*) AS n FROM calib.tag AS x
           GROUP BY x.collection_id) AS g
       ON g.collection_id = c.collection_id
LEFT JOIN (SELECT x.collection_id, count(*) AS n, count(DISTINCT x.data_id_key) AS keys,
                  count(*) FILTER (WHERE upper_inf(x.validity)) AS open_ended,
                  count(*) FILTER (WHERE lower_inf(x.validity)) AS unbounded_begin,
                  min(lower(x.validity)) AS earliest_begin,
                  max(upper(x.validity)) AS latest_end
           FROM calib.certification AS x GROUP BY x.collection_id) AS ce
       ON ce.collection_id = c.collection_id
LEFT JOIN (SELECT x.parent_id, count(*) AS n FROM calib.collection_chain AS x
           GROUP BY x.parent_id) AS ch
       ON ch.parent_id = c.collection_id
ORDER BY c.name
$$;

CREATE OR REPLACE FUNCTION calib.certifications(p_collection text, p_dataset_type text DEFAULT NULL)
RETURNS TABLE (collection text, dataset_id uuid, dataset_type text, data_id jsonb, run text, validity tstzrange)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Every certification in p_collection (through a chain: in every CALIBRATION member, in
   search order, each row naming the member it is stored in), optionally of one dataset
   type. Ordered by member, dataset type, data ID (interning order), begin.
   Errors: KC002 unknown collection, KC005 unknown dataset type.
   Locks: none; read-only. */
/* Check both names up front: in the query below the dataset-type check runs only for rows
   found, so an unknown type would pass silently on a collection without certifications. */
SELECT calib._collection(p_collection),
       CASE WHEN p_dataset_type IS NOT NULL THEN calib._dataset_type(p_dataset_type) END;
SELECT f.name, c.dataset_id, t.name, di.value, r.name, c.validity
FROM calib._flatten((calib._collection(p_collection)).collection_id) AS f
JOIN calib.certification AS c ON c.collection_id = f.collection_id
JOIN calib.dataset_type AS t ON t.dataset_type_id = c.dataset_type_id
JOIN calib.data_id AS di ON di.data_id_key = c.data_id_key
JOIN calib.dataset AS d ON d.dataset_id = c.dataset_id
JOIN calib.collection AS r ON r.collection_id = d.run_id
WHERE f.type = 'CALIBRATION'
  AND (p_dataset_type IS NULL
       OR c.dataset_type_id = (calib._dataset_type(p_dataset_type)).dataset_type_id)
ORDER BY f.ord, t.name, c.data_id_key, lower(c.validity) NULLS FIRST
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamptz)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The dataset of p_dataset_type with data ID p_data_id found by searching p_collection
   (chains flattened, in order) at instant p_at: the first member with any match decides;
   CALIBRATION members match certifications whose timespan contains p_at. NULL p_at skips
   CALIBRATION members. No row when nothing matches.
   Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002,
   KC005, KC008.
   Locks: none; read-only (STABLE), runs on a hot standby.

   PL/pgSQL rather than SQL only so that the statement's plan is cached per session (a
   SECURITY DEFINER SQL function is planned again on every call). */
DECLARE
    v record;
BEGIN
    v := calib._lookup_one(p_collection, p_dataset_type, p_data_id,
                           CASE WHEN p_at IS NULL THEN NULL ELSE tstzrange(p_at, p_at, '[]') END);
    IF v.dataset_id IS NOT NULL THEN
        dataset_id := v.dataset_id;
        dataset_type := v.dataset_type;
        data_id := v.data_id;
        run := v.run;
        RETURN NEXT;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_timespan tstzrange)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* As find(..., timestamptz), matching certifications that overlap p_timespan ([) bounds,
   validated; NULL skips CALIBRATION members). */
DECLARE
    v record;
BEGIN
    v := calib._lookup_one(p_collection, p_dataset_type, p_data_id,
                           CASE WHEN p_timespan IS NULL THEN NULL ELSE calib._timespan(p_timespan) END);
    IF v.dataset_id IS NOT NULL THEN
        dataset_id := v.dataset_id;
        dataset_type := v.dataset_type;
        data_id := v.data_id;
        run := v.run;
        RETURN NEXT;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id text, p_at text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find with every argument as text, the form untyped literals and drivers binding text
   reach (with two typed forms for p_at, an untyped call would be "not unique"): the data ID
   as JSON text (calib._json_text), p_at an instant, or a timespan when it starts with '['
   or '(' (or is 'empty'), read strictly by calibcert (calib._parse_instant /
   calib._parse_timespan: a time without a UTC offset is KC009). Then exactly the typed
   find. */
BEGIN
    RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type,
                                          calib._json_text(p_data_id, 'data_id'), p_at);
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find with a typed data ID and p_at as text (an untyped time next to a jsonb data ID):
   an instant, or a timespan when it starts with '[' or '(' (or is 'empty'), read strictly
   (calib._parse_instant / calib._parse_timespan). Then exactly the typed find. */
BEGIN
    IF left(ltrim(p_at, E' \t\r\n'), 1) IN ('[', '(') OR lower(btrim(p_at)) = 'empty' THEN
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id,
                                              calib._parse_timespan(p_at, 'timespan'));
    ELSE
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id,
                                              calib._parse_instant(p_at, 'at'));
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_at timestamptz[])
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find for many (data ID, instant) pairs in one call: one row per pair, in input order
   (ord = 1-based position), NULL dataset where nothing matched. A NULL instant skips
   CALIBRATION members for that pair.
   Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different
   lengths.
   Locks: none; read-only (STABLE), runs on a hot standby. */
SELECT l.ord, l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, p_data_ids,
                   ARRAY(SELECT CASE WHEN t IS NULL THEN NULL ELSE tstzrange(t, t, '[]') END
                         FROM unnest(p_at) WITH ORDINALITY AS u(t, o) ORDER BY o)) AS l
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_timespans tstzrange[])
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* As find_many(..., timestamptz[]) with a timespan per pair. A timespan that is a single
   instant written [t,t] is accepted as that instant (the Python client sends mixed
   instants and timespans this way); every other span must have [) bounds. */
SELECT l.ord, l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, p_data_ids,
                   ARRAY(SELECT CASE WHEN s IS NULL THEN NULL
                                     WHEN lower_inc(s) AND upper_inc(s) AND lower(s) = upper(s) THEN s
                                     ELSE calib._timespan(s) END
                         FROM unnest(p_timespans) WITH ORDINALITY AS u(s, o) ORDER BY o)) AS l
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb, p_at jsonb)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find_many with the data IDs and the times as JSON array documents: the times are ISO 8601
   instants with a UTC offset, or (when one of them starts with '[' or '(') all timespans
   as range strings; null for no time. Same results and errors as the typed forms; KC016 for
   a document that is not such an array, KC009 for a time without an offset. */
DECLARE
    v_spans boolean;
BEGIN
    v_spans := EXISTS (
        SELECT FROM jsonb_array_elements(calib._document_array(p_at, 'at')) AS u(e)
        WHERE jsonb_typeof(u.e) = 'string' AND left(ltrim(u.e #>> '{}'), 1) IN ('[', '('));
    IF v_spans THEN
        RETURN QUERY SELECT * FROM calib.find_many(p_collection, p_dataset_type,
            calib._data_ids(p_data_ids, 'data_ids'), calib._timespans(p_at, 'at'));
    ELSE
        RETURN QUERY SELECT * FROM calib.find_many(p_collection, p_dataset_type,
            calib._data_ids(p_data_ids, 'data_ids'), calib._instants(p_at, 'at'));
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids text, p_at text)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find_many with every argument as text: data IDs and times as JSON arrays or PostgreSQL
   array literals (calib._document), then as find_many(text, text, jsonb, jsonb). */
SELECT * FROM calib.find_many(p_collection, p_dataset_type,
                              calib._document(p_data_ids, 'data_ids', true),
                              calib._document(p_at, 'at', false))
$$;

CREATE OR REPLACE FUNCTION calib.get_chain(p_parent text)
RETURNS text[]
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The direct children of CHAINED collection p_parent, in order.
   Errors: KC002 unknown collection, KC003 not CHAINED.
   Locks: none. Read-only. */
SELECT coalesce(array_agg(c.name ORDER BY ch.position), ARRAY[]::text[])
FROM calib.collection_chain AS ch
JOIN calib.collection AS c ON c.collection_id = ch.child_id
WHERE ch.parent_id = (calib._collection(p_parent, ARRAY['CHAINED'])).collection_id
$$;

CREATE OR REPLACE FUNCTION calib.get_datasets(p_ids uuid[])
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The datasets with the given ids, in input order.
   Errors: KC007 unknown id, KC015 NULL.
   Locks: none; read-only. */
BEGIN
    IF calib._resolve_datasets(p_ids) IS NULL THEN END IF;
    RETURN QUERY
    SELECT d.dataset_id, t.name, di.value, r.name
    FROM unnest(p_ids) WITH ORDINALITY AS u(id, ord)
    JOIN calib.dataset AS d ON d.dataset_id = u.id
    JOIN calib.dataset_type AS t ON t.dataset_type_id = d.dataset_type_id
    JOIN calib.data_id AS di ON di.data_id_key = d.data_id_key
    JOIN calib.collection AS r ON r.collection_id = d.run_id
    ORDER BY u.ord;
END
$$;

CREATE OR REPLACE FUNCTION calib.get_datasets(p_ids jsonb)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* get_datasets with the ids as one JSON array document of UUID strings (calib._uuids). */
SELECT * FROM calib.get_datasets(calib._uuids(p_ids, 'ids'))
$$;

CREATE OR REPLACE FUNCTION calib.get_datasets(p_ids text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* get_datasets with the ids as text: a JSON array or a PostgreSQL array literal. */
SELECT * FROM calib.get_datasets(calib._uuids(calib._document(p_ids, 'ids', false), 'ids'))
$$;

CREATE OR REPLACE FUNCTION calib.list_dataset_types()
RETURNS TABLE (name text, dimensions text[], is_calibration boolean)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Every dataset type, by name.
   Locks: none; read-only.
   Errors: none of its own. */
SELECT t.name, t.dimensions, t.is_calibration FROM calib.dataset_type AS t ORDER BY t.name
$$;

CREATE OR REPLACE FUNCTION calib.probe(p_collection_id integer, p_data_id_key integer, p_span tstzrange)
RETURNS TABLE (member_id integer, dataset_id uuid, ambiguous boolean)
LANGUAGE sql STABLE
AS $$
/* The lookup rule, the one place it is written on PostgreSQL. The collection's stored
   search path (calib.search_path: itself, or a chain's members flattened) is searched in
   rank order and the first member with any match for the data ID key decides: RUN and
   TAGGED members match by data ID for all time, CALIBRATION members by certifications
   overlapping p_span (an instant t is the range [t,t]; a NULL span skips them). One row
   for the deciding member: its dataset, and ambiguous = it has more than one match (the
   caller raises KC011); no row when no member matches.
   Arguments: p_collection_id and p_data_id_key internal ids (calib.collection,
   calib.data_id), p_span the time (NULL skips CALIBRATION members).
   Locks: none; read-only.
   Errors: none of its own (callers resolve names to ids first and raise).

   Used by calib._lookup, calib._lookup_one and the Python client's prepared find, all of
   which resolve names to ids first and raise the errors. Inline-only: LANGUAGE sql without
   SET search_path, so that PostgreSQL inlines it into the calling statement and plans it
   with that statement's cached plan (a SET clause forbids inlining; the body would then be
   planned again on every call). Its body is therefore parsed under the caller's
   search_path: every name in it is schema-qualified, operators included. SECURITY INVOKER:
   it reads with the caller's own table rights, so granting it to calib_reader and
   calib_writer gives them nothing they cannot SELECT already.
   Per member one probe of each kind, gated by the stored member_type; ARRAY(... LIMIT 2)
   is computed once per member (OFFSET 0 keeps the planner from copying it into each use). */
SELECT m.member_id, x.ids[1], x.ids[2] IS NOT NULL
FROM calib.search_path AS m
CROSS JOIN LATERAL (
    SELECT ARRAY(
        SELECT c.dataset_id FROM calib.certification AS c
        WHERE m.member_type OPERATOR(pg_catalog.=) 'CALIBRATION' AND p_span IS NOT NULL
          AND c.collection_id OPERATOR(pg_catalog.=) m.member_id
          AND c.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
          AND c.validity OPERATOR(pg_catalog.&&) p_span
        UNION ALL
        SELECT d.dataset_id FROM calib.dataset AS d
        WHERE m.member_type OPERATOR(pg_catalog.=) 'RUN'
          AND d.run_id OPERATOR(pg_catalog.=) m.member_id
          AND d.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
        UNION ALL
        SELECT t.dataset_id FROM calib.tag AS t
        WHERE m.member_type OPERATOR(pg_catalog.=) 'TAGGED'
          AND t.collection_id OPERATOR(pg_catalog.=) m.member_id
          AND t.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
        LIMIT 2) AS ids
    OFFSET 0) AS x
WHERE m.collection_id OPERATOR(pg_catalog.=) p_collection_id AND x.ids[1] IS NOT NULL
ORDER BY m.rank
LIMIT 1
$$;

CREATE OR REPLACE FUNCTION calib.query_datasets(p_collection text, p_dataset_type text, p_where jsonb DEFAULT NULL)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The datasets of p_dataset_type visible in a RUN, TAGGED or CHAINED collection without a
   time: for each data ID the first RUN / TAGGED member holding it decides (as find with no
   time); CALIBRATION members are skipped. p_where narrows by data-ID values (jsonb
   containment, e.g. '{"detector": 3}'). Ordered by data ID (interning order). This is how
   "certify all biases in this run" picks its datasets.
   Errors: KC002, KC003 (a CALIBRATION collection itself), KC005, KC008 (p_where: a bad
   value, or one of the other type than its dimension's; calib._canonical_where).
   Locks: none; read-only. */
/* Check both names up front: below, the planner may never evaluate the CTE that calls
   _collection (nothing to join with), and an unknown collection would pass silently. */
SELECT calib._collection(p_collection, ARRAY['RUN', 'TAGGED', 'CHAINED']),
       calib._canonical_where(calib._dataset_type(p_dataset_type), p_where);
WITH chain AS (
    SELECT f.* FROM calib._flatten(
        (calib._collection(p_collection, ARRAY['RUN', 'TAGGED', 'CHAINED'])).collection_id) AS f
), ty AS (
    SELECT * FROM calib._dataset_type(p_dataset_type)
), w AS (
    SELECT calib._canonical_where(calib._dataset_type(p_dataset_type), p_where) AS v
), m AS (
    SELECT ch.ord, d.dataset_id, d.data_id_key
    FROM chain AS ch JOIN calib.dataset AS d ON d.run_id = ch.collection_id
    WHERE ch.type = 'RUN' AND d.dataset_type_id = (SELECT dataset_type_id FROM ty)
    UNION ALL
    SELECT ch.ord, t.dataset_id, t.data_id_key
    FROM chain AS ch JOIN calib.tag AS t ON t.collection_id = ch.collection_id
    WHERE ch.type = 'TAGGED' AND t.dataset_type_id = (SELECT dataset_type_id FROM ty)
), firsts AS (
    SELECT DISTINCT ON (m.data_id_key) m.dataset_id, m.data_id_key FROM m ORDER BY m.data_id_key, m.ord
)
SELECT f.dataset_id, (SELECT name FROM ty), di.value, r.name
FROM firsts AS f
JOIN calib.data_id AS di ON di.data_id_key = f.data_id_key
JOIN calib.dataset AS d ON d.dataset_id = f.dataset_id
JOIN calib.collection AS r ON r.collection_id = d.run_id
WHERE p_where IS NULL OR di.value @> (SELECT v FROM w)
ORDER BY f.data_id_key
$$;

CREATE OR REPLACE FUNCTION calib.query_datasets(p_collection text, p_dataset_type text, p_where text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* query_datasets with the where clause as JSON text (a driver binding text): parsed by
   calib._json_text (KC016 if it is not JSON). No default: a two-argument call keeps
   reaching the typed form. */
SELECT * FROM calib.query_datasets(p_collection, p_dataset_type, calib._json_text(p_where, 'where'))
$$;

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
COMMENT ON FUNCTION calib.collection_stats() IS
    'Statistics of every collection, by name: its state (OPEN, APPEND_ONLY, FROZEN), datasets (RUN: the datasets it holds), tagged (TAGGED: tag rows), certifications, calibration_keys (distinct data IDs certified) and open_ended (certifications without an end) of a CALIBRATION collection, its earliest_begin and latest_end (NULL when some certification is unbounded on that side, or when there is none), children (CHAINED: direct children). A count that does not apply to the collection''s type is 0. Each table is read once, grouped by collection.
Arguments: none.
Returns: one row per collection, ordered by name.
Locks: none; read-only, one snapshot, runs on a hot standby.
Errors: none of its own.';
COMMENT ON FUNCTION calib.copy_collection(text, text, text) IS
    'Create p_destination with the type of p_source and all its associations: certifications with their timespans (CALIBRATION), tags (TAGGED) or chain children (CHAINED). Set-based: one INSERT ... SELECT. p_doc defaults to the source''s doc.
Arguments: p_source text, p_destination text, p_doc text DEFAULT NULL
Locks: for a chain, calib._lock_chains(); the source row FOR SHARE (waits for writers in flight, then copies their complete result); the new row is invisible until commit. A destination name that another open transaction is creating: wait for it to end, bounded (calib._bound_waits; 55P03, kind lock_timeout, wait collection_name).
Errors: KC002 unknown source, KC003 source is a RUN, KC010 destination exists, KC014 bad destination name.';
COMMENT ON FUNCTION calib.decertify(text, text, tstzrange, jsonb[]) IS
    'Remove validity inside p_timespan from every certification of p_dataset_type in CALIBRATION collection p_collection (only those data IDs when p_data_ids is given): a certification fully covered is removed, one straddling an end is shortened, one containing the span is split in two. Set-based: one DELETE, one INSERT of the remaining pieces (range difference as multiranges). Returns the number of certifications touched; nothing matching is a no-op (0).
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
COMMENT ON FUNCTION calib.get_chain(text) IS
    'The direct children of CHAINED collection p_parent, in order.
Arguments: p_parent text
Locks: none. Read-only.
Errors: KC002 unknown collection, KC003 not CHAINED.';
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
    'Every collection (optionally of one type: RUN, TAGGED, CALIBRATION or CHAINED, any case), by name, with its state (OPEN, APPEND_ONLY, FROZEN) and writer list (NULL: every certifier).
Arguments: p_type text DEFAULT NULL
Locks: none; read-only.
Errors: none of its own.';
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
COMMENT ON FUNCTION calib.query_datasets(text, text, jsonb) IS
    'The datasets of p_dataset_type visible in a RUN, TAGGED or CHAINED collection without a time: for each data ID the first RUN / TAGGED member holding it decides (as find with no time); CALIBRATION members are skipped. p_where narrows by data-ID values (jsonb containment, e.g. ''{"detector": 3}''). Ordered by data ID (interning order). This is how "certify all biases in this run" picks its datasets.
Arguments: p_collection text, p_dataset_type text, p_where jsonb DEFAULT NULL
Locks: none; read-only.
Errors: KC002, KC003 (a CALIBRATION collection itself), KC005, KC008 (p_where: a bad value, or one of the other type than its dimension''s; calib._canonical_where).';
COMMENT ON FUNCTION calib.query_datasets(text, text, text) IS
    'query_datasets with the where clause as JSON text (a driver binding text): parsed by calib._json_text (KC016 if it is not JSON). No default: a two-argument call keeps reaching the typed form.
Arguments: p_collection text, p_dataset_type text, p_where text
Locks: none; read-only.
Errors: KC002, KC003 (a CALIBRATION collection itself), KC005, KC008 (p_where: a bad value, or one of the other type than its dimension''s; calib._canonical_where).';
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
Errors: KC002 unknown collection, KC015 NULL or unknown state.';
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
        'calib.check_integrity()',
        'calib.collection_stats()'
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
        'calib.copy_collection(text, text, text)'
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
        'calib.set_collection_writers(text, text)'
        -- (later: revert)
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

