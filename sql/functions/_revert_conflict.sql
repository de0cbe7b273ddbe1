CREATE OR REPLACE FUNCTION calib._revert_conflict(
    p_kind text, p_epoch bigint, p_later bigint, p_what text, p_collection_id integer,
    p_key integer DEFAULT NULL, p_dataset uuid DEFAULT NULL, p_validity tstzrange DEFAULT NULL,
    p_extra jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* Raise the RevertConflictError (KC019) of calib.revert: the later change p_later (a
   change_id; its epoch is named, NULL for the caller's own uncommitted change) stands in
   the way of reverting epoch p_epoch at a row of p_what ('certification', 'tag',
   'dataset', 'chain position', 'collection') in collection p_collection_id (the name it
   bears or bore). The one place the conflict's details are built, so that every kind
   names the same facts: epoch, later_epoch, what, collection, and for dataset rows
   dataset_type, data_id, dataset (and validity), for chain positions position and child.
   The message names the row as people read it; the details carry its facts only (since
   revision 0016: the clients render the row from them, calibcert.messages _revert_row).
   Arguments: p_kind one of revert_row_changed (a row the change created was changed or
   removed since), revert_in_use (a dataset or collection the change created is used by a
   later row), revert_occupied (a later row holds the place of a row to restore),
   revert_target_removed (the collection, dataset or child a restored row needs was removed
   since; p_extra.missing says which); p_extra: more facts (position, child, missing).
   Errors: KC019 always. Locks: none. */
DECLARE
    v_name text;
    v_later bigint;
    v_type text;
    v_data_id jsonb;
    v_row text;
BEGIN
    SELECT coalesce((SELECT c.name FROM calib.collection AS c WHERE c.collection_id = p_collection_id),
                    (SELECT v.name FROM calib.collection_version AS v WHERE v.collection_id = p_collection_id
                     ORDER BY v.created_change DESC LIMIT 1)) INTO v_name;
    SELECT ch.epoch INTO v_later FROM calib.change AS ch WHERE ch.change_id = p_later;
    IF p_key IS NOT NULL THEN
        SELECT t.name, di.value INTO v_type, v_data_id
        FROM calib.data_id AS di JOIN calib.dataset_type AS t ON t.dataset_type_id = di.dataset_type_id
        WHERE di.data_id_key = p_key;
        v_row := format('%s data ID %s, dataset %s', v_type, v_data_id::text, p_dataset)
                 || CASE WHEN p_validity IS NULL THEN ''
                         ELSE ' over ' || calib._span_text(calib._span_json(p_validity)) END;
    ELSIF p_extra ? 'position' THEN
        v_row := format('%s (child %L)', p_extra->>'position', p_extra->>'child');
    ELSE
        v_row := quote_literal(v_name);
    END IF;
    IF calib._raise('KC019',
        format('cannot revert epoch %s: %s %s in %L %s', p_epoch, p_what, v_row, v_name,
               CASE p_kind
               WHEN 'revert_row_changed' THEN 'was changed or removed since, by epoch '
               WHEN 'revert_in_use' THEN 'is in use since epoch '
               WHEN 'revert_occupied' THEN 'cannot be restored: its place was taken by epoch '
               ELSE format('cannot be restored: its %s was removed by epoch ', p_extra->>'missing')
               END || coalesce(v_later::text, 'NULL (this transaction)')),
        jsonb_build_object('kind', CASE p_kind WHEN 'revert_row_changed' THEN 'revert_row_changed'
                                               WHEN 'revert_in_use' THEN 'revert_in_use'
                                               WHEN 'revert_occupied' THEN 'revert_occupied'
                                               ELSE 'revert_target_removed' END,
                           'epoch', p_epoch, 'later_epoch', v_later, 'what', p_what,
                           'collection', v_name, 'missing', p_extra->'missing')
        || CASE WHEN p_key IS NULL THEN '{}'::jsonb ELSE jsonb_build_object(
               'dataset_type', v_type, 'data_id', v_data_id, 'dataset', p_dataset,
               'validity', calib._span_json(p_validity)) END
        || coalesce(p_extra, '{}')) IS NULL THEN END IF;
END
$$;
