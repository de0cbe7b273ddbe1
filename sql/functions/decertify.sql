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
   containing the span is split in two. Set-based, one statement: a DELETE of the covered
   rows; an UPDATE that shortens each other row in place to its first remaining piece; an
   INSERT of the second piece of a split. The UPDATE gives the row a new certification_id
   (certification_id = DEFAULT) and this change as its creator: the history records the
   old row closed and new rows opened, exactly as a delete and an insert would, and
   calib.history / calib.explain / calib.revert / as-of reads answer the same. It is done
   in place because PostgreSQL does not re-check the foreign keys of a row whose key
   columns did not change: a split costs one foreign-key check per parent instead of two
   (revision 0016, bench/README.md "PostgreSQL writes (revision 0016)"). The INSERT reads
   the UPDATE's RETURNING rows, so each row is shortened before its second piece is checked
   against the exclusion constraint. Returns the number of certifications touched; nothing
   matching is a no-op (0).
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009
   bad timespan, KC008 bad data ID.
   Locks: the collection row, FOR NO KEY UPDATE. */
DECLARE
    v_replay jsonb;
    v_coll calib.collection := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type, true);
    v_span tstzrange := calib._timespan(p_timespan);
    v_keys integer[] := calib._data_id_keys(v_type, p_data_ids);
    /* What is left of a row before and after the span ('empty' when the span is unbounded
       on that side): row * v_before is its first piece, row * v_after its second. */
    v_before tstzrange := CASE WHEN lower_inf(v_span) THEN 'empty'
                               ELSE tstzrange(NULL, lower(v_span), '[)') END;
    v_after tstzrange := CASE WHEN upper_inf(v_span) THEN 'empty'
                              ELSE tstzrange(upper(v_span), NULL, '[)') END;
    v_n integer;
BEGIN
    PERFORM calib._operation('decertify');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('decertify');
        IF v_replay IS NOT NULL THEN
            RETURN (v_replay -> 'result')::integer;
        END IF;
    END IF;
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'decertify') IS NULL THEN END IF;
    WITH hit AS (
        /* One scan of the matching rows (materialized: both statements below read it). */
        SELECT c.ctid AS row_id, c.validity, c.validity <@ v_span AS covered
        FROM calib.certification AS c
        WHERE c.collection_id = v_coll.collection_id
          AND c.dataset_type_id = v_type.dataset_type_id
          AND c.validity && v_span
          AND (v_keys IS NULL OR c.data_id_key = ANY (v_keys))
    ), gone AS (
        DELETE FROM calib.certification AS c
        USING hit WHERE c.ctid = hit.row_id AND hit.covered
        RETURNING 1
    ), cut AS (
        /* hit.validity is the row as it was (RETURNING sees only the new one): its second
           piece. Joined by ctid (one TID fetch a row), as the DELETE: a row that a writer
           outside the locking protocol changed meanwhile has moved and is left alone
           rather than cut from a stale value. */
        UPDATE calib.certification AS c
        SET validity = CASE WHEN isempty(c.validity * v_before) THEN c.validity * v_after
                            ELSE c.validity * v_before END,
            certification_id = DEFAULT,  -- a new row for the history, as an insert
            created_change = DEFAULT, created_operation = DEFAULT
        FROM hit WHERE c.ctid = hit.row_id AND NOT hit.covered
        RETURNING c.collection_id, c.dataset_type_id, c.data_id_key, c.dataset_id,
                  hit.validity * v_before AS first, hit.validity * v_after AS second
    ), pieces AS (
        INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
        SELECT cut.collection_id, cut.dataset_type_id, cut.data_id_key, cut.dataset_id, cut.second
        FROM cut WHERE NOT isempty(cut.first) AND NOT isempty(cut.second)
    )
    SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM cut) INTO v_n;
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('decertify', to_jsonb(v_n));
    END IF;
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
