-- FROZEN downgrade of revision 0016, written by migrations/freeze.py from sources/0016_speed.postgresql.down.sql.
-- Never edit by hand.
-- The functions this revision re-creates, as the previous revision had them (freeze.py).
CREATE OR REPLACE FUNCTION calib._revision()
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The schema revision these functions belong to: calib.check_integrity compares it with
   calib.alembic_version. Every later revision re-creates this function with its own number
   (tests/test_health.py fails when an installed database answers another revision than
   calibcert.schema.HEAD_REVISION). */
SELECT '0015'::text
$function$;
CREATE OR REPLACE FUNCTION calib.probe(p_collection_id integer, p_data_id_key integer, p_span tstzrange)
 RETURNS TABLE(member_id integer, dataset_id uuid, ambiguous boolean)
 LANGUAGE sql
 STABLE
AS $function$
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
   is computed once per member (OFFSET 0 keeps the planner from copying it into each use).
   A snapshot member (snapshot_epoch set, revision 0014) is its source as of the snapshot's
   epoch: calib._snapshot_ids applies the same rule (calib._probe_as_of) to the versions
   visible then (its dataset, twice when ambiguous, so that ids[2] says so). The condition
   on m.snapshot_epoch is a one-time filter: for every other member that branch is never
   run, and the plan holds no version table (see calib._snapshot_ids for why). A snapshot
   has no rows of its own, so the three branches above find nothing for it. */
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
        UNION ALL
        SELECT pg_catalog.unnest(calib._snapshot_ids(m.snapshot_of, p_data_id_key, p_span,
                                                     m.snapshot_epoch))
        WHERE m.snapshot_epoch IS NOT NULL
        LIMIT 2) AS ids
    OFFSET 0) AS x
WHERE m.collection_id OPERATOR(pg_catalog.=) p_collection_id AND x.ids[1] IS NOT NULL
ORDER BY m.rank
LIMIT 1
$function$;
-- Undo revision 0016 on PostgreSQL (source of versions/0016_speed.postgresql.down.sql).
-- freeze.py puts back what 0016 changed as 0015 had it and drops what it created.
