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
    v_replay jsonb;
    v_coll calib.collection := calib._collection(p_name);
    v_missing text;
    v_old text[];
BEGIN
    PERFORM calib._operation('set_collection_writers');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('set_collection_writers');
        IF v_replay IS NOT NULL THEN
            RETURN CASE WHEN jsonb_typeof(v_replay -> 'result') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(v_replay -> 'result')) END;
        END IF;
    END IF;
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
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('set_collection_writers', to_jsonb(v_old));
    END IF;
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
    PERFORM calib._operation('set_collection_writers');  -- named in the history (revision 0014)
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
    PERFORM calib._operation('set_collection_writers');  -- named in the history (revision 0014)
    RETURN calib.set_collection_writers(
        p_name, calib._names(calib._document(p_roles, 'writers', false), 'writers'));
END
$$;
