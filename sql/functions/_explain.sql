CREATE OR REPLACE FUNCTION calib._explain(p_collection text, p_dataset_type text, p_data_id jsonb, p_span tstzrange, p_as_of bigint)
RETURNS TABLE (rank bigint, member text, member_type text, outcome text, dataset_id uuid,
               timespan tstzrange, epoch bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* The body of calib.explain (its forms differ only in how the time is given): p_span is
   the lookup's time as calib._lookup takes it (an instant t is [t,t]; NULL skips
   CALIBRATION members). Names, the as-of epoch and the data ID are resolved and checked
   by the same helpers and in the same order as calib._lookup, so that explain raises
   exactly find's errors. The deciding member, its dataset and whether it is ambiguous come
   from calib.probe (now) or calib._probe_as_of (as of p_as_of) themselves, the rule find
   applies; calib._member_candidates only lists what each member holds. Outcomes: members
   before the deciding one 'no match', the deciding one 'match' (one row) or 'ambiguous'
   (one row per match), later members 'skipped' (not searched); with no time, CALIBRATION
   members are 'skipped' too (find never searches them); when nothing matches every
   searched member is 'no match'. Dataset, timespan (CALIBRATION matches only) and the
   epoch that created the match (NULL: the caller's own uncommitted change) are given on the
   deciding member's rows only.
   Errors: those of find (KC002, KC005, KC008, KC015 as_of_range, KC002 collection_missing_as_of),
   never KC011: an ambiguous match is an answer here.
   Locks: none; read-only. */
DECLARE
    v_epoch bigint := calib._as_of(p_as_of);
    v_coll_id integer := CASE WHEN p_as_of IS NULL THEN (calib._collection(p_collection)).collection_id
                              ELSE calib._collection_as_of(p_collection, v_epoch) END;
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type);
    v_value jsonb;
    v_key integer;
    v_member integer;
    v_source_member integer;
    v_ambiguous boolean;
BEGIN
    v_value := (calib._canonical_data_ids(v_type, ARRAY[p_data_id]))[1];
    SELECT di.data_id_key INTO v_key FROM calib.data_id AS di
    WHERE di.dataset_type_id = v_type.dataset_type_id AND di.value = v_value;
    /* A data ID never stored (NULL key) matches nothing: no probe, as in calib._lookup. */
    IF v_key IS NOT NULL AND v_epoch IS NULL THEN
        SELECT p.member_id, p.ambiguous INTO v_member, v_ambiguous
        FROM calib.probe(v_coll_id, v_key, p_span) AS p;
    ELSIF v_key IS NOT NULL THEN
        SELECT p.member_id, p.ambiguous INTO v_member, v_ambiguous
        FROM calib._probe_as_of(v_coll_id, v_key, p_span, v_epoch) AS p;
    END IF;
    IF v_member IS NOT NULL AND v_epoch IS NULL THEN
        /* A snapshot member decided (revision 0016): the member of its source that did, as
           of the snapshot's epoch (calib._member_candidates lists those members in its
           place), as calib._lookup names it. */
        SELECT p.member_id INTO v_source_member
        FROM calib.search_path AS sp
        CROSS JOIN LATERAL calib._probe_as_of(sp.snapshot_of, v_key, p_span, sp.snapshot_epoch) AS p
        WHERE sp.collection_id = v_coll_id AND sp.member_id = v_member
          AND sp.snapshot_epoch IS NOT NULL;
        v_member := coalesce(v_source_member, v_member);
    END IF;
    RETURN QUERY
    WITH c AS (
        SELECT m.rank, m.member_id, m.member_name, m.member_type, m.dataset_id, m.validity,
               m.created_change,
               row_number() OVER (PARTITION BY m.rank
                                  ORDER BY lower(m.validity) NULLS FIRST, m.dataset_id) AS n
        FROM calib._member_candidates(v_coll_id, v_key, p_span, v_epoch) AS m
    ),
    /* The deciding member's rank: its first listing that holds a match (a member can be
       listed twice: read now, and through a snapshot as of its epoch). */
    d AS (SELECT min(c.rank) AS rank FROM c
          WHERE c.member_id = v_member AND c.dataset_id IS NOT NULL)
    SELECT c.rank, c.member_name, c.member_type,
           CASE WHEN c.rank = d.rank
                    THEN CASE WHEN v_ambiguous THEN 'ambiguous' ELSE 'match' END
                WHEN c.member_type = 'CALIBRATION' AND p_span IS NULL THEN 'skipped'
                WHEN d.rank IS NULL OR c.rank < d.rank THEN 'no match'
                ELSE 'skipped' END,
           CASE WHEN c.rank = d.rank THEN c.dataset_id END,
           CASE WHEN c.rank = d.rank THEN c.validity END,
           CASE WHEN c.rank = d.rank THEN ch.epoch END
    FROM c
    CROSS JOIN d
    LEFT JOIN calib.change AS ch ON ch.change_id = c.created_change
    WHERE c.n = 1 OR c.rank = d.rank
    ORDER BY c.rank, c.n;
END
$$;
