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
   Per member exactly one probe runs, chosen by a CASE on the member's stored kind: a
   snapshot (snapshot_epoch set, revision 0014) asks calib._snapshot_ids, a CALIBRATION
   member its certifications overlapping p_span (none when p_span is NULL: the CASE then
   falls through to NULL), a RUN its datasets, a TAGGED collection its tags, each an
   ARRAY(... LIMIT 2) subplan; the subquery with OFFSET 0 computes the CASE
   once per member (the planner would otherwise copy it into the filter and the output).
   Why a CASE of subplans rather than a UNION ALL of branches behind one-time filters (issue
   12 item 9): the executor starts every node of a cached plan on every execution, whether
   it runs or not; the CASE has no Append, no filter nodes and no set-returning wrapper, so
   a lookup starts fewer nodes (bench/README.md "issue 12 item 9" has the figures). The
   RUN and TAGGED probes stay inline, not behind a function call: such a call (PL/pgSQL,
   SET search_path) costs more per RUN or TAGGED member than the two subplans cost every
   lookup, and chains of RUNs must not get slower. A snapshot reads its source as of the
   snapshot's epoch through calib._snapshot_ids (its dataset, twice when ambiguous, so that
   ids[2] says so), a call rather than inlined calib._probe_as_of so that the plan holds no
   version table (see calib._snapshot_ids for why). A snapshot has no rows of its own and is
   never probed as its stored kind.
   The CALIBRATION probe walks certification_lookup_idx (revision 0017) backwards from the
   span's end: the key's certifications beginning at or before it, newest first, at most
   three, then those overlapping p_span. That finds the first two overlapping ones, as the
   overlap test itself would: the key's certifications never overlap, so all but the
   newest of those three begin strictly before the span's end, and they overlap it exactly
   while they end after its begin, which holds for a run of them from the newest down; the
   newest alone may begin at an exclusive end and not overlap. The key is compared as
   bigint (int4 = int8: an operator of the btree's integer family that btree_gist's int4
   class lacks) so that the planner cannot take the GiST index instead: without statistics
   it did, its guess of a GiST probe and a sort of one row being cheaper; that reads all
   of the key's certifications. A btree probe of that index
   reads ~4 pages at 10^6 certifications where the exclusion constraint's GiST index reads
   ~8 and costs ten times the time (bench/README.md "find_many whatever the statistics"). */
SELECT x.member_id, x.ids[1], x.ids[2] IS NOT NULL
FROM (SELECT m.member_id, m.rank,
             CASE WHEN m.snapshot_epoch IS NOT NULL
                  THEN calib._snapshot_ids(m.snapshot_of, p_data_id_key, p_span, m.snapshot_epoch)
                  WHEN m.member_type OPERATOR(pg_catalog.=) 'CALIBRATION' AND p_span IS NOT NULL
                  THEN ARRAY(SELECT c.dataset_id
                             FROM (SELECT c.dataset_id, c.validity FROM calib.certification AS c
                                   WHERE c.collection_id OPERATOR(pg_catalog.=)
                                         m.member_id::pg_catalog.int8
                                     AND c.data_id_key OPERATOR(pg_catalog.=)
                                         p_data_id_key::pg_catalog.int8
                                     AND coalesce(pg_catalog.lower(c.validity),
                                                  '-infinity'::pg_catalog.timestamptz)
                                         OPERATOR(pg_catalog.<=)
                                         coalesce(pg_catalog.upper(p_span),
                                                  'infinity'::pg_catalog.timestamptz)
                                   ORDER BY coalesce(pg_catalog.lower(c.validity),
                                                     '-infinity'::pg_catalog.timestamptz) DESC
                                   LIMIT 3) AS c
                             WHERE c.validity OPERATOR(pg_catalog.&&) p_span
                             LIMIT 2)
                  WHEN m.member_type OPERATOR(pg_catalog.=) 'RUN'
                  THEN ARRAY(SELECT d.dataset_id FROM calib.dataset AS d
                             WHERE d.run_id OPERATOR(pg_catalog.=) m.member_id
                               AND d.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
                             LIMIT 2)
                  WHEN m.member_type OPERATOR(pg_catalog.=) 'TAGGED'
                  THEN ARRAY(SELECT t.dataset_id FROM calib.tag AS t
                             WHERE t.collection_id OPERATOR(pg_catalog.=) m.member_id
                               AND t.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
                             LIMIT 2)
             END AS ids
      FROM calib.search_path AS m
      WHERE m.collection_id OPERATOR(pg_catalog.=) p_collection_id
      ORDER BY m.rank
      OFFSET 0) AS x
WHERE x.ids[1] IS NOT NULL
ORDER BY x.rank
LIMIT 1
$$;
