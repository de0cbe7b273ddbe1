-- FROZEN downgrade of revision 0010, written by migrations/freeze.py from sources/0010_dimension_types.postgresql.down.sql.
-- Never edit by hand.
-- The functions this revision re-creates, as the previous revision had them (freeze.py).
CREATE OR REPLACE FUNCTION calib._canonical_data_ids(p_type calib.dataset_type, p_data_ids jsonb[])
 RETURNS jsonb[]
 LANGUAGE plpgsql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Validate data IDs against a dataset type and return them canonical, in input order.
   A data ID is a JSON object whose keys are exactly the type's dimensions and whose values
   are strings or integers in the bigint range; integral numbers written with a fraction
   (1.0) are rewritten as integers so that equal data IDs are equal jsonb.
   Set-based: one statement finds the first bad item, one rewrites the rare non-canonical.
   Error: KC008 naming the dataset type, the data ID and what is wrong with it. */
DECLARE
    v_dims text[] := ARRAY(SELECT unnest(p_type.dimensions) ORDER BY 1);
    v_bad record;
    v_missing text[];
    v_extra text[];
BEGIN
    IF p_data_ids IS NULL THEN
        PERFORM calib._raise('KC015', 'data IDs must not be NULL',
                             jsonb_build_object('kind', 'argument_null', 'what', 'data IDs'));
    END IF;
    SELECT u.ord, u.d INTO v_bad
    FROM unnest(p_data_ids) WITH ORDINALITY AS u(d, ord)
    WHERE CASE
        WHEN u.d IS NULL OR jsonb_typeof(u.d) <> 'object' THEN true
        WHEN ARRAY(SELECT jsonb_object_keys(u.d) ORDER BY 1) <> v_dims THEN true
        ELSE EXISTS (
            SELECT FROM jsonb_each(u.d) AS e
            WHERE CASE jsonb_typeof(e.value)
                WHEN 'string' THEN false
                WHEN 'number' THEN e.value::numeric <> trunc(e.value::numeric)
                    OR e.value::numeric NOT BETWEEN -9223372036854775808 AND 9223372036854775807
                ELSE true
            END)
    END
    ORDER BY u.ord
    LIMIT 1;
    IF FOUND THEN
        IF v_bad.d IS NULL OR jsonb_typeof(v_bad.d) <> 'object' THEN
            PERFORM calib._raise('KC008',
                format('data ID %s for dataset type %L is not a JSON object',
                       coalesce(v_bad.d::text, 'NULL'), p_type.name),
                jsonb_build_object('kind', CASE WHEN v_bad.d IS NULL THEN 'data_id_null'
                                                ELSE 'data_id_not_object' END,
                                   'dataset_type', p_type.name, 'data_id', v_bad.d));
        END IF;
        v_missing := ARRAY(SELECT unnest(v_dims) EXCEPT SELECT jsonb_object_keys(v_bad.d) ORDER BY 1);
        v_extra := ARRAY(SELECT jsonb_object_keys(v_bad.d) EXCEPT SELECT unnest(v_dims) ORDER BY 1);
        IF cardinality(v_missing) > 0 OR cardinality(v_extra) > 0 THEN
            PERFORM calib._raise('KC008',
                format('data ID %s does not match the dimensions (%s) of dataset type %L%s%s',
                       v_bad.d, array_to_string(p_type.dimensions, ', '), p_type.name,
                       CASE WHEN cardinality(v_missing) > 0
                            THEN '; missing ' || array_to_string(v_missing, ', ') ELSE '' END,
                       CASE WHEN cardinality(v_extra) > 0
                            THEN '; unexpected ' || array_to_string(v_extra, ', ') ELSE '' END),
                jsonb_build_object('kind', 'data_id_dimensions',
                                   'dataset_type', p_type.name, 'data_id', v_bad.d,
                                   'dimensions', to_jsonb(p_type.dimensions),
                                   'missing', to_jsonb(v_missing), 'unexpected', to_jsonb(v_extra)));
        END IF;
        PERFORM calib._raise('KC008',
            format('data ID %s for dataset type %L has a value that is neither a string nor '
                   'a 64-bit integer', v_bad.d, p_type.name),
            jsonb_build_object('kind', 'data_id_value', 'dataset_type', p_type.name,
                               'data_id', v_bad.d));
    END IF;
    /* jsonb prints an integral number without '.' canonically; only "1.0"-style values need
       rewriting, and only data IDs whose text has a '.' can contain one. */
    RETURN ARRAY(
        SELECT CASE WHEN strpos(u.d::text, '.') = 0 THEN u.d
               ELSE (SELECT jsonb_object_agg(e.key,
                         CASE WHEN jsonb_typeof(e.value) = 'number'
                              THEN to_jsonb(e.value::numeric::bigint) ELSE e.value END)
                     FROM jsonb_each(u.d) AS e)
               END
        FROM unnest(p_data_ids) WITH ORDINALITY AS u(d, ord)
        ORDER BY u.ord);
END
$function$;
CREATE OR REPLACE FUNCTION calib._check_name(p_name text, p_what text)
 RETURNS void
 LANGUAGE plpgsql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Names (collections, dataset types, dimensions): 1-255 characters, no control characters.
   Error: KC014 (KC015 for NULL). The table CHECKs say the same for raw writers. */
BEGIN
    IF p_name IS NULL THEN
        PERFORM calib._raise('KC015', format('%s must not be NULL', p_what),
                             jsonb_build_object('kind', 'argument_null', 'what', p_what));
    END IF;
    IF char_length(p_name) NOT BETWEEN 1 AND 255 THEN
        PERFORM calib._raise('KC014',
            format('%s %L must be 1 to 255 characters long (got %s)',
                   p_what, left(p_name, 40), char_length(p_name)),
            jsonb_build_object('kind', 'name_length', 'what', p_what, 'name', p_name,
                               'length', char_length(p_name)));
    END IF;
    IF p_name ~ '[\x01-\x1f\x7f-\x9f]' THEN
        PERFORM calib._raise('KC014', format('%s %L contains a control character', p_what, p_name),
                             jsonb_build_object('kind', 'name_control_character',
                                                'what', p_what, 'name', p_name));
    END IF;
END
$function$;
CREATE OR REPLACE FUNCTION calib._collection(p_name text, p_types text[] DEFAULT NULL::text[])
 RETURNS calib.collection
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The collection named p_name; when p_types is given its type must be one of them.
   Errors: KC002 unknown collection, KC003 wrong type, KC015 NULL name. */
DECLARE
    v_row calib.collection;
BEGIN
    IF p_name IS NULL THEN
        PERFORM calib._raise('KC015', 'collection name must not be NULL',
                             jsonb_build_object('kind', 'argument_null', 'what', 'collection name'));
    END IF;
    SELECT * INTO v_row FROM calib.collection WHERE name = p_name;
    IF NOT FOUND THEN
        PERFORM calib._raise('KC002', format('collection %L does not exist', p_name),
                             jsonb_build_object('kind', 'collection_missing', 'collection', p_name));
    END IF;
    IF p_types IS NOT NULL AND v_row.type <> ALL (p_types) THEN
        PERFORM calib._raise('KC003',
            format('collection %L is %s; expected %s', p_name, v_row.type,
                   array_to_string(p_types, ' or ')),
            jsonb_build_object('kind', 'collection_type', 'collection', p_name, 'type', v_row.type,
                               'expected', to_jsonb(p_types)));
    END IF;
    RETURN v_row;
END
$function$;
CREATE OR REPLACE FUNCTION calib._dataset_type(p_name text, p_need_calibration boolean DEFAULT false)
 RETURNS calib.dataset_type
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The dataset type named p_name. Errors: KC005 unknown, KC006 not a calibration type when
   p_need_calibration, KC015 NULL name. */
DECLARE
    v_row calib.dataset_type;
BEGIN
    IF p_name IS NULL THEN
        PERFORM calib._raise('KC015', 'dataset type name must not be NULL',
                             jsonb_build_object('kind', 'argument_null', 'what', 'dataset type name'));
    END IF;
    SELECT * INTO v_row FROM calib.dataset_type WHERE name = p_name;
    IF NOT FOUND THEN
        PERFORM calib._raise('KC005', format('dataset type %L does not exist', p_name),
                             jsonb_build_object('kind', 'dataset_type_missing', 'dataset_type', p_name));
    END IF;
    IF p_need_calibration AND NOT v_row.is_calibration THEN
        PERFORM calib._raise('KC006',
            format('dataset type %L is not a calibration type', p_name),
            jsonb_build_object('kind', 'not_calibration_type', 'dataset_type', p_name));
    END IF;
    RETURN v_row;
END
$function$;
CREATE OR REPLACE FUNCTION calib.copy_collection(p_source text, p_destination text, p_doc text DEFAULT NULL::text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Create p_destination with the type of p_source and all its associations: certifications
   with their timespans (CALIBRATION), tags (TAGGED) or chain children (CHAINED). Set-based:
   one INSERT ... SELECT. p_doc defaults to the source's doc.
   Errors: KC002 unknown source, KC003 source is a RUN, KC010 destination exists, KC014 bad
   destination name.
   Locks: for a chain, calib._lock_chains(); the source row FOR SHARE (waits for writers in
   flight, then copies their complete result); the new row is invisible until commit. */
DECLARE
    v_src calib.collection := calib._collection(p_source, ARRAY['TAGGED', 'CALIBRATION', 'CHAINED']);
    v_dst_id integer;
BEGIN
    PERFORM calib._check_name(p_destination, 'collection name');
    IF v_src.type = 'CHAINED' THEN
        PERFORM calib._lock_chains();
        /* Look it up again: a concurrent remove may have committed while we waited. */
        v_src := calib._collection(p_source, ARRAY['CHAINED']);
    END IF;
    PERFORM calib._lock_collections(ARRAY[v_src.collection_id], 'read');
    INSERT INTO calib.collection (name, type, doc)
    VALUES (p_destination, v_src.type, coalesce(p_doc, v_src.doc))
    ON CONFLICT ON CONSTRAINT collection_name_key DO NOTHING
    RETURNING collection_id INTO v_dst_id;
    IF v_dst_id IS NULL THEN
        PERFORM calib._raise('KC010', format('collection %L already exists', p_destination),
                             jsonb_build_object('kind', 'collection_exists',
                                                'collection', p_destination));
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
$function$;
CREATE OR REPLACE FUNCTION calib.insert_datasets(p_dataset_type text, p_run text, p_data_ids jsonb[], p_ids uuid[] DEFAULT NULL::uuid[])
 RETURNS TABLE(dataset_id uuid, data_id jsonb)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Create one dataset per data ID in RUN collection p_run; returns (id, canonical data ID)
   in input order. p_ids brings the caller's own UUIDs (same length); otherwise random
   UUIDs are generated. Set-based: data IDs are interned and datasets inserted with one
   statement each.
   Errors: KC002/KC003 run unknown or not a RUN, KC005 unknown type, KC008 bad data ID,
   KC010 a data ID repeated in the call or already in the run, or an id already used,
   KC015 NULLs / p_ids of another length.
   Locks: the run's collection row (calib._lock_collections). */
DECLARE
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type);
    v_run calib.collection := calib._collection(p_run, ARRAY['RUN']);
    v_values jsonb[] := calib._canonical_data_ids(v_type, p_data_ids);
    v_ids uuid[];
    v_keys integer[];
    v_dup jsonb;
    v_dup_id uuid;
BEGIN
    IF p_ids IS NOT NULL AND (cardinality(p_ids) <> cardinality(p_data_ids)
                              OR array_position(p_ids, NULL) IS NOT NULL) THEN
        PERFORM calib._raise('KC015',
            format('%s ids given for %s data IDs (ids must be non-NULL, one per data ID)',
                   cardinality(p_ids), cardinality(p_data_ids)),
            jsonb_build_object('kind', 'ids_count', 'dataset_type', p_dataset_type,
                               'collection', p_run, 'n_ids', cardinality(p_ids),
                               'n_data_ids', cardinality(p_data_ids)));
    END IF;
    v_ids := coalesce(p_ids, ARRAY(SELECT gen_random_uuid() FROM generate_series(1, cardinality(v_values))));

    SELECT u.v INTO v_dup FROM unnest(v_values) WITH ORDINALITY AS u(v, ord)
    GROUP BY u.v HAVING count(*) > 1 ORDER BY min(u.ord) LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC010',
            format('data ID %s of dataset type %L appears more than once in one call', v_dup, p_dataset_type),
            jsonb_build_object('kind', 'data_id_repeated', 'dataset_type', p_dataset_type,
                               'data_id', v_dup, 'collection', p_run));
    END IF;
    SELECT u.i INTO v_dup_id FROM unnest(v_ids) WITH ORDINALITY AS u(i, ord)
    GROUP BY u.i HAVING count(*) > 1 ORDER BY min(u.ord) LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC010', format('dataset id %s appears more than once in one call', v_dup_id),
                             jsonb_build_object('kind', 'dataset_id_repeated', 'dataset', v_dup_id));
    END IF;

    PERFORM calib._lock_collections(ARRAY[v_run.collection_id]);

    SELECT d.dataset_id INTO v_dup_id FROM calib.dataset AS d WHERE d.dataset_id = ANY (v_ids)
    ORDER BY d.dataset_id LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC010', format('dataset id %s already exists', v_dup_id),
                             jsonb_build_object('kind', 'dataset_id_exists', 'dataset', v_dup_id));
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
        PERFORM calib._raise('KC010',
            format('RUN %L already has a %L dataset with data ID %s', p_run, p_dataset_type, v_dup),
            jsonb_build_object('kind', 'run_data_id_exists', 'collection', p_run,
                               'dataset_type', p_dataset_type, 'data_id', v_dup));
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
$function$;
CREATE OR REPLACE FUNCTION calib.query_datasets(p_collection text, p_dataset_type text, p_where jsonb DEFAULT NULL::jsonb)
 RETURNS TABLE(dataset_id uuid, dataset_type text, data_id jsonb, run text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The datasets of p_dataset_type visible in a RUN, TAGGED or CHAINED collection without a
   time: for each data ID the first RUN / TAGGED member holding it decides (as find with no
   time); CALIBRATION members are skipped. p_where narrows by data-ID values (jsonb
   containment, e.g. '{"detector": 3}'). Ordered by data ID (interning order). This is how
   "certify all biases in this run" picks its datasets.
   Errors: KC002, KC003 (a CALIBRATION collection itself), KC005. Read-only, no locks. */
/* Check both names up front: below, the planner may never evaluate the CTE that calls
   _collection (nothing to join with), and an unknown collection would pass silently. */
SELECT calib._collection(p_collection, ARRAY['RUN', 'TAGGED', 'CHAINED']),
       calib._dataset_type(p_dataset_type);
WITH chain AS (
    SELECT f.* FROM calib._flatten(
        (calib._collection(p_collection, ARRAY['RUN', 'TAGGED', 'CHAINED'])).collection_id) AS f
), ty AS (
    SELECT * FROM calib._dataset_type(p_dataset_type)
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
WHERE p_where IS NULL OR di.value @> p_where
ORDER BY f.data_id_key
$function$;
CREATE OR REPLACE FUNCTION calib.register_collection(p_name text, p_type text, p_doc text DEFAULT NULL::text)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Register a collection. p_type is RUN, TAGGED, CALIBRATION or CHAINED (any case).
   Returns true if it was created, false if it existed with the same type (a no-op; the
   stored doc is kept). Concurrent registrations of one name are safe (ON CONFLICT).
   Errors: KC014 bad name, KC015 unknown type / NULL, KC010 exists with another type.
   Locks: none beyond the unique index. */
DECLARE
    v_type text := upper(p_type);
    v_existing text;
BEGIN
    PERFORM calib._check_name(p_name, 'collection name');
    IF v_type IS NULL OR v_type NOT IN ('RUN', 'TAGGED', 'CALIBRATION', 'CHAINED') THEN
        PERFORM calib._raise('KC015',
            format('unknown collection type %L; expected RUN, TAGGED, CALIBRATION or CHAINED', p_type),
            jsonb_build_object('kind', 'collection_type_unknown', 'collection', p_name,
                               'type', p_type));
    END IF;
    INSERT INTO calib.collection (name, type, doc) VALUES (p_name, v_type, p_doc)
    ON CONFLICT ON CONSTRAINT collection_name_key DO NOTHING;
    IF FOUND THEN
        RETURN true;
    END IF;
    SELECT type INTO v_existing FROM calib.collection WHERE name = p_name;
    IF v_existing <> v_type THEN
        PERFORM calib._raise('KC010',
            format('collection %L already exists as %s, not %s', p_name, v_existing, v_type),
            jsonb_build_object('kind', 'collection_exists_as', 'collection', p_name,
                               'type', v_existing, 'requested', v_type));
    END IF;
    RETURN false;
END
$function$;
CREATE OR REPLACE FUNCTION calib.register_dataset_type(p_name text, p_dimensions text[], p_is_calibration boolean DEFAULT true)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Register a dataset type: its data IDs have exactly the keys p_dimensions (ordered,
   distinct names). Returns true if created, false if the same definition existed.
   Errors: KC014 bad name, KC015 NULL / repeated dimension, KC010 exists with another
   definition. Locks: none beyond the unique index. */
DECLARE
    v_existing calib.dataset_type;
    v_dim text;
BEGIN
    PERFORM calib._check_name(p_name, 'dataset type name');
    IF p_dimensions IS NULL OR p_is_calibration IS NULL THEN
        PERFORM calib._raise('KC015', 'dimensions and is_calibration must not be NULL',
                             jsonb_build_object('kind', 'dataset_type_definition_null',
                                                'dataset_type', p_name));
    END IF;
    FOREACH v_dim IN ARRAY p_dimensions LOOP
        PERFORM calib._check_name(v_dim, 'dimension name');
    END LOOP;
    IF cardinality(p_dimensions) <> (SELECT count(DISTINCT d) FROM unnest(p_dimensions) AS d) THEN
        PERFORM calib._raise('KC015',
            format('dimensions of dataset type %L repeat a name: %s', p_name, p_dimensions),
            jsonb_build_object('kind', 'dimensions_repeated', 'dataset_type', p_name,
                               'dimensions', to_jsonb(p_dimensions)));
    END IF;
    INSERT INTO calib.dataset_type (name, dimensions, is_calibration)
    VALUES (p_name, p_dimensions, p_is_calibration)
    ON CONFLICT ON CONSTRAINT dataset_type_name_key DO NOTHING;
    IF FOUND THEN
        RETURN true;
    END IF;
    SELECT * INTO v_existing FROM calib.dataset_type WHERE name = p_name;
    IF v_existing.dimensions <> p_dimensions OR v_existing.is_calibration <> p_is_calibration THEN
        PERFORM calib._raise('KC010',
            format('dataset type %L already exists with dimensions %s, is_calibration=%s',
                   p_name, v_existing.dimensions, v_existing.is_calibration),
            jsonb_build_object('kind', 'dataset_type_exists_as', 'dataset_type', p_name,
                               'dimensions', to_jsonb(v_existing.dimensions),
                               'is_calibration', v_existing.is_calibration));
    END IF;
    RETURN false;
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
   Errors: KC002 unknown parent or child, KC003 parent not CHAINED, KC004 a cycle (the
   parent itself, or a chain that already contains the parent), KC015 NULL.
   Locks: calib._lock_chains(), then the parent row (calib._lock_collections). */
DECLARE
    v_parent calib.collection := calib._collection(p_parent, ARRAY['CHAINED']);
    v_ids integer[];
    v_missing text;
    v_cycle text;
BEGIN
    IF p_children IS NULL OR array_position(p_children, NULL) IS NOT NULL THEN
        PERFORM calib._raise('KC015', 'chain children must be a non-NULL array of names',
                             jsonb_build_object('kind', 'chain_children_null',
                                                'collection', p_parent));
    END IF;
    PERFORM calib._lock_chains();
    /* Look it up again: a concurrent remove may have committed while we waited. */
    v_parent := calib._collection(p_parent, ARRAY['CHAINED']);
    PERFORM calib._lock_collections(ARRAY[v_parent.collection_id]);

    SELECT u.name INTO v_missing
    FROM unnest(p_children) WITH ORDINALITY AS u(name, ord)
    LEFT JOIN calib.collection AS c ON c.name = u.name
    WHERE c.collection_id IS NULL ORDER BY u.ord LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC002',
            format('collection %L (child of chain %L) does not exist', v_missing, p_parent),
            jsonb_build_object('kind', 'chain_child_missing', 'collection', v_missing,
                               'parent', p_parent));
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
        PERFORM calib._raise('KC004',
            format('making %L a child of chain %L would create a cycle', v_cycle, p_parent),
            jsonb_build_object('kind', 'chain_cycle', 'collection', p_parent, 'child', v_cycle));
    END IF;

    DELETE FROM calib.collection_chain WHERE parent_id = v_parent.collection_id;
    INSERT INTO calib.collection_chain (parent_id, position, child_id)
    SELECT v_parent.collection_id, u.ord, u.id
    FROM unnest(v_ids) WITH ORDINALITY AS u(id, ord);
END
$function$;
-- Undo revision 0010 on PostgreSQL (source of versions/0010_dimension_types.postgresql.down.sql):
-- freeze.py first puts back the functions 0010 re-creates as 0009 had them; then the name
-- CHECKs go back to 0009's, the triggers on calib.data_id and calib.dimension are dropped;
-- freeze.py drops the functions 0010 created after this point.
DROP TRIGGER data_id_types_insert ON calib.data_id;
DROP TRIGGER data_id_types_update ON calib.data_id;
ALTER TABLE calib.collection DROP CONSTRAINT collection_name_check,
    ADD CONSTRAINT collection_name_check
        CHECK (char_length(name) BETWEEN 1 AND 255 AND name !~ '[\x01-\x1f\x7f-\x9f]');
ALTER TABLE calib.dataset_type DROP CONSTRAINT dataset_type_name_check,
    ADD CONSTRAINT dataset_type_name_check
        CHECK (char_length(name) BETWEEN 1 AND 255 AND name !~ '[\x01-\x1f\x7f-\x9f]');
DROP TABLE calib.dimension;
-- The functions this revision creates (freeze.py).
DROP FUNCTION calib._canonical_where(calib.dataset_type,jsonb);
DROP FUNCTION calib._data_id_types_trigger();
DROP FUNCTION calib._fix_dimensions(calib.dataset_type,jsonb[]);
DROP FUNCTION calib._forbidden_character(text);
