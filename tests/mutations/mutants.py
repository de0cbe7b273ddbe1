"""The curated mutants of the mutation check (run them with ``python tests/mutations/run.py``).

Each mutant is one deliberate breakage: an exact text replacement (``old`` must occur exactly
once in ``file``, or the run fails: the list cannot rot silently) applied to a temporary copy
of the repository, and the tests that must catch it (pytest node ids, run with ``-x``; the
fewer and faster the better, but each must be able to fail for the reason the mutant
breaks). A mutant the selected tests do not catch is a missing test: add it (a
tests/test_mutation_gaps*.py file) and select it here.

"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str
    old: str
    new: str
    description: str
    tests: tuple[str, ...]


BC = "tests/test_behaviour_certify.py::"
BL = "tests/test_behaviour_lookup.py::"
FMB = "tests/test_behaviour_find_many_batch.py::"
BCO = "tests/test_behaviour_collections.py::"
BD = "tests/test_behaviour_datasets.py::"
BI = "tests/test_behaviour_inputs.py::"
SQL = "tests/test_sql_level.py::"
SEC = "tests/test_security.py::"
ROLES = "tests/test_roles.py::"
CONC = "tests/test_pg_concurrency.py::"
WAITS = "tests/test_pg_waits.py::"
RETRIES = "tests/test_retries.py::"
GUARDS = "tests/test_sqlite_guards.py::"
GAPS = "tests/test_mutation_gaps.py::"
HOSTILE = "tests/test_hostile_sessions.py::"
PATHS = "tests/test_sqlite_search_paths.py::"
BS = "tests/test_behaviour_states.py::"
PGS = "tests/test_pg_states.py::"
SQS = "tests/test_sqlite_states.py::"
HEALTH = "tests/test_health.py::"
IH = "tests/test_install_hostile.py::"
HIST = "tests/test_pg_history.py::"
RET = "tests/test_pg_retention.py::"
BRET = "tests/test_behaviour_retention.py::"
PRUNE_ALL = "test_prune_keeps_every_later_epoch_and_refuses_the_earlier_ones"
SQ_PRUNE = "pyclient/calibcert/backends/sqlite/prune_history.py"
SQ_REQUEST = "pyclient/calibcert/backends/sqlite/request.py"
SQ_HISTORY = "pyclient/calibcert/backends/sqlite/history.py"
SQRET = "tests/test_sqlite_retention.py::"
REV = "tests/test_pg_revert.py::"
BREV = "tests/test_behaviour_revert.py::"
SREV = "tests/test_sqlite_revert.py::"
BH = "tests/test_behaviour_history.py::"
HSQ = "tests/test_sqlite_history.py::"
SQV = "tests/test_sqlite_versions.py::"
SQC = "tests/test_sqlite_copy.py::"
REVIEW = "tests/test_cli_review.py::"
CORRUPT = HEALTH + "test_each_corruption_is_reported_exactly"
PLOT = "tests/test_plot_chains.py::"
DIGEST = "tests/test_digest.py::"
EXPL = "tests/test_behaviour_explain.py::"
SQX = "pyclient/calibcert/backends/sqlite/explain.py"
SNAP = "tests/test_pg_snapshots.py::"
REP = "tests/test_replicas.py::"
BSNAP = "tests/test_behaviour_snapshots.py::"
SQSNAP = "tests/test_sqlite_snapshots.py::"
PG_ALONE, SQ_ONLY = "[postgresql-standalone]", "[sqlite]"
LPLANS = "tests/test_lookup_plans.py::"
REFS = "tests/test_pg_change_refs.py::"
#: The behaviour suite's backend parameters (tests/conftest.py BACKENDS).
PG = "[postgresql-in-transaction]"
PG_STANDALONE = "[postgresql-standalone]"
SQ = "[sqlite]"
PG_SAME, SQ_SAME = "[postgresql-in-transaction-same-begin]", "[sqlite-same-begin]"
PG_AT, SQ_AT = "[postgresql-in-transaction-at-begin]", "[sqlite-at-begin]"

MUTANTS: tuple[Mutant, ...] = (
    # -- locks, the single lookup, SQLite's stored search paths (revision 0008) ------------
    Mutant(
        "pg-lock-order-descending", "sql/functions/_lock_collections.sql",
        "ORDER BY collection_id FOR NO KEY UPDATE;",
        "ORDER BY collection_id DESC FOR NO KEY UPDATE;",
        "writers lock several collections in descending id order",
        (CONC + "test_several_collections_are_locked_in_ascending_order_so_opposite_orders"
         "_queue",),
    ),
    Mutant(
        "pg-lookup-one-ignores-ambiguity", "sql/functions/_lookup_one.sql",
        "IF FOUND AND v.ambiguous IS NOT TRUE THEN",
        "IF FOUND THEN",
        "find (calib._lookup_one) answers an ambiguous deciding member",
        (BL + "test_find_ambiguous" + PG,),
    ),
    Mutant(
        "sqlite-paths-read-stale", "pyclient/calibcert/backends/sqlite/catalog.py",
        "        if not self._paths_stale():\n",
        "        if True:\n",
        "lookups read the stored search paths even when a raw writer left them stale",
        (PATHS + "test_a_raw_chain_change_is_never_read_stale",),
    ),
    Mutant(
        "sqlite-paths-refresh-ignores-stale", "pyclient/calibcert/backends/sqlite/catalog.py",
        "        if was_stale:\n",
        "        if False:\n",
        "a chain change after a raw writer's refreshes only its own chain's paths",
        (PATHS + "test_a_raw_chain_change_is_never_read_stale",),
    ),
    Mutant(
        "sqlite-paths-set-chain-no-refresh", "pyclient/calibcert/backends/sqlite/collections.py",
        "            self._refresh_search_paths([p.id], was_stale)\n",
        "",
        "set_chain leaves the stored search paths as they were",
        (PATHS + "test_every_chain_change_stores_the_paths_it_changes",),
    ),
    Mutant(
        "sqlite-paths-no-ancestors", "sql/sqlite/functions/refresh_search_paths.sql",
        "    UNION\n    SELECT ch.parent_id FROM up JOIN collection_chain AS ch"
        " ON ch.child_id = up.collection_id\n",
        "",
        "a chain change refreshes the changed chain but not the chains above it",
        (PATHS + "test_every_chain_change_stores_the_paths_it_changes",),
    ),
    Mutant(
        "sqlite-walk-last-occurrence", "sql/sqlite/functions/walk_search_paths.sql",
        "SELECT w.root_id, w.collection_id, min(w.path) FROM walk AS w",
        "SELECT w.root_id, w.collection_id, max(w.path) FROM walk AS w",
        "a collection reached twice keeps its last position on the path, not its first",
        (PATHS + "test_every_chain_change_stores_the_paths_it_changes",),
    ),
    Mutant(
        "sqlite-paths-raw-delete-not-stale", "sql/sqlite/schema/search_path.sql",
        "CREATE TRIGGER collection_chain_search_path_delete AFTER DELETE ON collection_chain\n"
        "BEGIN\n    UPDATE search_path_state SET stale = 1 WHERE id = 1 AND stale = 0;\nEND;",
        "CREATE TRIGGER collection_chain_search_path_delete AFTER DELETE ON collection_chain\n"
        "BEGIN\n    SELECT 1;\nEND;",
        "a raw delete from collection_chain does not mark the stored paths stale",
        (PATHS + "test_a_raw_chain_change_is_never_read_stale",),
    ),
    Mutant(
        "sqlite-path-last-member", "pyclient/calibcert/backends/sqlite/catalog.py",
        '" WHERE sp.collection_id = ? ORDER BY sp.rank")',
        '" WHERE sp.collection_id = ? ORDER BY sp.rank DESC")',
        "SQLite reads a chain's search path backwards: the last matching member decides",
        (BL + "test_find_chain_order_decides" + SQ,),
    ),
    Mutant(
        "pg-raise-without-sqlstate", "sql/functions/_raise.sql",
        "MESSAGE = p_code || ': ' || p_message,",
        "MESSAGE = p_message,",
        "errors no longer start with their SQLSTATE (psql shows none at default verbosity)",
        ("tests/test_psql_errors.py",),
    ),
    Mutant(
        "pg-raise-by-perform", "sql/functions/_collection.sql",
        "IF calib._raise('KC002', format('collection %L does not exist', p_name),\n"
        "                             jsonb_build_object('kind', 'collection_missing',"
        " 'collection', p_name)) IS NULL THEN END IF;",
        "PERFORM calib._raise('KC002', format('collection %L does not exist', p_name),\n"
        "                             jsonb_build_object('kind', 'collection_missing',"
        " 'collection', p_name));",
        "an unknown collection raised through PERFORM: psql's CONTEXT prints the call's text",
        ("tests/test_psql_errors.py",),
    ),
    # -- sql/schema: tables, triggers, privileges ------------------------------------------
    Mutant(
        "pg-no-exclusion", "sql/schema/tables.sql",
        """,
    /* The rule of calibcert: one calibration key (collection, data ID -- which implies the
       dataset type) is never valid twice at the same instant. Holds for every writer. */
    CONSTRAINT certification_no_overlap EXCLUDE USING gist (
        collection_id WITH =, data_id_key WITH =, validity WITH &&
    )""",
        "",
        "drop the exclusion constraint certification_no_overlap",
        (BC + "test_certify_overlap_with_stored_row" + PG,
         SQL + "test_raw_overlapping_insert_hits_the_exclusion_constraint"),
    ),
    Mutant(
        "pg-exclusion-equal-only", "sql/schema/tables.sql",
        "collection_id WITH =, data_id_key WITH =, validity WITH &&",
        "collection_id WITH =, data_id_key WITH =, validity WITH =",
        "exclusion constraint compares validity with = instead of && (only equal spans clash)",
        (BC + "test_certify_overlap_with_stored_row" + PG,),
    ),
    Mutant(
        "pg-validity-end-inclusive", "sql/schema/tables.sql",
        "AND (upper_inf(validity) OR (NOT upper_inc(validity) AND isfinite(upper(validity))))",
        "AND (upper_inf(validity) OR isfinite(upper(validity)))",
        "certification_validity_bounds accepts an inclusive end",
        (SQL + "test_raw_bad_bounds_are_rejected_by_the_check",),
    ),
    Mutant(
        "pg-normalize-lower-only", "sql/schema/triggers.sql",
        "WHEN (lower(NEW.validity) = '-infinity' OR upper(NEW.validity) = 'infinity')",
        "WHEN (lower(NEW.validity) = '-infinity')",
        "the normalising trigger forgets an end of +infinity",
        (SQL + "test_raw_infinity_is_normalised_to_unbounded",),
    ),
    Mutant(
        "pg-search-path-unpinned", "sql/functions/decertify.sql",
        "tstzrange, p_data_ids jsonb[] DEFAULT NULL)\nRETURNS integer\nLANGUAGE plpgsql\n"
        "SECURITY DEFINER\nSET search_path = pg_catalog, pg_temp\n",
        "tstzrange, p_data_ids jsonb[] DEFAULT NULL)\nRETURNS integer\nLANGUAGE plpgsql\n"
        "SECURITY DEFINER\n",
        "calib.decertify (the typed form) loses SET search_path = pg_catalog, pg_temp",
        (SEC + "test_the_installed_schema_keeps_every_security_rule",),
    ),
    Mutant(
        "pg-public-execute", "sql/schema/security.sql",
        "REVOKE ALL ON ALL FUNCTIONS IN SCHEMA calib FROM PUBLIC;\n",
        "",
        "PUBLIC keeps EXECUTE on every function (the REVOKE is gone)",
        (SEC + "test_the_installed_schema_keeps_every_security_rule",),
    ),
    Mutant(
        "pg-public-default-privileges", "sql/schema/security.sql",
        "ALTER DEFAULT PRIVILEGES FOR ROLE calib_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;",
        "",
        "functions calib_owner creates later are executable by PUBLIC",
        (SEC + "test_functions_calib_owner_creates_later_are_not_for_public",),
    ),
    Mutant(
        "pg-reader-may-decertify", "sql/schema/grants.sql",
        "        'calib.collection_digest(text, bigint)'\n",
        "        'calib.collection_digest(text, bigint)',\n"
        "        'calib.decertify(text, text, tstzrange, jsonb[])'\n",
        "calib_reader is granted the certifier function calib.decertify",
        (SQL + "test_function_grants_match_the_roles",
         ROLES + "test_each_role_calls_exactly_what_the_contract_allows[calib_reader]"),
    ),
    # -- roles (revision 0012) ---------------------------------------------------------------
    Mutant(
        "pg-certifier-may-register-collections", "sql/schema/grants.sql",
        "        'calib.snapshot_collection(text, text, text)'\n",
        "        'calib.snapshot_collection(text, text, text)',\n"
        "        'calib.register_collection(text, text, text)'\n",
        "calib_certifier (so calib_writer) may register collections, an admin function",
        (ROLES + "test_each_role_calls_exactly_what_the_contract_allows[calib_writer]",),
    ),
    Mutant(
        "pg-admin-not-a-certifier", "sql/schema/roles.sql",
        "            [v_prefix || '_admin', v_prefix || '_certifier']]",
        "            [v_prefix || '_admin', v_prefix || '_reader']]",
        "calib_admin is a member of calib_reader only: it cannot certify",
        (ROLES + "test_each_role_calls_exactly_what_the_contract_allows[calib_admin]",),
    ),
    Mutant(
        "pg-writer-not-a-certifier", "sql/schema/roles.sql",
        "ARRAY[['calib_writer', 'calib_certifier']]",
        "ARRAY[['calib_writer', 'calib_reader']]",
        "calib_writer (grants made before 0012) is only a reader",
        (ROLES + "test_each_role_calls_exactly_what_the_contract_allows[calib_writer]",),
    ),
    Mutant(
        "pg-reader-may-write-tables", "sql/schema/grants.sql",
        "'GRANT SELECT ON ALL TABLES IN SCHEMA calib TO %I'",
        "'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA calib TO %I'",
        "the reader (and so every role) may write the tables directly",
        (ROLES + "test_tables_are_read_by_readers_and_written_by_nobody[calib_admin]",),
    ),
    Mutant(
        "pg-writer-keeps-old-grants", "sql/schema/grants.sql",
        "WHERE r.rolname IN (v_reader, v_certifier, v_admin, 'calib_reader', 'calib_writer')",
        "WHERE r.rolname IN (v_reader, v_certifier, v_admin)",
        "an upgrade from 0011 leaves calib_writer its direct grants (admin functions included)",
        (ROLES + "test_a_writer_granted_before_0012_is_a_certifier_after_it",
         ROLES + "test_grants_take_back_what_an_earlier_revision_gave_the_writer"),
    ),
    Mutant(
        "pg-prefix-ignored", "sql/schema/roles.sql",
        "VALUES (COALESCE(v_wanted, 'calib'))",
        "VALUES ('calib')",
        "calib.role_prefix is ignored: every database of the cluster shares calib_*",
        (ROLES + "test_two_databases_with_their_own_prefixes_are_granted_separately",),
    ),
    Mutant(
        "pg-no-shared-roles-warning", "sql/schema/grants.sql",
        "      AND d.datname <> pg_catalog.current_database();",
        "      AND d.datname <> pg_catalog.current_database() AND false;",
        "no WARNING when the chosen roles hold privileges in another database",
        (ROLES + "test_the_same_prefix_in_two_databases_is_warned_about",),
    ),
    Mutant(
        "pg-prefix-may-change", "sql/schema/roles.sql",
        "    ELSIF v_wanted IS NOT NULL AND v_wanted <> v_prefix THEN",
        "    ELSIF false THEN",
        "a prefix that differs from the installed one is accepted (and ignored) by psql",
        (ROLES + "test_the_prefix_never_changes",),
    ),
    Mutant(
        "pg-prefix-unchecked", "sql/schema/roles.sql",
        "        CHECK (role_prefix ~ '^[a-z_][a-z0-9_]{0,52}$' AND role_prefix !~ '^pg(_|$)')",
        "        CHECK (role_prefix ~ '^[A-Za-z0-9_-]{1,60}$')",
        "a prefix with capitals, a dash, a leading digit or too long is accepted",
        (ROLES + "test_a_bad_prefix_is_refused_and_nothing_installed",),
    ),
    Mutant(
        "pg-certify-invoker", "sql/functions/certify.sql",
        "LANGUAGE plpgsql\nSECURITY DEFINER\n",
        "LANGUAGE plpgsql\n",
        "calib.certify is no longer SECURITY DEFINER",
        (SQL + "test_public_functions_are_security_definer",),
    ),
    # -- sql/functions: certification --------------------------------------------------------
    Mutant(
        "pg-overlap-sqlstate", "sql/functions/_certify_rows.sql",
        "IF calib._raise('KC001',\n            CASE WHEN v_conflicts IS NULL",
        "IF calib._raise('KC010',\n            CASE WHEN v_conflicts IS NULL",
        "certify's overlap error raised as KC010 (definition clash) instead of KC001",
        (BC + "test_certify_overlap_with_stored_row" + PG,),
    ),
    Mutant(
        "pg-certify-fast-any-type", "sql/functions/certify.sql",
        "ON t.dataset_type_id = d.dataset_type_id AND t.is_calibration;",
        "ON t.dataset_type_id = d.dataset_type_id;",
        "certify's fast way certifies datasets of a non-calibration type",
        (BC + "test_certify_non_calibration_type" + PG,),
    ),
    Mutant(
        "pg-close-open-at-or-after", "sql/functions/_certify_rows.sql",
        "AND (lower_inf(c.validity) OR lower(c.validity) < f.first_begin);",
        "AND (lower_inf(c.validity) OR lower(c.validity) <= f.first_begin);",
        "certify close_open also closes an open range beginning at the new begin",
        (BC + "test_certify_close_open_does_not_close_a_range_beginning_at_or_after" + PG_SAME,),
    ),
    Mutant(
        "pg-series-ends-across-keys", "sql/functions/_certify_rows.sql",
        "lead(u.b) OVER (PARTITION BY u.k ORDER BY u.b NULLS FIRST)",
        "lead(u.b) OVER (ORDER BY u.b NULLS FIRST)",
        "certify_series derives each end from the next begin of any key, not the same key",
        (BC + "test_certify_series_derives_ends_per_key" + PG,),
    ),
    Mutant(
        "pg-close-range-boundary", "sql/functions/close_open_range.sql",
        "WHEN NOT lower_inf(c.validity) AND lower(c.validity) >= p_end",
        "WHEN NOT lower_inf(c.validity) AND lower(c.validity) > p_end",
        "close_open_range accepts an end equal to an open range's begin",
        (BC + "test_close_open_range_refuses_end_not_after_begin" + PG_AT,),
    ),
    Mutant(
        "pg-close-range-instant", "sql/functions/close_open_range.sql",
        "ELSE tstzrange(lower(c.validity), p_end, '[)') END",
        "ELSE tstzrange(lower(c.validity), p_end + interval '1 microsecond', '[)') END",
        "close_open_range closes one microsecond after the given end",
        (BC + "test_close_open_range_closes_only_open_ones" + PG,),
    ),
    # -- pg-small (revision 0018): close_open_range's KC009 check folded into its UPDATE --
    Mutant(
        "pg-close-range-left-open-unchecked", "sql/functions/close_open_range.sql",
        "    IF v_left > 0 THEN\n",
        "    IF false THEN\n",
        "close_open_range closes the ranges it can and silently leaves open one that begins"
        " at or after the end (the folded KC009 check not raised)",
        (BC + "test_close_open_range_refuses_end_not_after_begin" + PG_AT,),
    ),
    Mutant(
        "pg-close-range-message-boundary", "sql/functions/close_open_range.sql",
        "AND NOT lower_inf(c.validity) AND lower(c.validity) >= p_end\n",
        "AND NOT lower_inf(c.validity) AND lower(c.validity) > p_end\n",
        "close_open_range's KC009 names no dataset when the offending range begins exactly"
        " at the end (the query that finds it disagrees with the UPDATE)",
        (BC + "test_close_open_range_refuses_end_not_after_begin" + PG_AT,),
    ),
    Mutant(
        "pg-decertify-split-half", "sql/functions/decertify.sql",
        "FROM cut WHERE NOT isempty(cut.first) AND NOT isempty(cut.second)",
        "FROM cut WHERE false",
        "decertify keeps only the first piece of a split certification",
        (BC + "test_decertify_removes_shortens_and_splits" + PG,),
    ),
    # -- pg-writes (revision 0016): decertify shortens in place, the history unchanged --
    Mutant(
        "pg-decertify-shortened-keeps-id", "sql/functions/decertify.sql",
        "            certification_id = DEFAULT,  -- a new row for the history, as an insert\n",
        "",
        "a certification decertify shortens keeps its id: the history pairs the old and new"
        " piece as one change of validity instead of a removal and a new piece (as SQLite"
        " records it)",
        (BH + "test_history_records_operations_actor_and_reason" + PG_STANDALONE,),
    ),
    Mutant(
        "pg-decertify-covered-kept", "sql/functions/decertify.sql",
        "        USING hit WHERE c.ctid = hit.row_id AND hit.covered\n",
        "        USING hit WHERE c.ctid = hit.row_id AND false\n",
        "decertify leaves the certifications its span covers entirely",
        (BC + "test_decertify_removes_shortens_and_splits" + PG,),
    ),
    Mutant(
        "pg-decertify-empty-piece", "sql/functions/decertify.sql",
        "FROM cut WHERE NOT isempty(cut.first) AND NOT isempty(cut.second)",
        "FROM cut WHERE NOT isempty(cut.first) OR NOT isempty(cut.second)",
        "decertify inserts a second piece for a certification it only shortened (an empty"
        " range, or the piece it kept again)",
        (BC + "test_decertify_removes_shortens_and_splits" + PG,),
    ),
    Mutant(
        "pg-decertify-no-lock", "sql/functions/decertify.sql",
        "    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;\n",
        "",
        "decertify skips the collection lock",
        (CONC + "test_decertify_waits_for_certify_and_then_sees_its_rows",),
    ),
    Mutant(
        "pg-certify-fast-no-lock", "sql/functions/certify.sql",
        "AND c.state = 'OPEN' AND c.writers IS NULL\n"
        "        FOR NO KEY UPDATE SKIP LOCKED;",
        "AND c.state = 'OPEN' AND c.writers IS NULL;",
        "certify's fast way inserts without locking the collection row",
        (CONC + "test_second_writer_waits_for_the_collection_lock_then_conflicts",),
    ),
    Mutant(
        "pg-untag-no-lock", "sql/functions/untag.sql",
        "    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;\n",
        "",
        "untag skips the collection lock",
        (GAPS + "test_untag_waiting_for_a_removal_reports_the_missing_collection",),
    ),
    # -- sql/functions: lookups ----------------------------------------------------------------
    Mutant(
        "pg-probe-ignores-ambiguity", "sql/functions/probe.sql",
        "SELECT x.member_id, x.ids[1], x.ids[2] IS NOT NULL",
        "SELECT x.member_id, x.ids[1], false",
        "the lookup rule (calib.probe) never reports an ambiguous match",
        (BL + "test_find_ambiguous" + PG,),
    ),
    Mutant(
        "pg-probe-last-member", "sql/functions/probe.sql",
        "ORDER BY x.rank\nLIMIT 1",
        "ORDER BY x.rank DESC\nLIMIT 1",
        "the lookup rule returns the last matching member of a chain instead of the first",
        (BL + "test_find_chain_order_decides" + PG,),
    ),
    # issue 12 item 9 (revision 0016): each member's one probe is chosen by a CASE on its
    # stored kind; a kind sent to the wrong probe (or to none) must be caught.
    Mutant(
        "pg-probe-tagged-unprobed", "sql/functions/probe.sql",
        "WHEN m.member_type OPERATOR(pg_catalog.=) 'TAGGED'",
        "WHEN m.member_type OPERATOR(pg_catalog.=) 'RUN'",
        "the lookup rule never finds anything in a TAGGED member",
        (BL + "test_find_run_and_tagged_by_position" + PG,),
    ),
    Mutant(
        "pg-probe-calibration-any-time", "sql/functions/probe.sql",
        "                             WHERE c.validity OPERATOR(pg_catalog.&&) p_span\n",
        "",
        "the lookup rule takes a CALIBRATION member's certifications valid at any time",
        (BL + "test_find_instant_begin_inclusive_end_exclusive" + PG,),
    ),
    Mutant(
        "pg-find-instant-empty", "sql/functions/find.sql",
        "CASE WHEN p_at IS NULL THEN NULL ELSE tstzrange(p_at, p_at, '[]') END",
        "CASE WHEN p_at IS NULL THEN NULL ELSE tstzrange(p_at, p_at, '[)') END",
        "find at an instant searches the empty range [t, t)",
        (BL + "test_find_instant_begin_inclusive_end_exclusive" + PG,),
    ),
    Mutant(
        "pg-query-where-ignored", "sql/functions/query_datasets.sql",
        "WHERE p_where IS NULL OR di.value @> (SELECT v FROM w)",
        "WHERE p_where IS NULL OR true",
        "query_datasets ignores its where",
        (BD + "test_get_and_query_datasets" + PG,),
    ),
    # -- sql/functions: collections, datasets, tags ----------------------------------------
    Mutant(
        "pg-copy-drops-open-ends", "sql/functions/copy_collection.sql",
        "FROM calib.certification AS c WHERE c.collection_id = v_src.collection_id;",
        "FROM calib.certification AS c WHERE c.collection_id = v_src.collection_id"
        " AND NOT upper_inf(c.validity);",
        "copy_collection drops certifications with an open end",
        (BCO + "test_copy_calibration_preserves_timespans_and_is_independent" + PG,),
    ),
    Mutant(
        "pg-copy-forgets-doc", "sql/functions/copy_collection.sql",
        "VALUES (p_destination, v_src.type, coalesce(p_doc, v_src.doc))",
        "VALUES (p_destination, v_src.type, p_doc)",
        "copy_collection does not inherit the source's doc",
        (GAPS + "test_copy_collection_inherits_the_doc" + PG,),
    ),
    # set_chain's own cycle check, skipped, is an equivalent mutant: the search-path trigger
    # (_refresh_search_paths.sql) refuses the same cycles with the same KC004 and details.
    Mutant(
        "pg-set-chain-repeat-last", "sql/functions/set_chain.sql",
        "ORDER BY u.name, u.ord) AS firsts",
        "ORDER BY u.name, u.ord DESC) AS firsts",
        "set_chain keeps a repeated child at its last position instead of its first",
        (GAPS + "test_set_chain_keeps_a_repeated_child_at_its_first_position" + PG,),
    ),
    Mutant(
        "pg-remove-chain-child", "sql/functions/remove_collection.sql",
        "WHERE ch.child_id = v_coll.collection_id\n",
        "WHERE false AND ch.child_id = v_coll.collection_id\n",
        "remove_collection does not check that the collection is a chain's child",
        (BCO + "test_remove_chain_child_is_in_use" + PG,),
    ),
    Mutant(
        "pg-tag-into-calibration", "sql/functions/tag.sql",
        "calib._collection(p_collection, ARRAY['TAGGED'])",
        "calib._collection(p_collection, ARRAY['TAGGED', 'CALIBRATION'])",
        "tag accepts a CALIBRATION collection",
        (BD + "test_tag_errors" + PG,),
    ),
    Mutant(
        "pg-dataset-type-name-unchecked", "sql/functions/register_dataset_type.sql",
        "    IF calib._check_name(p_name, 'dataset type name') IS NULL THEN END IF;\n",
        "",
        "register_dataset_type does not check the name (bad names reach the table)",
        (GAPS + "test_sql_register_dataset_type_refuses_bad_names",),
    ),
    Mutant(
        "pg-canonical-dims-unsorted", "sql/functions/_canonical_data_ids.sql",
        "v_dims text[] := ARRAY(SELECT unnest(p_type.dimensions) COLLATE \"C\" ORDER BY 1);",
        "v_dims text[] := ARRAY(SELECT unnest(p_type.dimensions));",
        "_canonical_data_ids compares data-ID keys with the dimensions unsorted",
        (BD + "test_insert_datasets_returns_refs_in_input_order" + PG,),
    ),
    Mutant(
        "pg-canonical-fractions", "sql/functions/_canonical_data_ids.sql",
        "                    OR e.value::numeric <> trunc(e.value::numeric)\n",
        "",
        "_canonical_data_ids accepts a data-ID value with a fraction (1.5)",
        (GAPS + "test_sql_insert_datasets_refuses_fractional_values",),
    ),
    Mutant(
        "pg-insert-ids-in-input-order", "sql/functions/insert_datasets.sql",
        "FROM unnest(v_ids, v_keys) AS u(id, k)\n        ORDER BY u.id;",
        "FROM unnest(v_ids, v_keys) AS u(id, k);",
        "insert_datasets inserts datasets in input order, not id order (revision 0007)",
        (CONC + "test_the_same_new_dataset_ids_into_two_runs_in_opposite_orders_never_deadlock",),
    ),
    Mutant(
        "pg-intern-in-input-order", "sql/functions/insert_datasets.sql",
        "FROM unnest(v_values) AS v ORDER BY v\n",
        "FROM unnest(v_values) AS v\n",
        "insert_datasets interns new data IDs in input order, not sorted",
        (GAPS + "test_interning_the_same_new_data_ids_in_opposite_orders_never_deadlocks",),
    ),
    # -- pyclient/calibcert/backends/postgres.py --------------------------------------------
    Mutant(
        "pgclient-fast-find-unknown-names", "pyclient/calibcert/backends/postgres.py",
        "        if not rows or rows[0][1]:\n            return _UNDECIDED",
        "        if not rows:\n            return None\n        if rows[0][1]:\n"
        "            return _UNDECIDED",
        "the client's prepared find answers 'nothing found' for an unknown name",
        (BL + "test_find_lookup_errors" + PG_STANDALONE,),
    ),
    Mutant(
        "pgclient-instant-open-range", "pyclient/calibcert/backends/postgres_rows.py",
        'return Range(at, at, "[]")  # an instant',
        'return Range(at, None, "[)")  # an instant',
        "find_many with timespans sends an instant as [t, +inf)",
        (BL + "test_find_many_matches_find" + PG,),
    ),
    # -- pyclient/calibcert/replicas.py (read replicas) -----------------------------------
    Mutant(
        "replicas-no-read-your-writes", "pyclient/calibcert/replicas.py",
        "            self._own_lsn = max(self._own_lsn, self._primary_lsn())\n",
        "",
        "a read after the client's own write does not wait for a standby to replay it",
        (REP + "test_a_read_after_a_write_never_sees_the_state_before_it",),
    ),
    Mutant(
        "replicas-no-staleness-floor", "pyclient/calibcert/replicas.py",
        "        return max(self._own_lsn, self._samples[0][1])",
        "        return self._own_lsn",
        "a standby serves current reads however far behind the primary it is",
        (REP + "test_a_new_client_never_reads_older_than_the_primary_when_it_connected",),
    ),
    Mutant(
        "replicas-pinned-any-standby", "pyclient/calibcert/replicas.py",
        "            return standby.epoch >= epoch if epoch is not None",
        "            return True if epoch is not None",
        "a read as_of an epoch goes to a standby that has not reached it",
        (REP + "test_a_pinned_read_waits_for_a_standby_that_reached_the_epoch",),
    ),
    Mutant(
        "replicas-promoted-still-read", "pyclient/calibcert/replicas.py",
        "        if not recovering:\n",
        "        if False:\n",
        "a promoted standby (no longer in recovery) keeps serving reads",
        (REP + "test_a_promoted_standby_is_never_read_again",),
    ),
    Mutant(
        "replicas-stopped-standby-fails-lookup", "pyclient/calibcert/replicas.py",
        "                    if not _standby_failed(exc):\n",
        "                    if True:\n",
        "a standby that stopped makes the lookup fail instead of failing over",
        (REP + "test_a_stopped_standby_fails_over_with_a_log_line",),
    ),
    Mutant(
        "pgclient-copy-without-savepoint", "pyclient/calibcert/backends/postgres.py",
        "        self._scalar(\"SELECT calib.copy_collection(p_source",
        "        self._plain_scalar(\"SELECT calib.copy_collection(p_source",
        "copy_collection always goes the one-statement way, also inside a caller's"
        " transaction: a failed copy gets no savepoint and spoils the transaction",
        ("tests/test_behaviour_collections.py::test_copy_collection_errors" + PG,),
    ),
    Mutant(
        "pgclient-pooled-session-actor", "pyclient/calibcert/backends/postgres.py",
        "            if pooled:\n                self._local_actor",
        "            if False:\n                self._local_actor",
        "a pooled registry sets reason / user for the whole (shared) server session",
        (REP + "test_pooled_clients_sharing_one_server_connection_keep_their_own_reasons",
         REP + "test_psycopg_pool_connections_are_returned_without_our_settings"),
    ),
    Mutant(
        "pgclient-pooled-prepares", "pyclient/calibcert/backends/postgres.py",
        "        if pooled:\n            conn.prepare_threshold = None",
        "        if False:\n            conn.prepare_threshold = None",
        "a pooled registry lets psycopg prepare statements (PgBouncer < 1.21 mixes them up)",
        (REP + "test_pooled_clients_sharing_one_server_connection_keep_their_own_reasons",),
    ),
    # -- sql/sqlite/schema/guards.sql -------------------------------------------------------
    Mutant(
        "sqlite-guard-probe-first", "sql/sqlite/schema/guards.sql",
        """             AND c.begin_us < NEW.end_us
           ORDER BY c.begin_us DESC LIMIT 1) > NEW.begin_us;""",
        """             AND c.begin_us < NEW.end_us
           ORDER BY c.begin_us ASC LIMIT 1) > NEW.begin_us;""",
        "the overlap guard probes the first stored row of the key, not the last before the end",
        (GAPS + "test_certify_overlapping_the_latest_of_several_stored_rows_is_refused" + SQ,),
    ),
    Mutant(
        "sqlite-guard-adjacent", "sql/sqlite/schema/guards.sql",
        """             AND c.begin_us < NEW.end_us
           ORDER BY c.begin_us DESC LIMIT 1) > NEW.begin_us;""",
        """             AND c.begin_us <= NEW.end_us
           ORDER BY c.begin_us DESC LIMIT 1) > NEW.begin_us;""",
        "the overlap guard compares begin <= end (adjacent spans refused)",
        (BC + "test_certify_adjacent_spans_do_not_overlap" + SQ,),
    ),
    Mutant(
        "sqlite-guard-update-weak", "sql/sqlite/schema/guards.sql",
        """             AND c.begin_us < NEW.end_us
             AND NOT (c.collection_id = OLD.collection_id""",
        """             AND c.begin_us < NEW.begin_us
             AND NOT (c.collection_id = OLD.collection_id""",
        "the update guard misses stored rows that begin inside the new span",
        (GAPS + "test_raw_update_stretching_over_a_later_row_is_refused",),
    ),
    Mutant(
        "sqlite-no-dataset-delete-guard", "sql/sqlite/schema/guards.sql",
        """CREATE TRIGGER dataset_guard_delete BEFORE DELETE ON dataset
BEGIN
    SELECT RAISE(ABORT, 'certification_dataset_fkey')
    WHERE EXISTS (SELECT 1 FROM certification AS c WHERE c.dataset_id = OLD.dataset_id);
    SELECT RAISE(ABORT, 'tag_dataset_fkey')
    WHERE EXISTS (SELECT 1 FROM tag AS t WHERE t.dataset_id = OLD.dataset_id);
END;
""",
        "",
        "the guard trigger dataset_guard_delete is gone",
        (GUARDS + "test_raw_deletes_neither_orphan_nor_lose_children",),
    ),
    Mutant(
        "sqlite-remove-leaves-certifications", "sql/sqlite/schema/guards.sql",
        "    DELETE FROM certification WHERE collection_id = OLD.collection_id;\n",
        "",
        "removing a collection leaves its certifications (raw writers, foreign_keys off)",
        (GUARDS + "test_raw_deletes_neither_orphan_nor_lose_children",),
    ),
    # -- sq-writes (revision 0016): the rules re-expressed for speed ------------------------
    Mutant(
        "sqlite-guard-shrink-skip-grows", "sql/sqlite/schema/guards.sql",
        "          AND NEW.begin_us >= OLD.begin_us AND NEW.end_us <= OLD.end_us)",
        "          AND NEW.begin_us >= OLD.begin_us)",
        "the update guard skips its probe for a row whose end moves later (not a shrink)",
        (GAPS + "test_raw_update_stretching_over_a_later_row_is_refused",),
    ),
    Mutant(
        "sqlite-guard-shrink-skip-moves", "sql/sqlite/schema/guards.sql",
        "WHEN NOT (NEW.collection_id = OLD.collection_id AND NEW.data_id_key = OLD.data_id_key",
        "WHEN NOT (NEW.data_id_key = OLD.data_id_key",
        "the update guard skips its probe for a row moved into another collection",
        (SQV + "test_raw_update_moving_a_row_to_another_collection_is_probed",),
    ),
    Mutant(
        "sqlite-history-delete-always-aside", "sql/sqlite/schema/history.sql",
        "CREATE TRIGGER certification_history_delete AFTER DELETE ON certification\n"
        "WHEN (SELECT versions FROM change_context WHERE id = 1) IS NULL",
        "CREATE TRIGGER certification_history_delete AFTER DELETE ON certification\n"
        "WHEN (SELECT versions FROM change_context WHERE id = 1) IS NULL AND 0",
        "the certification delete trigger steps aside for every writer (raw deletes unrecorded)",
        (HSQ + "test_raw_sqlite_writers_are_recorded",),
    ),
    Mutant(
        "sqlite-certify-close-open-unnamed", "pyclient/calibcert/backends/sqlite/certify.py",
        "        self._name_operation()\n        self._conn.executemany(",
        "        self._conn.executemany(",
        "certify's close_open UPDATE runs before the lazily named operation is written",
        (SQV + "test_certify_names_its_operation_for_close_open",),
    ),
    Mutant(
        "sqlite-change-remembered-past-rollback",
        "pyclient/calibcert/backends/sqlite/connection.py",
        "    def _undo(self, outer: bool, savepoint: str) -> None:\n"
        "        self._forget_change()\n",
        "    def _undo(self, outer: bool, savepoint: str) -> None:\n",
        "a rolled-back savepoint leaves the backend naming a change whose row is gone",
        (SQV + "test_a_rolled_back_savepoint_takes_the_remembered_change_with_it",),
    ),
    Mutant(
        "sqlite-versions-flag-sticks", "pyclient/calibcert/backends/sqlite/epochs.py",
        "        self._context_call = saved[1]\n        self._name_operation()",
        "        self._context_call = (saved[1][0], self._context_now[1], saved[1][2])\n"
        "        self._name_operation()",
        "change_context.versions stays set after the call: later raw writes go unrecorded",
        (SQV + "test_raw_writers_around_a_statement_versions_call_are_recorded",),
    ),
    Mutant(
        "sqlite-versions-keep-own-rows", "pyclient/calibcert/backends/sqlite/versions.py",
        " AND c.created_change IS NOT :chg_\", p)",
        "\", p)",
        "per-statement versions also keep rows the same change created (nobody saw them)",
        (SQV + "test_statement_versions_equal_the_row_triggers",),
    ),
    Mutant(
        "sqlite-versions-successor-kept", "pyclient/calibcert/backends/sqlite/versions.py",
        "        if not successor and not fresh:",
        "        if False:",
        "a version whose successor a later delete of the same change removed still leads there",
        (SQV + "test_statement_versions_equal_the_row_triggers",
         SQV + "test_decertify_in_place_records_a_delete_and_inserts",),
    ),
    Mutant(
        "sqlite-versions-close-unstamped", "pyclient/calibcert/backends/sqlite/close_open_range.py",
        '"UPDATE certification SET end_us = :end, created_change = :chg_,"\n'
        '                    f" created_operation = :op_ WHERE {where}",',
        '"UPDATE certification SET end_us = :end"\n'
        '                    f" WHERE {where}",',
        "close_open_range by statement leaves the rows stamped with their old change",
        (SQV + "test_statement_versions_equal_the_row_triggers",),
    ),
    # -- sq-writes2 (revision 0017): decertify in place, one FROZEN probe per row -----------
    Mutant(
        "sqlite-decertify-in-place-as-update",
        "pyclient/calibcert/backends/sqlite/decertify.py",
        "self._versions_by_statement(n, always=True, checked_into=coll.id)",
        "self._versions_by_statement(n, checked_into=coll.id)",
        "decertify of few rows lets the update trigger record its shortened rows as updates",
        (SQV + "test_decertify_in_place_records_a_delete_and_inserts",),
    ),
    Mutant(
        "sqlite-decertify-in-place-unstamped",
        "pyclient/calibcert/backends/sqlite/decertify.py",
        '"UPDATE certification AS c SET end_us = :b, created_change = :chg,"\n'
        '                    " created_operation = :op FROM _hit AS h WHERE h.b < :b"',
        '"UPDATE certification AS c SET end_us = :b"\n'
        '                    " FROM _hit AS h WHERE h.b < :b"',
        "a row decertify shortens in place keeps its old creator (not a new certification)",
        (SQV + "test_decertify_in_place_records_a_delete_and_inserts",),
    ),
    Mutant(
        "sqlite-frozen-update-ignores-old", "sql/sqlite/schema/states.sql",
        "      AND (SELECT state FROM collection WHERE collection_id = OLD.collection_id)"
        " = 'FROZEN')",
        "      AND 0)",
        "plain sqlite3 may move a FROZEN collection's certification into another collection",
        (SQS + "test_plain_sqlite3_cannot_change_a_frozen_collection[move_certification_out]",),
    ),
    Mutant(
        "sqlite-copy-guard-trusts-the-stamp", "sql/sqlite/schema/guards.sql",
        "WHEN NEW.created_operation NOT IN ('copy_collection', 'decertify')\n"
        "  OR NEW.collection_id IS NOT (SELECT checked_into FROM change_context WHERE id = 1)\n",
        "WHEN NEW.created_operation NOT IN ('copy_collection', 'decertify')\n",
        "the insert guard skips every row stamped 'copy_collection', raw writers' included",
        (SQC + "test_raw_writers_around_a_copy_are_probed",),
    ),
    Mutant(
        "sqlite-copy-frozen-trusts-the-stamp", "sql/sqlite/schema/states.sql",
        "WHEN (NEW.created_operation NOT IN ('copy_collection', 'decertify')\n"
        "      OR NEW.collection_id IS NOT (SELECT checked_into FROM change_context WHERE id = 1))",
        "WHEN (NEW.created_operation NOT IN ('copy_collection', 'decertify'))",
        "the FROZEN insert guard lets any row stamped 'copy_collection' into a FROZEN collection",
        (SQC + "test_a_raw_insert_stamped_as_a_checked_into_a_frozen_collection_is_refused",),
    ),
    Mutant(
        "sqlite-copy-flag-sticks", "pyclient/calibcert/backends/sqlite/epochs.py",
        "        self._context_call = saved[1]\n        self._name_operation()",
        "        self._context_call = (*saved[1][:2], self._context_now[2])\n"
        "        self._name_operation()",
        "change_context.checked_into stays set after copy_collection: raw inserts go unprobed",
        (SQC + "test_raw_writers_around_a_copy_are_probed",),
    ),
    # -- pyclient/calibcert/backends/sqlite -----------------------------------------------------
    Mutant(
        "sqlite-decertify-split-half", "pyclient/calibcert/backends/sqlite/decertify.py",
        '" SELECT :cid, t, k, id, r, :e, e, :chg, :op FROM _hit WHERE b < :b AND e > :e",',
        '" SELECT :cid, t, k, id, r, :e, e, :chg, :op FROM _hit WHERE b < :b AND b >= :b",',
        "SQLite decertify forgets the second half of a split",
        (BC + "test_decertify_removes_shortens_and_splits" + SQ,),
    ),
    Mutant(
        "sqlite-close-range-boundary", "pyclient/calibcert/backends/sqlite/close_open_range.py",
        "f\" WHERE {where} AND begin_us >= :end\"",
        "f\" WHERE {where} AND begin_us > :end\"",
        "SQLite close_open_range accepts an end equal to an open range's begin",
        (BC + "test_close_open_range_refuses_end_not_after_begin" + SQ_AT,),
    ),
    Mutant(
        "sqlite-close-range-instant", "pyclient/calibcert/backends/sqlite/close_open_range.py",
        'f"UPDATE certification SET end_us = :end WHERE {where}"',
        'f"UPDATE certification SET end_us = :end + 1 WHERE {where}"',
        "SQLite close_open_range closes one microsecond after the given end",
        (BC + "test_close_open_range_closes_only_open_ones" + SQ,),
    ),
    Mutant(
        "sqlite-close-open-at-or-after", "pyclient/calibcert/backends/sqlite/certify.py",
        'return f"c.end_us = {MAX_US} AND c.begin_us < {fb}"',
        'return f"c.end_us = {MAX_US} AND c.begin_us <= {fb}"',
        "SQLite certify close_open also closes an open range beginning at the new begin",
        (BC + "test_certify_close_open_does_not_close_a_range_beginning_at_or_after" + SQ_SAME,),
    ),
    Mutant(
        "sqlite-find-ignores-ambiguity", "pyclient/calibcert/backends/sqlite/lookup.py",
        "            if ambiguous:\n                self._raise_ambiguous(",
        "            if False:\n                self._raise_ambiguous(",
        "SQLite find / find_many never raise for an ambiguous match",
        (BL + "test_find_ambiguous" + SQ,),
    ),
    Mutant(
        "sqlite-set-chain-cycle", "pyclient/calibcert/backends/sqlite/collections.py",
        "            if via is not None:\n",
        "            if False:\n",
        "SQLite set_chain stores a cycle",
        (BCO + "test_set_chain_refuses_self_cycle" + SQ,
         BCO + "test_set_chain_refuses_indirect_cycles" + SQ),
    ),
    Mutant(
        "sqlite-remove-chain-child", "pyclient/calibcert/backends/sqlite/collections.py",
        "            if parent is not None:\n",
        "            if False:\n",
        "SQLite remove_collection does not check that the collection is a chain's child",
        (BCO + "test_remove_chain_child_is_in_use" + SQ,),
    ),
    Mutant(
        "sqlite-copy-drops-open-ends", "pyclient/calibcert/backends/sqlite/collections.py",
        '" end_us, ?, ? FROM certification WHERE collection_id = ?",',
        '" end_us, ?, ? FROM certification WHERE collection_id = ?'
        ' AND end_us < 9223372036854775807",',
        "SQLite copy_collection drops certifications with an open end",
        (BCO + "test_copy_calibration_preserves_timespans_and_is_independent" + SQ,),
    ),
    Mutant(
        "sqlite-copy-forgets-doc", "pyclient/calibcert/backends/sqlite/collections.py",
        "(destination, src.type, src.doc if doc is None else doc)",
        "(destination, src.type, doc)",
        "SQLite copy_collection does not inherit the source's doc",
        (GAPS + "test_copy_collection_inherits_the_doc" + SQ,),
    ),
    Mutant(
        "sqlite-query-where-ignored", "pyclient/calibcert/backends/sqlite/datasets.py",
        "if where is None or all(",
        "if True or where is None or all(",
        "SQLite query_datasets ignores its where",
        (BD + "test_get_and_query_datasets" + SQ,),
    ),
    Mutant(
        "sqlite-tag-into-calibration", "pyclient/calibcert/backends/sqlite/tags.py",
        """            coll = self._collection(collection, ("TAGGED",))
            self._stage_ids(ids)
            self._resolve()
            self._check_change(coll, "tag")
            self._check_tag_clash(coll)""",
        """            coll = self._collection(collection, ("TAGGED", "CALIBRATION"))
            self._stage_ids(ids)
            self._resolve()
            self._check_change(coll, "tag")
            self._check_tag_clash(coll)""",
        "SQLite tag accepts a CALIBRATION collection",
        (BD + "test_tag_errors" + SQ,),
    ),
    # -- the shared client layer (registry.py, types.py) ----------------------------------------
    Mutant(
        "client-naive-time", "pyclient/calibcert/types.py",
        "if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:",
        "if False:",
        "a naive datetime is accepted (as local time)",
        (BI + "test_naive_lookup_and_bad_at_types" + SQ,),
    ),
    Mutant(
        "client-dimensions-repeat", "pyclient/calibcert/registry.py",
        "if len(set(dims)) != len(dims):",
        "if False:",
        "register_dataset_type accepts a repeated dimension",
        (BD + "test_register_dataset_type_bad_arguments" + SQ,),
    ),
    Mutant(
        "client-doc-nul", "pyclient/calibcert/registry.py",
        'if doc is not None and (not isinstance(doc, str) or "\\x00" in doc):',
        "if doc is not None and not isinstance(doc, str):",
        "a collection doc with NUL is accepted",
        (BCO + "test_register_collection_bad_doc" + SQ,),
    ),
    Mutant(
        "client-ids-count", "pyclient/calibcert/registry.py",
        "if id_list is not None and len(id_list) != len(values):",
        "if False:",
        "insert_datasets accepts a different number of ids and data IDs",
        (GAPS + "test_insert_datasets_ids_count_is_checked" + SQ,),
    ),
    Mutant(
        "client-chain-children-string", "pyclient/calibcert/registry.py",
        "        if isinstance(children, str):\n",
        "        if False:\n",
        "set_chain takes a string of children as its characters",
        (GAPS + "test_set_chain_refuses_a_string_of_children" + SQ,),
    ),

    # -- collection states and writer lists (revision 0012) --------------------------------
    Mutant(
        "pg-frozen-not-checked", "sql/functions/_check_change.sql",
        "    IF v_coll.state = 'FROZEN' THEN\n        IF NOT",
        "    IF false THEN\n        IF NOT",
        "calib._check_change lets every operation into a FROZEN collection (the triggers"
        " still refuse the rows, without the operation's name)",
        (BS + "test_state_allows_or_refuses_each_operation[postgresql-in-transaction-FROZEN"
         "-decertify]",),
    ),
    Mutant(
        "pg-append-only-allows-decertify", "sql/functions/_check_change.sql",
        "IF p_operation IN ('decertify', 'untag', 'remove_collection', 'set_chain') THEN",
        "IF p_operation IN ('untag', 'remove_collection', 'set_chain') THEN",
        "an APPEND_ONLY collection accepts decertify",
        (BS + "test_state_allows_or_refuses_each_operation[postgresql-in-transaction-"
         "APPEND_ONLY-decertify]",),
    ),
    Mutant(
        "pg-append-only-no-begin-rule", "sql/functions/_check_change.sql",
        "        IF p_keys IS NOT NULL THEN",
        "        IF false THEN",
        "an APPEND_ONLY collection accepts a certification before the latest begin",
        (BS + "test_state_allows_or_refuses_each_operation[postgresql-in-transaction-"
         "APPEND_ONLY-certify-before-latest]",),
    ),
    Mutant(
        "pg-append-only-begin-strict", "sql/functions/_check_change.sql",
        "WHERE coalesce(u.b, '-infinity') < l.latest",
        "WHERE coalesce(u.b, '-infinity') <= l.latest",
        "APPEND_ONLY refuses a begin equal to the latest (the contract says at or after)",
        (BS + "test_append_only_begin_rule_names_the_key_and_both_begins" + PG,),
    ),
    Mutant(
        "pg-writers-not-checked", "sql/functions/_check_change.sql",
        "    IF v_coll.writers IS NOT NULL THEN",
        "    IF false THEN",
        "a collection's writer list is ignored",
        (PGS + "test_writers_are_checked_through_intermediate_roles",),
    ),
    Mutant(
        "pg-caller-is-session-user", "sql/functions/_caller.sql",
        "    RETURN CASE WHEN current_setting('role') = 'none' THEN session_user::text",
        "    RETURN CASE WHEN true THEN session_user::text",
        "the writer check ignores SET ROLE (checks the login)",
        (PGS + "test_set_role_is_the_identity_checked",),
    ),
    Mutant(
        "pg-certify-fast-path-ignores-state", "sql/functions/certify.sql",
        "          AND c.state = 'OPEN' AND c.writers IS NULL\n",
        "",
        "certify's fast path writes into a collection with a state or writer list",
        (PGS + "test_writers_are_checked_through_intermediate_roles",),
    ),
    Mutant(
        "pg-frozen-trigger-ignores-inserts", "sql/functions/_frozen_guard.sql",
        "        IF TG_OP IN ('INSERT', 'UPDATE') THEN",
        "        IF false THEN",
        "raw INSERTs into a FROZEN collection's rows pass",
        (PGS + "test_raw_sql_cannot_change_a_frozen_collection[insert_certification"
         "-calib_owner]",),
    ),
    Mutant(
        "pg-frozen-trigger-ignores-doc", "sql/functions/_frozen_guard.sql",
        "OR (NEW.collection_id, NEW.name, NEW.type, NEW.doc)",
        "OR (NEW.collection_id, NEW.name, NEW.type, OLD.doc)",
        "a raw UPDATE may re-document a FROZEN collection",
        (PGS + "test_raw_sql_cannot_change_a_frozen_collection[document_collection"
         "-calib_owner]",),
    ),
    Mutant(
        "sqlite-frozen-not-checked", "pyclient/calibcert/backends/sqlite/states.py",
        'if coll.state == "FROZEN" and not (',
        "if False and not (",
        "the SQLite backend lets every operation into a FROZEN collection",
        (BS + "test_state_allows_or_refuses_each_operation[sqlite-FROZEN-tag]",),
    ),
    Mutant(
        "sqlite-append-only-allows-untag", "pyclient/calibcert/backends/sqlite/states.py",
        'APPEND_ONLY_REFUSED = ("decertify", "untag", "remove_collection", "set_chain")',
        'APPEND_ONLY_REFUSED = ("decertify", "remove_collection", "set_chain")',
        "an APPEND_ONLY collection accepts untag on SQLite",
        (BS + "test_state_allows_or_refuses_each_operation[sqlite-APPEND_ONLY-untag]",),
    ),
    Mutant(
        "sqlite-append-only-begin-strict", "pyclient/calibcert/backends/sqlite/states.py",
        '" WHERE r.b < l.latest ORDER BY r.ord LIMIT 1"',
        '" WHERE r.b <= l.latest ORDER BY r.ord LIMIT 1"',
        "APPEND_ONLY refuses a begin equal to the latest on SQLite",
        (BS + "test_append_only_begin_rule_names_the_key_and_both_begins" + SQ,),
    ),
    Mutant(
        "sqlite-certify-fast-path-ignores-state", "pyclient/calibcert/backends/sqlite/certify.py",
        '            if (len(ids) <= FEW and coll.state == "OPEN"\n'
        "                    and self._certify_few(coll, ids, [b] * len(ids), e, close_open)):",
        "            if (len(ids) <= FEW\n"
        "                    and self._certify_few(coll, ids, [b] * len(ids), e, close_open)):",
        "SQLite's few-dataset certify skips the state checks",
        (BS + "test_state_allows_or_refuses_each_operation[sqlite-APPEND_ONLY-certify"
         "-before-latest]",),
    ),
    Mutant(
        "sqlite-frozen-trigger-ignores-deletes", "sql/sqlite/schema/states.sql",
        "CREATE TRIGGER certification_frozen_delete BEFORE DELETE ON certification\n"
        "WHEN (SELECT state FROM collection WHERE collection_id = OLD.collection_id) = 'FROZEN'",
        "CREATE TRIGGER certification_frozen_delete BEFORE DELETE ON certification\n"
        "WHEN (SELECT state FROM collection WHERE collection_id = OLD.collection_id) = 'NONE'",
        "plain sqlite3 may delete a FROZEN collection's certifications",
        (SQS + "test_plain_sqlite3_cannot_change_a_frozen_collection[delete_certification]",),
    ),
    # -- bounded waits and honest retries (revision 0012, README "Locks, waits and retries")
    Mutant(
        "pg-wait-zero-means-forever", "sql/functions/_bound_waits.sql",
        "least(greatest(v_ms[1], 1), ",
        "least(CASE WHEN v_ms[1] > 0 THEN v_ms[1] END, ",
        "calib.lock_timeout = '0' means wait (almost) forever instead of do not wait",
        (WAITS + "test_calib_lock_timeout_zero_means_do_not_wait[new collection name]",),
    ),
    Mutant(
        "pg-wait-session-bound-wins", "sql/functions/_bound_waits.sql",
        "least(greatest(v_ms[1], 1), CASE WHEN v_ms[2] > 0 THEN v_ms[2] END, 2147483647)",
        "coalesce(CASE WHEN v_ms[2] > 0 THEN v_ms[2] END, greatest(v_ms[1], 1))",
        "a session's longer lock_timeout lengthens the wait past calib.lock_timeout",
        (WAITS + "test_the_shorter_of_the_two_bounds_applies",),
    ),
    Mutant(
        "pg-wait-new-name-unbounded", "sql/functions/register_collection.sql",
        "    v_old := calib._bound_waits();",
        "    v_old := current_setting('lock_timeout');",
        "the wait for a new collection name another transaction creates has no bound",
        (WAITS + "test_every_wait_ends_after_calib_lock_timeout_naming_what_it_waited_for"
         "[new collection name]",),
    ),
    Mutant(
        "pg-wait-bound-not-restored", "sql/functions/register_dataset_type.sql",
        "    PERFORM set_config('lock_timeout', v_old, true);\n",
        "",
        "register_dataset_type leaves its bound as the transaction's lock_timeout",
        (WAITS + "test_waiting_calls_leave_the_sessions_lock_timeout[0]",),
    ),
    Mutant(
        "pg-wait-error-without-what", "sql/functions/_lock_timeout.sql",
        "'kind', 'lock_timeout', 'wait', p_wait,",
        "'kind', 'lock_timeout',",
        "the lock timeout does not say what kind of wait ran out",
        (WAITS + "test_every_wait_ends_after_calib_lock_timeout_naming_what_it_waited_for"
         "[new data ID]",),
    ),
    Mutant(
        "pg-wait-data-id-unbounded", "sql/functions/insert_datasets.sql",
        "    EXCEPTION WHEN lock_not_available THEN\n        IF v_step = 'data_id' THEN",
        "    EXCEPTION WHEN division_by_zero THEN\n        IF v_step = 'data_id' THEN",
        "the wait for a new data ID ends with PostgreSQL's bare lock timeout, no facts",
        (WAITS + "test_every_wait_ends_after_calib_lock_timeout_naming_what_it_waited_for"
         "[new data ID]",),
    ),
    Mutant(
        "client-single-call-not-retried", "pyclient/calibcert/retry.py",
        "CALL_ATTEMPTS = 4", "CALL_ATTEMPTS = 1",
        "a single call chosen as deadlock victim fails instead of running again",
        (RETRIES + "test_a_single_call_chosen_as_deadlock_victim_is_retried_transparently",),
    ),
    Mutant(
        "client-transaction-block-not-retried", "pyclient/calibcert/retry.py",
        "if isinstance(exc, TransactionConflictError) and self.number <= self._owner.retries:",
        "if False:",
        "transaction(retries=N) raises the deadlock instead of running the block again",
        (RETRIES + "test_a_deadlocked_transaction_block_runs_again_and_its_effects_appear_once",),
    ),
    Mutant(
        "client-retry-inside-callers-transaction", "pyclient/calibcert/backends/postgres.py",
        "        if self._standalone():\n            # A transaction of its own: a deadlock",
        "        if True:\n            # A transaction of its own: a deadlock",
        "a call inside the caller's transaction is retried alone after a deadlock",
        (RETRIES + "test_a_single_call_inside_the_callers_transaction_is_not_retried",),
    ),
    # -- the integrity check and the statistics (revision 0012) ---------------------------
    Mutant(
        "pg-integrity-overlap-ignores-open-ends", "sql/functions/check_integrity.sql",
        "max(coalesce(upper(ce.validity), 'infinity')) OVER (",
        "max(upper(ce.validity)) OVER (",
        "check_integrity misses an overlap with an open-ended certification",
        (CORRUPT + "[postgresql-certification_overlap]",),
    ),
    Mutant(
        "sqlite-integrity-overlap-pairing", "sql/sqlite/functions/check_integrity.sql",
        "AND a.begin_us < b.begin_us AND a.end_us > b.begin_us",
        "AND a.begin_us < b.begin_us AND a.end_us < b.begin_us",
        "SQLite's check pairs an overlapping certification with those it does not overlap",
        (CORRUPT + "[sqlite-certification_overlap]",),
    ),
    # -- the Butler's export files (issue 19) ------------------------------------------------
    Mutant(
        "butler-leap-second-shifted", "pyclient/calibcert/butler_format.py",
        '    if s == "60":\n',
        '    if s == "61":\n',
        "a TAI instant inside a leap second is imported as some other UTC instant",
        ("tests/test_butler_format.py::"
         "test_every_microsecond_around_a_leap_second_survives_the_round_trip",),
    ),
    Mutant(
        "butler-nanoseconds-truncated", "pyclient/calibcert/butler_format.py",
        "    if nanos % 1000:\n",
        "    if nanos % 1000 and False:\n",
        "a TAI time with nanoseconds is silently truncated to microseconds",
        ("tests/test_butler_format.py::"
         "test_a_tai_time_calibcert_cannot_hold_exactly_is_refused",),
    ),
    Mutant(
        "butler-implied-dimensions-kept", "pyclient/calibcert/butler_format.py",
        '        t["dimensions"] = [x for x in t["dimensions"] if x in carried]\n',
        "",
        "a Butler dataset type keeps its implied dimensions (band): its data IDs, which"
        " carry only the required ones, no longer match it",
        ("tests/test_butler_format.py::test_implied_dimensions_are_not_part_of_the_key",),
    ),
    Mutant(
        "butler-unknown-dataset-accepted", "pyclient/calibcert/butler_format.py",
        "        if dataset_id not in datasets:\n",
        "        if False:\n",
        "an association naming a dataset the export does not hold is accepted",
        ("tests/test_butler_format.py::test_a_malformed_export_is_refused_naming_the_element",),
    ),
    Mutant(
        "sqlite-certify-nothing-takes-an-epoch", "pyclient/calibcert/backends/sqlite/certify.py",
        "        if not ids:\n"
        "            return True  # nothing to write: no change opened, so no epoch (as on"
        " PostgreSQL)\n",
        "",
        "a certify of no dataset opens a change on SQLite: an epoch that changed nothing,"
        " and the backends' epochs drift apart",
        (BH + "test_epochs_count_committed_changes_only" + SQ,),
    ),
    Mutant(
        "pg-set-chain-same-takes-an-epoch", "sql/functions/set_chain.sql",
        "    IF v_ids IS DISTINCT FROM ARRAY(",
        "    IF v_ids IS NOT NULL OR v_ids IS DISTINCT FROM ARRAY(",
        "set_chain rewrites an unchanged chain: an epoch that changed nothing",
        (BH + "test_epochs_count_committed_changes_only" + PG_STANDALONE,),
    ),
    Mutant(
        "sqlite-set-chain-same-takes-an-epoch", "pyclient/calibcert/backends/sqlite/collections.py",
        "            if ids != now:",
        "            if True:",
        "SQLite's set_chain rewrites an unchanged chain: an epoch that changed nothing",
        (BH + "test_epochs_count_committed_changes_only" + SQ,),
    ),
    # -- SQLite revert meets retention and snapshots (revision 0015) -------------------------
    Mutant(
        "sqlite-revert-below-horizon", "pyclient/calibcert/backends/sqlite/revert.py",
        "                self._check_horizon(epoch)\n",
        "",
        "SQLite reverts a change whose versions a prune dropped (it restores nothing, or"
        " half of it)",
        (BRET + "test_a_revert_below_the_horizon_is_refused" + SQ_ONLY,),
    ),
    Mutant(
        "sqlite-revert-checks-snapshot-state", "pyclient/calibcert/backends/sqlite/revert.py",
        '                           f" ({_CONTENT}) AND collection_id NOT IN"\n'
        '                           " (SELECT collection_id FROM snapshot)'
        ' ORDER BY collection_id", p):',
        '                           f" ({_CONTENT}) ORDER BY collection_id", p):',
        "SQLite refuses to revert a snapshot's removal because the snapshot is FROZEN",
        (BSNAP + "test_a_removed_snapshot_comes_back_with_a_revert" + SQ_ONLY,),
    ),
    # -- the integrity check of history (revision 0015) -------------------------------------
    Mutant(
        "pg-integrity-history-overlap-wrong-bound", "sql/functions/check_integrity.sql",
        "AND b.created < coalesce(a.removed, 'Infinity'::numeric)",
        "AND b.created < coalesce(a.created, 'Infinity'::numeric)",
        "check_integrity ends a closed version's visibility where it began: two versions"
        " visible together from one epoch on are not seen to overlap",
        (CORRUPT + "[postgresql-history_overlap]",),
    ),
    Mutant(
        "sqlite-integrity-history-overlap-wrong-bound", "sql/sqlite/functions/check_integrity.sql",
        "AND b.created_change < a.removed_change",
        "AND b.created_change < a.created_change",
        "SQLite's check ends a closed version's visibility where it began",
        (CORRUPT + "[sqlite-history_overlap]",),
    ),
    Mutant(
        "pg-integrity-history-order-strict", "sql/functions/check_integrity.sql",
        "WHERE rc.epoch <= cc.epoch",
        "WHERE rc.epoch < cc.epoch",
        "check_integrity accepts a version removed by the change that created it (never"
        " kept: nobody saw it)",
        (CORRUPT + "[postgresql-history_version_order]",),
    ),
    Mutant(
        "sqlite-integrity-history-order-strict", "sql/sqlite/functions/check_integrity.sql",
        "WHERE v.removed_change <= v.created_change",
        "WHERE v.removed_change < v.created_change",
        "SQLite's check accepts a version removed by the change that created it",
        (CORRUPT + "[sqlite-history_version_order]",),
    ),
    Mutant(
        "pg-integrity-number-is-integer", "sql/functions/check_integrity.sql",
        "AND e.value::text !~ '[.eE]' THEN 'integer'",
        "THEN 'integer'",
        "check_integrity takes a fractional data-ID value for an integer",
        (CORRUPT + "[postgresql-dimension_value_type_number]",),
    ),
    Mutant(
        "sqlite-integrity-compares-stale-paths", "sql/sqlite/functions/check_integrity.sql",
        "WHERE st.members IS NOT fr.members\n  AND (SELECT stale FROM search_path_state"
        " WHERE id = 1) = 0;",
        "WHERE st.members IS NOT fr.members;",
        "SQLite's check reports stored paths a raw chain change marked stale (lookups walk"
        " the chains then: not a problem)",
        (HEALTH + "test_a_raw_chain_change_within_the_rules_is_healthy[sqlite]",),
    ),
    Mutant(
        "pg-stats-open-ended-counts-unbounded-begins", "sql/functions/collection_stats.sql",
        "count(*) FILTER (WHERE upper_inf(x.validity)) AS open_ended",
        "count(*) FILTER (WHERE upper_inf(x.validity) OR lower_inf(x.validity)) AS open_ended",
        "collection_stats counts a certification unbounded below as open-ended",
        (HEALTH + "test_collection_stats_match_counts_computed_from_plain_reads"
         + PG,),
    ),
    Mutant(
        "sqlite-stats-state-always-open", "sql/sqlite/functions/collection_stats.sql",
        "SELECT c.name, c.type, c.state,",
        "SELECT c.name, c.type, 'OPEN' AS state,",
        "collection_stats on SQLite reports every collection as OPEN",
        (HEALTH + "test_collection_stats_match_counts_computed_from_plain_reads"
         + SQ,),
    ),
    # -- history (revision 0014) ---------------------------------------------------------
    Mutant(
        "pg-epoch-taken-at-first-write", "sql/functions/_stamp_epoch.sql",
        "    v_epoch := nextval('calib.epoch_seq');\n"
        "    UPDATE calib.change SET epoch = v_epoch,",
        "    UPDATE calib.change SET epoch = NEW.change_id,",
        "a change's epoch is the number it took at its first write (its change_id), not one"
        " taken at COMMIT: a writer that commits late lands under an epoch already pinned",
        (HIST + "test_a_pinned_epoch_never_changes_when_an_earlier_writer_commits_later",),
    ),
    Mutant(
        "pg-visible-removal-boundary", "sql/functions/_visible.sql",
        "AND r.epoch OPERATOR(pg_catalog.<=) p_epoch)",
        "AND r.epoch OPERATOR(pg_catalog.<) p_epoch)",
        "a version removed by the change of epoch E is still visible as of E",
        (HIST + "test_as_of_replays_every_epoch",),
    ),
    Mutant(
        "pg-visible-creation-boundary", "sql/functions/_visible.sql",
        "AND c.epoch OPERATOR(pg_catalog.<=) p_epoch)",
        "AND c.epoch OPERATOR(pg_catalog.<) p_epoch)",
        "a version created by the change of epoch E is not visible as of E",
        (HIST + "test_as_of_replays_every_epoch",),
    ),
    Mutant(
        "pg-operation-not-recorded", "sql/functions/_current_operation.sql",
        "                THEN split_part(v_label, ' ', 1) ELSE 'sql' END;",
        "                THEN 'sql' ELSE 'sql' END;",
        "versions record every change as raw SQL instead of the function that made it",
        (HIST + "test_history_records_operations_actor_and_reason",),
    ),
    # pg-writes (revision 0016): the helpers every write calls, now PL/pgSQL
    Mutant(
        "pg-operation-label-without-statement", "sql/functions/_operation.sql",
        "p_name || ' ' || extract(epoch FROM statement_timestamp())::text, true);",
        "p_name, true);",
        "the operation's name is kept without its statement's start: every version is"
        " recorded as raw SQL",
        (HIST + "test_history_records_operations_actor_and_reason",),
    ),
    Mutant(
        "pg-data-id-keys-ignored", "sql/functions/_data_id_keys.sql",
        "    IF p_data_ids IS NULL THEN\n",
        "    IF true THEN\n",
        "decertify and close_open_range ignore the data IDs they are given (every key)",
        (BC + "test_decertify_filters_by_data_id_and_type" + PG,),
    ),
    Mutant(
        "pg-forbidden-character-never-found", "sql/functions/_forbidden_character.sql",
        "    IF m IS NULL THEN\n",
        "    IF true THEN\n",
        "names and data-ID values may hold control and format characters on PostgreSQL",
        ("tests/test_names_and_values.py::test_python_and_sql_refuse_the_same_characters",),
    ),
    Mutant(
        "pg-change-borrowed-from-another-transaction", "sql/functions/_change.sql",
        "WHERE c.change_id = v_text::bigint AND c.xid = pg_current_xact_id();",
        "WHERE c.change_id = v_text::bigint;",
        "a caller who sets calib._change by hand writes under another transaction's change",
        (HIST + "test_one_change_per_transaction_and_no_borrowed_change",),
    ),
    Mutant(
        "pg-certification-change-borrowed", "sql/functions/_certification_statement.sql",
        "AND c.xid = pg_current_xact_id())) THEN",
        ")) THEN",
        "a caller who sets calib._change by hand dates its certifications into another"
        " transaction's change",
        (HIST + "test_one_change_per_transaction_and_no_borrowed_change",),
    ),
    Mutant(
        "pg-raw-certification-not-stamped", "sql/functions/_stamp_row.sql",
        "    NEW.created_change := calib._change();\n", "",
        "a raw INSERT keeps the change it names, a raw UPDATE the old one: the past changes",
        (HIST + "test_raw_sql_naming_its_own_change_or_none_is_recorded_as_this_change",),
    ),
    Mutant(
        "pg-closed-certification-versions-lost", "sql/functions/_record_versions.sql",
        "            FROM old_rows AS o WHERE o.created_change <> v_change;",
        "            FROM old_rows AS o WHERE false;",
        "a decertified or shortened certification leaves no closed version: as-of reads"
        " forget it",
        (HIST + "test_as_of_replays_every_epoch",),
    ),
    Mutant(
        "pg-past-chain-order-reversed", "sql/functions/_search_path_as_of.sql",
        "SELECT row_number() OVER (ORDER BY f.path), c.collection_id, c.type, c.name",
        "SELECT row_number() OVER (ORDER BY f.path DESC), c.collection_id, c.type, c.name",
        "as-of lookups search a chain's members in reverse order",
        (HIST + "test_as_of_replays_every_epoch",),
    ),
    # -- retention and request ids (issue 16, items 8 and 11) --------------------------------
    Mutant(
        "pg-prune-drops-the-horizon-epoch", "sql/functions/prune_history.sql",
        "WHERE c.epoch < p_before);",
        "WHERE c.epoch <= p_before);",
        "prune_history also drops what the change at the horizon epoch removed: history since"
        " the horizon loses its removals",
        (BRET + PRUNE_ALL + PG_STANDALONE,),
    ),
    Mutant(
        "pg-prune-drops-a-referenced-change", "sql/functions/prune_history.sql",
        "      AND NOT EXISTS (SELECT FROM calib.certification AS x"
        " WHERE x.created_change = c.change_id)\n",
        "",
        "prune_history drops the change that created a current certification: as-of reads"
        " lose it",
        (BRET + PRUNE_ALL + PG_STANDALONE,),
    ),
    Mutant(
        "pg-prune-horizon-not-raised", "sql/functions/prune_history.sql",
        "    UPDATE calib.history_horizon SET earliest_epoch = p_before,"
        " pruned_at = clock_timestamp();",
        "",
        "prune_history drops history but leaves the horizon: pruned epochs answer wrongly",
        (BRET + PRUNE_ALL + PG_STANDALONE,),
    ),
    Mutant(
        "pg-as-of-below-the-horizon-answered", "sql/functions/_as_of.sql",
        "    IF p_epoch < v_horizon THEN",
        "    IF false THEN",
        "as-of reads below the history horizon answer from what is left instead of failing",
        (BRET + PRUNE_ALL + PG_STANDALONE,),
    ),
    Mutant(
        "pg-history-below-the-horizon-answered", "sql/functions/history.sql",
        "    IF p_since < v_horizon THEN",
        "    IF false THEN",
        "history since an epoch below the horizon answers with what is left",
        (BRET + PRUNE_ALL + PG_STANDALONE,),
    ),
    Mutant(
        "pg-request-id-not-claimed", "sql/functions/_request.sql",
        "                UPDATE calib.change SET request_id = v_id"
        " WHERE change_id = v_mine::bigint;",
        "                PERFORM calib._change();",
        "a request id is not recorded: a retried certify conflicts with its own first run",
        (BRET + "test_a_lost_acknowledgement_retried_returns_the_same_result" + PG_STANDALONE,),
    ),
    Mutant(
        "pg-request-replays-the-wrong-call", "sql/functions/_request.sql",
        "    v_step := v_change.results -> v_n;",
        "    v_step := v_change.results -> 0;",
        "every call of a retried transaction returns the first call's result",
        (BRET + "test_a_retried_transaction_replays_its_calls_in_order" + PG_STANDALONE,),
    ),
    Mutant(
        "pg-request-result-not-recorded", "sql/functions/_request_result.sql",
        "AND c.request_id = v_id;",
        "AND false;",
        "a request's results are not recorded: its retry cannot return them",
        (BRET + "test_a_lost_acknowledgement_retried_returns_the_same_result" + PG_STANDALONE,),
    ),
    Mutant(
        "pg-request-id-of-another-role-replayed", "sql/functions/_request.sql",
        "    IF v_change.db_role IS DISTINCT FROM calib._caller() THEN",
        "    IF false THEN",
        "another role's request id replays that role's result instead of being refused",
        (RET + "test_another_roles_request_id_is_refused_without_its_result",),
    ),
    Mutant(
        "pg-request-id-set-late-accepted", "sql/functions/_request.sql",
        "                IF v_change.request_id IS DISTINCT FROM v_id THEN",
        "                IF false THEN",
        "a request id set after the transaction's first change is accepted (its retry"
        " cannot match the calls)",
        (RET + "test_a_request_id_set_late_is_refused",),
    ),
    # -- retention and request ids on SQLite (revision 0015) ------------------------------
    Mutant(
        "sqlite-prune-drops-the-horizon-epoch", SQ_PRUNE,
        'f"DELETE FROM {table} WHERE removed_change < ?"',
        'f"DELETE FROM {table} WHERE removed_change <= ?"',
        "prune_history on SQLite also drops what the change at the horizon epoch removed",
        (BRET + PRUNE_ALL + SQ,),
    ),
    Mutant(
        "sqlite-prune-drops-a-referenced-change", SQ_PRUNE,
        '["SELECT created_change FROM certification"]',
        '["SELECT NULL WHERE 0"]',
        "prune_history on SQLite drops the change that created a current certification",
        (BRET + PRUNE_ALL + SQ,),
    ),
    Mutant(
        "sqlite-prune-keeps-every-change", SQ_PRUNE,
        '" WHERE removed_change IS NOT NULL"',
        '""',
        "prune_history on SQLite lets a NULL into its NOT IN list: no change row is dropped",
        (BRET + PRUNE_ALL + SQ,),
    ),
    Mutant(
        "sqlite-prune-horizon-not-raised", SQ_PRUNE,
        '"UPDATE history_horizon SET earliest_epoch = ?, pruned_at = ? WHERE only_row = 1"',
        '"UPDATE history_horizon SET pruned_at = ? WHERE ? AND only_row = 1"',
        "prune_history on SQLite drops history but leaves the horizon",
        (BRET + PRUNE_ALL + SQ,),
    ),
    Mutant(
        "sqlite-as-of-below-the-horizon-answered", "pyclient/calibcert/backends/sqlite/epochs.py",
        "        self._check_horizon(epoch)\n        return epoch\n",
        "        return epoch\n",
        "as-of reads on SQLite below the history horizon answer from what is left",
        (BRET + PRUNE_ALL + SQ,),
    ),
    Mutant(
        "sqlite-history-below-the-horizon-answered", SQ_HISTORY,
        "                self._check_horizon(since)  # type: ignore[attr-defined]\n",
        "                pass\n",
        "history since an epoch below the horizon answers on SQLite with what is left",
        (BRET + PRUNE_ALL + SQ,),
    ),
    Mutant(
        "sqlite-history-shows-pruned-changes", SQ_HISTORY,
        "                continue  # what is left of pruned changes\n",
        "                pass\n",
        "history on SQLite shows the rows left of changes below the horizon",
        (BRET + PRUNE_ALL + SQ,),
    ),
    Mutant(
        "sqlite-horizon-moves-back-raw", "sql/sqlite/schema/retention.sql",
        "WHEN NEW.earliest_epoch < OLD.earliest_epoch OR NEW.only_row IS NOT OLD.only_row",
        "WHEN NEW.only_row IS NOT OLD.only_row",
        "a raw sqlite3 writer moves the history horizon back: pruned epochs answer again",
        (SQRET + "test_raw_writers_cannot_move_the_horizon_back",),
    ),
    Mutant(
        "sqlite-request-id-not-claimed", SQ_REQUEST,
        '"UPDATE change SET request_id = ? WHERE change_id = ?"',
        '"UPDATE change SET request_id = NULL WHERE ? AND change_id = ?"',
        "a request id is not recorded on SQLite: a retried certify conflicts with its first run",
        (BRET + "test_a_lost_acknowledgement_retried_returns_the_same_result" + SQ,),
    ),
    Mutant(
        "sqlite-request-replays-the-wrong-call", SQ_REQUEST,
        "step = steps[n] if n < len(steps) else None",
        "step = steps[0] if n < len(steps) else None",
        "every call of a retried transaction returns the first call's result on SQLite",
        (BRET + "test_a_retried_transaction_replays_its_calls_in_order" + SQ,),
    ),
    Mutant(
        "sqlite-request-result-not-recorded", SQ_REQUEST,
        '" WHERE open = 1 AND request_id = ?"',
        '" WHERE open = 1 AND request_id = ? AND 0"',
        "a request's results are not recorded on SQLite: its retry cannot return them",
        (BRET + "test_a_lost_acknowledgement_retried_returns_the_same_result" + SQ,),
    ),
    Mutant(
        "sqlite-request-id-of-another-user-replayed", SQ_REQUEST,
        "            if held[1] != _os_user():",
        "            if False:",
        "another user's request id replays that user's result on SQLite instead of failing",
        (SQRET + "test_another_users_request_id_is_refused_without_its_result",),
    ),
    Mutant(
        "sqlite-request-id-set-late-accepted", SQ_REQUEST,
        "                if own[1] != rid:",
        "                if False:",
        "a request whose transaction changed something before its first call is accepted",
        (SQRET + "test_a_request_after_a_raw_write_in_its_transaction_is_late",),
    ),
    Mutant(
        "sqlite-request-replay-position-not-undone", SQ_REQUEST,
        "            if self._request_id is not None:\n"
        "                self._replay_call = position\n",
        "            pass\n",
        "a replayed call undone with its nested transaction still moves the replay on",
        (BRET + "test_a_failed_call_of_a_request_records_nothing" + SQ,),
    ),
    Mutant(
        "sqlite-request-id-outlives-its-transaction", SQ_REQUEST,
        "                    self._request_id = self._replay_call = None\n",
        "                    self._replay_call = None\n",
        "the request id stays set after its transaction: the next call replays it",
        (BRET + "test_request_id_rules" + SQ,),
    ),
    # -- revert (revision 0014, README "Revert") -------------------------------------------
    Mutant(
        "pg-revert-changed-row-unchecked", "sql/functions/_revert_apply.sql",
        "    SELECT v.* INTO v_bad FROM calib.certification_version AS v\n"
        "    WHERE v.created_change = p_change ORDER BY v.removed_change LIMIT 1;",
        "    SELECT v.* INTO v_bad FROM calib.certification_version AS v\n"
        "    WHERE false ORDER BY v.removed_change LIMIT 1;",
        "a revert does not notice that a certification the change created was changed since",
        (BREV + "test_a_certification_changed_since" + PG_STANDALONE,),
    ),
    Mutant(
        "pg-revert-checks-before-locking", "sql/functions/_revert_apply.sql",
        "        IF calib._lock_collections(v_ids) IS NULL THEN END IF;",
        "        NULL;",
        "a revert checks without the collection locks: a decertify in flight is missed",
        (REV + "test_a_revert_waits_for_a_decertify_in_flight_and_reports_it",),
    ),
    Mutant(
        "pg-revert-dataset-in-use-unchecked", "sql/functions/_revert_apply.sql",
        "    WHERE v.created_change = p_change AND v.removed_change IS NULL\n"
        "    ORDER BY v.dataset_id LIMIT 1;",
        "    WHERE false\n    ORDER BY v.dataset_id LIMIT 1;",
        "a revert removes a dataset that later certifications use",
        (BREV + "test_a_dataset_or_collection_in_use_since" + PG_STANDALONE,),
    ),
    Mutant(
        "pg-revert-occupied-tag-unchecked", "sql/functions/_revert_apply.sql",
        "    WHERE v.removed_change = p_change ORDER BY v.collection_id, v.data_id_key LIMIT 1;",
        "    WHERE false ORDER BY v.collection_id, v.data_id_key LIMIT 1;",
        "a revert restores a tag whose place a later tag took",
        (BREV + "test_a_place_taken_since" + PG_STANDALONE,),
    ),
    Mutant(
        "pg-revert-cycle-unchecked", "sql/functions/_revert_apply.sql",
        "    WHERE r.collection_id = r.start_id ORDER BY c.name LIMIT 1;",
        "    WHERE false ORDER BY c.name LIMIT 1;",
        "a revert restores a chain position that closes a loop (only the search-path trigger"
        " stops it, with another error)",
        (BREV + "test_a_restored_chain_that_would_make_a_cycle" + PG_STANDALONE,),
    ),
    Mutant(
        "pg-revert-ignores-states", "sql/functions/_revert_apply.sql",
        "        IF calib._check_change(v_id, 'revert') IS NULL THEN END IF;",
        "        NULL;",
        "a revert ignores the writer list and the FROZEN state",
        (BREV + "test_frozen_and_append_only" + PG_STANDALONE, REV + "test_writer_lists"),
    ),
    Mutant(
        "pg-revert-restored-certification-new-id", "sql/functions/_revert_apply.sql",
        "dataset_id, validity) OVERRIDING SYSTEM VALUE\n"
        "        SELECT v.certification_id, v.collection_id,",
        "dataset_id, validity)\n"
        "        SELECT nextval(pg_get_serial_sequence('calib.certification',"
        " 'certification_id')), v.collection_id,",
        "a restored certification is a new row, not the one the change removed",
        (REV + "test_revert_restores_the_state_before_the_change[decertify split]",),
    ),
    Mutant(
        "pg-revert-settings-not-restored", "sql/functions/_revert_apply.sql",
        "    WHERE o.removed_change = p_change AND c.collection_id = o.collection_id;",
        "    WHERE false AND c.collection_id = o.collection_id;",
        "a revert of a state change leaves the new state",
        (BREV + "test_revert_restores_the_state_before_the_change"
         "[postgresql-standalone-set_collection_state]",),
    ),
    Mutant(
        "pg-revert-restored-dataset-counts-as-removed", "sql/functions/_revert_apply.sql",
        "AND r.removed_change = p_change)))\n    ) AS x",
        "AND false)))\n    ) AS x",
        "a restored certification's dataset that the same revert restores counts as removed",
        (BREV + "test_revert_restores_the_state_before_the_change"
         "[postgresql-standalone-certify close_open]",),
    ),
    Mutant(
        "pg-revert-dry-run-writes", "sql/functions/revert.sql",
        "    IF p_dry_run THEN",
        "    IF false THEN",
        "a dry run of revert changes the registry",
        (BREV + "test_dry_run_returns_the_same_rows_and_changes_nothing" + PG_STANDALONE,),
    ),
    Mutant(
        "pg-revert-reason-not-defaulted", "sql/functions/revert.sql",
        "        PERFORM set_config('calib.reason', format('revert of epoch %s', p_epoch), true);",
        "        NULL;",
        "a revert's change has no reason when none was given",
        (BREV + "test_revert_restores_the_state_before_the_change[postgresql-standalone-certify]",),
    ),
    Mutant(
        "pg-revert-held-id-not-an-overlap", "sql/functions/_revert_apply.sql",
        "    EXCEPTION WHEN exclusion_violation OR unique_violation THEN",
        "    EXCEPTION WHEN exclusion_violation THEN",
        "restoring a certification a revert of the revert brought back fails with a raw"
        " unique violation instead of revert_overlap",
        (BREV + "test_restoring_a_certification_a_revert_of_the_revert_brought_back"
         + PG_STANDALONE,),
    ),
    Mutant(
        "pg-as-of-lookup-loses-removed-run", "sql/functions/_lookup.sql",
        "                    CASE WHEN u.id IS NOT NULL THEN (\n",
        "                    CASE WHEN false THEN (\n",
        "an as-of lookup names no RUN for a dataset a revert removed since",
        (BREV + "test_as_of_answers_keep_what_a_revert_removed" + PG_STANDALONE,),
    ),
    Mutant(
        "pg-as-of-certifications-drop-removed", "sql/functions/certifications.sql",
        "    LEFT JOIN calib.dataset AS d ON d.dataset_id = c.dataset_id\n",
        "    JOIN calib.dataset AS d ON d.dataset_id = c.dataset_id\n",
        "as-of certifications leave out a dataset a revert removed since",
        (BREV + "test_as_of_answers_keep_what_a_revert_removed" + PG_STANDALONE,),
    ),
    # -- revert on SQLite (backends/sqlite/revert.py, revert_actions.py) ---------------------
    Mutant(
        "sqlite-revert-changed-row-unchecked", "pyclient/calibcert/backends/sqlite/revert.py",
        '        bad = self._one("SELECT * FROM certification_version WHERE created_change = :p"',
        '        bad = self._one("SELECT * FROM certification_version WHERE 0 AND :p IS NULL"',
        "a revert on SQLite removes certifications the change created without noticing one"
        " was changed since",
        (BREV + "test_a_certification_changed_since" + SQ,),
    ),
    Mutant(
        "sqlite-revert-dataset-in-use-unchecked", "pyclient/calibcert/backends/sqlite/revert.py",
        '            " ORDER BY v.dataset_id LIMIT 1", p)\n        if bad is not None:\n'
        '            self._revert_conflict("revert_in_use"',
        '            " AND 0 ORDER BY v.dataset_id LIMIT 1", p)\n        if bad is not None:\n'
        '            self._revert_conflict("revert_in_use"',
        "a revert on SQLite removes a dataset that later certifications use",
        (BREV + "test_a_dataset_or_collection_in_use_since" + SQ,),
    ),
    Mutant(
        "sqlite-revert-occupied-chain-unchecked", "pyclient/calibcert/backends/sqlite/revert.py",
        '" WHERE v.removed_change = :p ORDER BY v.parent_id, v.position LIMIT 1", p)',
        '" WHERE 0 AND v.removed_change = :p ORDER BY v.parent_id, v.position LIMIT 1", p)',
        "a revert on SQLite restores a chain position whose place a later one took",
        (BREV + "test_a_chain_position_taken_since" + SQ,),
    ),
    Mutant(
        "sqlite-revert-cycle-unchecked", "pyclient/calibcert/backends/sqlite/revert.py",
        "                if cid == start:\n                    looped.append(start)",
        "                if False:\n                    looped.append(start)",
        "a revert on SQLite restores a chain position that closes a loop",
        (BREV + "test_a_restored_chain_that_would_make_a_cycle" + SQ,),
    ),
    Mutant(
        "sqlite-revert-overlap-unchecked", "pyclient/calibcert/backends/sqlite/revert.py",
        "        if over:\n            values",
        "        if False:\n            values",
        "a revert on SQLite restores a certification over a later one (the file's guard"
        " trigger stops it, with another error)",
        (BREV + "test_a_restored_certification_that_would_overlap" + SQ,),
    ),
    Mutant(
        "sqlite-revert-ignores-states", "pyclient/calibcert/backends/sqlite/revert.py",
        '            self._check_change(coll, "revert")',
        "            pass",
        "a revert on SQLite ignores FROZEN collections (the file's triggers stop it, with"
        " another error)",
        (BREV + "test_frozen_and_append_only" + SQ,),
    ),
    Mutant(
        "sqlite-revert-target-removed-unchecked",
        "pyclient/calibcert/backends/sqlite/revert.py",
        "        bad = self._one(_TARGET_REMOVED, p)",
        "        bad = None",
        "a revert on SQLite restores a tag into a collection removed since",
        (BREV + "test_a_collection_removed_since" + SQ,),
    ),
    Mutant(
        "sqlite-revert-paths-not-refreshed", "pyclient/calibcert/backends/sqlite/revert.py",
        "        if chains:\n            self._refresh_search_paths(",
        "        if False:\n            self._refresh_search_paths(",
        "a revert on SQLite changes chains but leaves the stored search paths as they were",
        (SREV + "test_a_revert_of_chain_changes_stores_fresh_search_paths",),
    ),
    Mutant(
        "sqlite-revert-dry-run-writes", "pyclient/calibcert/backends/sqlite/revert.py",
        "                if dry_run:\n                    raise _DryRun",
        "                if False:\n                    raise _DryRun",
        "a dry run of revert on SQLite changes the file",
        (BREV + "test_dry_run_returns_the_same_rows_and_changes_nothing" + SQ,),
    ),
    Mutant(
        "sqlite-revert-reason-not-defaulted", "pyclient/calibcert/backends/sqlite/revert.py",
        "                if opened and self._reason is None:",
        "                if False:",
        "a revert's change on SQLite has no reason when none was given",
        (BREV + "test_revert_restores_the_state_before_the_change[sqlite-certify]",),
    ),
    Mutant(
        "sqlite-revert-reason-lost-at-seal", "pyclient/calibcert/backends/sqlite/epochs.py",
        '" reason = coalesce(?, reason) WHERE open = 1",',
        '" reason = ? WHERE open = 1",',
        "the seal drops the reason revert gave its change on SQLite",
        (BREV + "test_revert_restores_the_state_before_the_change[sqlite-certify]",),
    ),
    Mutant(
        "sqlite-revert-epoch-open-accepted", "pyclient/calibcert/backends/sqlite/revert.py",
        '"SELECT 1 FROM change WHERE change_id = ? AND open IS NULL",',
        '"SELECT 1 FROM change WHERE change_id = ?",',
        "a revert on SQLite accepts the caller's own uncommitted change as an epoch",
        (BREV + "test_the_open_change_is_not_an_epoch" + SQ,),
    ),
    Mutant(
        "sqlite-as-of-certifications-drop-removed-run",
        "pyclient/calibcert/backends/sqlite/as_of.py",
        '" LEFT JOIN collection AS r ON r.collection_id = c.run_id"',
        '" JOIN collection AS r ON r.collection_id = c.run_id"',
        "as-of certifications on SQLite leave out a dataset whose RUN a revert removed since",
        (BREV + "test_as_of_answers_keep_what_a_revert_removed" + SQ,),
    ),
    # -- the plot: a chain drawn as lookups see it (pyclient/calibcert/lookup_view.py) -------
    Mutant(
        "plot-run-member-hides-nothing", "pyclient/calibcert/lookup_view.py",
        "            free = []\n            continue",
        "            continue",
        "the plot lets members after a RUN / TAGGED member answer too, for keys it holds",
        (PLOT + "test_the_figure_shows_what_find_returns" + SQ,),
    ),
    Mutant(
        "plot-search-path-last-occurrence", "pyclient/calibcert/lookup_view.py",
        "        if (name, epoch) in seen:\n            return\n",
        "        if (name, epoch) in seen:\n"
        "            out[:] = [m for m in out if m.name != name]\n",
        "the plot's search path keeps a repeated member at its last occurrence",
        (PLOT + "test_the_search_path_and_the_answers_match_find" + SQ,),
    ),
    Mutant(
        "plot-snapshot-as-itself", "pyclient/calibcert/lookup_view.py",
        "        if info.snapshot_of is not None:",
        "        if False:",
        "the plot searches a snapshot as a collection of its own (it holds no rows: nothing"
        " drawn)",
        (BSNAP + "test_the_plot_of_a_snapshot_draws_its_source_as_of_then" + SQ_ONLY,),
    ),
    Mutant(
        "plot-forgets-time-before-a-certification", "pyclient/calibcert/lookup_view.py",
        "                if lo < cut_lo:\n                    rest.append((lo, cut_lo))\n",
        "",
        "the plot leaves no later member the time before a certification that answered",
        (PLOT + "test_the_search_path_and_the_answers_match_find" + PG,),
    ),
    Mutant(
        "plot-colour-per-dataset", "pyclient/calibcert/plot.py",
        "            colour = colours[c.ref.run]",
        "            colour = colours[sorted(colours)[hash(c.ref.id) % len(colours)]]",
        "the plot colours bars by dataset, not by the RUN the legend names",
        (PLOT + "test_the_figure_shows_what_find_returns" + SQ,),
    ),
    Mutant(
        "plot-draws-run-collections", "pyclient/calibcert/lookup_view.py",
        "    if types[name] not in PLOTTABLE:", "    if False:",
        "the plot draws a RUN or TAGGED collection instead of refusing it",
        (PLOT + "test_run_and_tagged_collections_are_refused[sqlite-run]",
         PLOT + "test_run_and_tagged_collections_are_refused[sqlite-tagged]"),
    ),
    # -- collection digests (issue 16, item 7) ------------------------------------------------
    Mutant(
        "pg-digest-untyped-values", "sql/functions/_digest_rows.sql",
        "string_agg(to_json(e.key)::text || ':' || e.value::text, ','",
        "string_agg(to_json(e.key)::text || ':' || to_json(e.value #>> '{}')::text, ','",
        "the digest writes every data-ID value as a string: the integer 1 and \"1\" agree",
        (DIGEST + "test_digest_follows_the_readme_specification" + PG,),
    ),
    Mutant(
        "pg-digest-chain-by-name", "sql/functions/_digest_rows.sql",
        "row_number() OVER (ORDER BY l.position) AS n",
        "row_number() OVER (ORDER BY l.name) AS n",
        "a chain's digest lists its children by name, not in search order",
        (DIGEST + "test_every_change_changes_the_digest" + PG,),
    ),
    Mutant(
        "pg-digest-covers-the-name", "sql/functions/collection_digest.sql",
        "'{\"format\":\"calibcert-digest-v1\",\"type\":' || to_json(v_type)::text || '}'",
        "'{\"format\":\"calibcert-digest-v1\",\"name\":' || to_json(p_collection)::text"
        " || ',\"type\":' || to_json(v_type)::text || '}'",
        "the digest covers the collection's own name: a copy has another digest",
        (DIGEST + "test_a_copy_under_another_name_has_the_same_digest" + PG,),
    ),
    Mutant(
        "pg-digest-sorted-by-collation", "sql/functions/collection_digest.sql",
        "ORDER BY r.sort_key COLLATE \"C\")",
        "ORDER BY r.sort_key)",
        "the digest sorts its lines by the database's collation, not by their bytes",
        (DIGEST + "test_lines_sort_by_bytes_whatever_the_database_collation",),
    ),
    Mutant(
        "sqlite-digest-untyped-values", "pyclient/calibcert/backends/sqlite/collection_digest.py",
        'data_id = texts[r["value"]] = _json(json.loads(r["value"]))',
        'data_id = texts[r["value"]] = _json({k: str(v) for k, v in'
        ' json.loads(r["value"]).items()})',
        "the SQLite digest writes every data-ID value as a string",
        (DIGEST + "test_same_content_same_digest_on_postgresql_and_sqlite",),
    ),
    # -- explain (issue 16 item 4): the outcomes, the rows, the decision ------------------
    Mutant(
        "pg-explain-later-members-searched", "sql/functions/_explain.sql",
        "                ELSE 'skipped' END,",
        "                ELSE 'no match' END,",
        "explain calls the members after the deciding one 'no match' (as if searched)",
        (EXPL + "test_explain_decides_what_find_decides" + PG_STANDALONE,),
    ),
    Mutant(
        "pg-explain-calibration-searched-without-time", "sql/functions/_explain.sql",
        "WHEN c.member_type = 'CALIBRATION' AND p_span IS NULL THEN 'skipped'",
        "WHEN false THEN 'skipped'",
        "with no time, explain says CALIBRATION members were searched (find skips them)",
        (EXPL + "test_explain_decides_what_find_decides" + PG_STANDALONE,),
    ),
    Mutant(
        "pg-explain-ambiguous-one-row", "sql/functions/_explain.sql",
        "WHERE c.n = 1 OR c.rank = d.rank",
        "WHERE c.n = 1",
        "an ambiguous member shows its first match only",
        (EXPL + "test_an_ambiguous_lookup_is_explained_one_row_per_match" + PG_STANDALONE,),
    ),
    Mutant(
        "pg-explain-ambiguity-hidden", "sql/functions/_explain.sql",
        "THEN CASE WHEN v_ambiguous THEN 'ambiguous' ELSE 'match' END",
        "THEN 'match'",
        "explain calls an ambiguous deciding member a match",
        (EXPL + "test_explain_decides_what_find_decides" + PG_STANDALONE,),
    ),
    Mutant(
        "pg-explain-as-of-decided-now", "sql/functions/_explain.sql",
        "IF v_key IS NOT NULL AND v_epoch IS NULL THEN",
        "IF v_key IS NOT NULL THEN",
        "explain as of an epoch takes the deciding member from the current state",
        (EXPL + "test_explain_as_of_an_epoch_answers_as_find_did_then" + PG_STANDALONE,),
    ),
    Mutant(
        "pg-explain-candidates-ignore-visibility", "sql/functions/_member_candidates.sql",
        "          AND c.validity && p_span\n"
        "          AND calib._visible(c.created_change, c.removed_change, m.member_epoch)\n",
        "          AND c.validity && p_span\n",
        "explain as of an epoch lists certifications that were not visible then",
        (EXPL + "test_explain_decides_what_find_decides" + PG_STANDALONE,),
    ),
    Mutant(
        "pg-explain-run-epoch-lost", "sql/functions/_member_candidates.sql",
        "WHERE v.dataset_id = d.dataset_id AND v.removed_change IS NULL)",
        "WHERE v.dataset_id = d.dataset_id AND v.removed_change IS NOT NULL)",
        "explain gives no creating epoch for a current RUN dataset",
        (EXPL + "test_explain_names_every_member_in_search_order" + PG_STANDALONE,),
    ),
    # -- messages: a revert conflict's row from its facts (revision 0016) -------------------
    Mutant(
        "messages-jsonb-keys-alphabetical", "pyclient/calibcert/messages.py",
        "    return sorted(keys, key=lambda k: (len(k.encode()), k.encode()))",
        "    return sorted(keys)",
        "a data ID in a message lists its keys alphabetically, not as PostgreSQL prints jsonb",
        ("tests/test_error_messages.py::test_render",),
    ),
    Mutant(
        "messages-revert-row-without-validity", "pyclient/calibcert/messages.py",
        "        return text if span is None else (",
        "        return text if True else (",
        "a revert conflict's message leaves out the validity of the certification it names",
        ("tests/test_error_messages.py::test_render",
         BREV + "test_a_certification_changed_since" + SQ),
    ),
    # -- explain through snapshots (revision 0016) -----------------------------------------
    Mutant(
        "pg-explain-snapshot-read-at-query-epoch", "sql/functions/_member_candidates.sql",
        "AND calib._visible(c.created_change, c.removed_change, m.member_epoch)",
        "AND calib._visible(c.created_change, c.removed_change, coalesce(p_epoch, m.member_epoch))",
        "explain as of an epoch reads a snapshot's source at that epoch, not the snapshot's",
        (EXPL + "test_explain_through_a_snapshot_reads_it_as_find_does" + PG_STANDALONE,),
    ),
    Mutant(
        "pg-explain-snapshot-not-expanded", "sql/functions/_member_candidates.sql",
        "            WHERE sp.snapshot_epoch IS NOT NULL) AS a ON true",
        "            WHERE false) AS a ON true",
        "explain lists nothing for a snapshot member (its source's members are not read)",
        (EXPL + "test_explain_through_a_snapshot_reads_it_as_find_does" + PG_STANDALONE,),
    ),
    Mutant(
        "pg-explain-decider-listing-without-match", "sql/functions/_explain.sql",
        "WHERE c.member_id = v_member AND c.dataset_id IS NOT NULL)",
        "WHERE c.member_id = v_member)",
        "explain marks the deciding member's first listing, even one that holds no match",
        (EXPL + "test_explain_through_a_snapshot_reads_it_as_find_does" + PG_STANDALONE,),
    ),
    Mutant(
        "pg-explain-snapshot-decider-unmapped", "sql/functions/_explain.sql",
        "    IF v_member IS NOT NULL AND v_epoch IS NULL THEN",
        "    IF false THEN",
        "explain looks for the snapshot itself among its source's members and marks none",
        (EXPL + "test_explain_through_a_snapshot_reads_it_as_find_does" + PG_STANDALONE,),
    ),
    Mutant(
        "pg-explain-decider-lost-without-snapshot", "sql/functions/_explain.sql",
        "v_member := coalesce(v_source_member, v_member);",
        "v_member := v_source_member;",
        "explain loses the deciding member when no snapshot decided (SELECT INTO of no row)",
        (EXPL + "test_explain_names_every_member_in_search_order" + PG_STANDALONE,),
    ),
    Mutant(
        "sqlite-explain-snapshot-not-expanded", SQX,
        "members = self._search_members(self._collection(collection).id)",
        "members = tuple(_Member(r[\"id\"], r[\"name\"], r[\"type\"])"
        " for r in self._members(self._collection(collection).id))",
        "SQLite explain shows a snapshot member as itself, holding nothing",
        (EXPL + "test_explain_through_a_snapshot_reads_it_as_find_does" + SQ,),
    ),
    # -- explain and the as-of digest on SQLite (issue 16 items 4 and 7) ------------------
    Mutant(
        "sqlite-explain-later-members-searched", SQX,
        "        else:\n            outcome = \"skipped\"\n",
        "        else:\n            outcome = \"no match\"\n",
        "SQLite explain calls the members after the deciding one 'no match' (as if searched)",
        (EXPL + "test_explain_decides_what_find_decides" + SQ,),
    ),
    Mutant(
        "sqlite-explain-calibration-searched-without-time", SQX,
        "        if m.type == \"CALIBRATION\" and no_time:",
        "        if False:",
        "with no time, SQLite explain says CALIBRATION members were searched (find skips them)",
        (EXPL + "test_explain_decides_what_find_decides" + SQ,),
    ),
    Mutant(
        "sqlite-explain-ambiguity-hidden", SQX,
        "outcome = \"ambiguous\" if len(hits) > 1 else \"match\"",
        "outcome = \"match\"",
        "SQLite explain calls an ambiguous deciding member a match",
        (EXPL + "test_an_ambiguous_lookup_is_explained_one_row_per_match" + SQ,),
    ),
    Mutant(
        "sqlite-explain-as-of-read-now", SQX,
        "        if member.epoch is not None:  # as of an epoch, or through a snapshot: its own"
        " epoch\n            return self._hits_as_of(",
        "        if False:\n            return self._hits_as_of(",
        "SQLite explain as of an epoch (or through a snapshot) reads what the members hold now",
        (EXPL + "test_explain_as_of_an_epoch_answers_as_find_did_then" + SQ,
         EXPL + "test_explain_through_a_snapshot_reads_it_as_find_does" + SQ),
    ),
    Mutant(
        "sqlite-explain-pending-change-numbered", SQX,
        "None if h[4] == pending else h[4]",
        "h[4]",
        "SQLite explain gives the caller's own uncommitted change an epoch",
        (EXPL + "test_explain_inside_a_transaction_sees_its_own_pending_change" + SQ,),
    ),
    Mutant(
        "sqlite-explain-raw-change-not-sealed", SQX,
        "                self._seal_raw_change()  # type: ignore[attr-defined]",
        "                pass",
        "SQLite explain shows a raw writer's committed change as pending (no epoch)",
        (EXPL + "test_sqlite_explain_names_a_raw_writers_change_by_its_epoch",),
    ),
    Mutant(
        "sqlite-explain-not-one-snapshot", SQX,
        "        with self._read():\n            if as_of is None:",
        "        with self._errors():\n            if as_of is None:",
        "SQLite explain reads each member in its own snapshot (a commit in between mixes states)",
        (EXPL + "test_sqlite_explain_reads_one_snapshot_while_a_writer_commits",),
    ),
    Mutant(
        "sqlite-hits-as-of-cut", "pyclient/calibcert/backends/sqlite/as_of.py",
        "return [r for r in (rows if n < 0 else rows[:n]) if r[3] > qb]",
        "return [r for r in rows[:n] if r[3] > qb]",
        "the as-of matches of a member asked for all (-1) lose the oldest one",
        (EXPL + "test_an_ambiguous_lookup_is_explained_one_row_per_match" + SQ,),
    ),
    Mutant(
        "sqlite-certifications-as-of-created-later", "pyclient/calibcert/backends/sqlite/as_of.py",
        "            f\" WHERE {where} AND c.created_change <= :e\"",
        "            f\" WHERE {where}\"",
        "SQLite as-of reads (digest, certifications) see current certifications created later",
        (EXPL + "test_digest_as_of_is_the_digest_of_that_time" + SQ,),
    ),
    Mutant(
        "sqlite-digest-as-of-rows-now", "pyclient/calibcert/backends/sqlite/collection_digest.py",
        "lines = sorted(self._digest_rows(collection_id, collection_type, epoch))",
        "lines = sorted(self._digest_rows(collection_id, collection_type))",
        "SQLite collection_digest as of an epoch digests the current content",
        (EXPL + "test_digest_as_of_is_the_digest_of_that_time" + SQ,),
    ),
    Mutant(
        "sqlite-digest-as-of-children-now",
        "pyclient/calibcert/backends/sqlite/collection_digest.py",
        "lines: Iterable[str] = self._digest_children(collection_id, epoch)",
        "lines: Iterable[str] = self._digest_children(collection_id)",
        "SQLite collection_digest of a chain as of an epoch lists its children now",
        (EXPL + "test_digest_as_of_is_the_digest_of_that_time" + SQ,),
    ),
    # -- snapshots (revision 0014, issue 16 item 6) ---------------------------------------
    Mutant(
        "pg-snapshot-read-now", "sql/functions/probe.sql",
        "calib._snapshot_ids(m.snapshot_of, p_data_id_key, p_span, m.snapshot_epoch)",
        "calib._snapshot_ids(m.snapshot_of, p_data_id_key, p_span, calib.current_epoch())",
        "a lookup of a snapshot reads its source as it is now, not as of the snapshot's epoch",
        (BSNAP + "test_every_read_of_a_snapshot_is_the_as_of_read_of_its_source" + PG_ALONE,),
    ),
    Mutant(
        "pg-snapshot-branch-not-gated", "sql/functions/probe.sql",
        "CASE WHEN m.snapshot_epoch IS NOT NULL\n",
        "CASE WHEN true\n",
        "calib.probe runs the as-of branch for every member, not only for snapshots",
        (SNAP + "test_the_lookup_of_a_collection_without_snapshots_never_runs_the_as_of_branch",),
    ),
    Mutant(
        "pg-snapshot-walk-at-outer-epoch", "sql/functions/_search_path_as_of.sql",
        "SELECT 1, s.source_id, s.epoch FROM calib.snapshot AS s",
        "SELECT 1, s.source_id, w.epoch FROM calib.snapshot AS s",
        "an as-of read through a snapshot reads its source at the reader's epoch",
        (BSNAP + "test_every_read_of_a_snapshot_is_the_as_of_read_of_its_source" + PG_ALONE,),
    ),
    Mutant(
        "pg-snapshot-certifications-now", "sql/functions/certifications.sql",
        "      AND calib._visible(c.created_change, c.removed_change, a.member_epoch)\n"
        "      AND (p_dataset_type IS NULL",
        "      AND c.removed_change IS NULL\n"
        "      AND (p_dataset_type IS NULL",
        "certifications of a snapshot lists its source's current certifications",
        (BSNAP + "test_every_read_of_a_snapshot_is_the_as_of_read_of_its_source" + PG_ALONE,),
    ),
    Mutant(
        "pg-snapshot-digest-now", "sql/functions/collection_digest.sql",
        "        v_epoch := v_snapshot.epoch;\n",
        "        v_epoch := NULL;\n",
        "a snapshot's digest is its source's current digest",
        (BSNAP + "test_every_read_of_a_snapshot_is_the_as_of_read_of_its_source" + PG_ALONE,),
    ),
    Mutant(
        "pg-snapshot-chain-now", "sql/functions/_chain_as_of.sql",
        "        p_epoch := v_snap.epoch;",
        "        p_epoch := calib.current_epoch();",
        "get_chain of a snapshot of a chain gives the source's current children",
        (BSNAP + "test_snapshots_of_chains_and_chains_of_snapshots" + PG_ALONE,),
    ),
    Mutant(
        "pg-snapshot-chained-member-dropped", "sql/functions/_refresh_search_paths.sql",
        "WHERE c.type <> 'CHAINED' OR s.collection_id IS NOT NULL",
        "WHERE c.type <> 'CHAINED'",
        "a chain that lists a snapshot of a chain does not search it",
        (BSNAP + "test_snapshots_of_chains_and_chains_of_snapshots" + PG_ALONE,),
    ),
    Mutant(
        "pg-snapshot-datasets-now", "sql/functions/query_datasets.sql",
        "      AND calib._visible(t.created_change, t.removed_change, sn.member_epoch)",
        "      AND t.removed_change IS NULL",
        "query_datasets of a snapshot lists its source's current tags",
        (BSNAP + "test_copying_a_snapshot_and_listing_its_datasets" + PG_ALONE,),
    ),
    Mutant(
        "pg-snapshot-copy-empty", "sql/functions/copy_collection.sql",
        "v_src.collection_id;\n    IF FOUND THEN",
        "v_src.collection_id;\n    IF false THEN",
        "a copy of a snapshot copies the snapshot's own (no) rows: an empty collection",
        (BSNAP + "test_copying_a_snapshot_and_listing_its_datasets" + PG_ALONE,),
    ),
    Mutant(
        "pg-snapshot-thawed-by-state", "sql/functions/set_collection_state.sql",
        "    IF upper(p_state) <> 'FROZEN'\n       AND EXISTS",
        "    IF false\n       AND EXISTS",
        "set_collection_state does not refuse to unfreeze a snapshot itself (only the trigger"
        " does, with the generic kind)",
        ("tests/test_sql_validation.py::test_bad_input_raises_the_precise_error",),
    ),
    Mutant(
        "pg-snapshot-thawed-by-raw-sql", "sql/functions/_frozen_guard.sql",
        "                           WHEN NEW.state <> 'FROZEN' THEN OLD.name ELSE v_name END;",
        "                           ELSE v_name END;",
        "the owner's raw UPDATE unfreezes a snapshot",
        (SNAP + "test_raw_sql_by_the_owner_cannot_write_a_snapshot",),
    ),
    Mutant(
        "pg-snapshot-not-removable", "sql/functions/_check_change.sql",
        "        IF NOT (p_operation = 'remove_collection'",
        "        IF NOT (false",
        "an admin cannot remove a snapshot (FROZEN, and it can never be unfrozen)",
        (BSNAP + "test_every_write_to_a_snapshot_is_refused" + PG_ALONE,),
    ),
    Mutant(
        "pg-snapshot-of-snapshot-nested", "sql/functions/snapshot_collection.sql",
        "        v_src_id := v_inner.source_id;\n        v_epoch := v_inner.epoch;",
        "        v_src_id := v_src_id;",
        "a snapshot of a snapshot names the first snapshot as its source",
        (BSNAP + "test_snapshots_of_chains_and_chains_of_snapshots" + PG_ALONE,),
    ),
    Mutant(
        "pg-snapshot-reader-lacks-helper", "sql/schema/grants.sql",
        "        'calib._snapshot_ids(integer, integer, tstzrange, bigint)',\n",
        "",
        "a reader may call calib.probe but not the snapshot helper it calls",
        (SNAP + "test_a_reader_finds_through_snapshots_on_the_fast_path",),
    ),
    Mutant(
        "pg-snapshot-ambiguity-unnamed", "sql/functions/_lookup.sql",
        "              AND sp.snapshot_epoch IS NOT NULL;",
        "              AND false;",
        "an ambiguous lookup decided by a snapshot names the snapshot and lists no dataset",
        (BSNAP + "test_every_read_of_a_snapshot_is_the_as_of_read_of_its_source" + PG_ALONE,),
    ),
    # -- snapshots on SQLite (revision 0015: sql/sqlite/schema/snapshot.sql,
    #    backends/sqlite/snapshot_collection.py and the snapshot parts of the readers) ------
    Mutant(
        "sqlite-snapshot-read-now", "pyclient/calibcert/backends/sqlite/catalog.py",
        'r["snapshot_of"], r["snapshot_epoch"]))',
        'r["snapshot_of"], 2 ** 62))',
        "a lookup of a snapshot reads its source as it is now, not as of the snapshot's epoch",
        (BSNAP + "test_every_read_of_a_snapshot_is_the_as_of_read_of_its_source" + SQ_ONLY,),
    ),
    Mutant(
        "sqlite-snapshot-walk-at-outer-epoch", "pyclient/calibcert/backends/sqlite/as_of.py",
        "                walk(*snapshots[cid])",
        "                walk(snapshots[cid][0], e)",
        "an as-of read through a snapshot reads its source at the reader's epoch",
        (BSNAP + "test_every_read_of_a_snapshot_is_the_as_of_read_of_its_source" + SQ_ONLY,),
    ),
    Mutant(
        "sqlite-snapshot-fast-path", "pyclient/calibcert/backends/sqlite/lookup.py",
        "if plan is None or self._cv is None or plan.as_of:",
        "if plan is None or self._cv is None:",
        "the one-statement find probes a snapshot member's current rows",
        (BSNAP + "test_every_read_of_a_snapshot_is_the_as_of_read_of_its_source" + SQ_ONLY,),
    ),
    Mutant(
        "sqlite-snapshot-chained-member-dropped", "sql/sqlite/functions/walk_search_paths.sql",
        "WHERE c.type <> 'CHAINED' OR s.collection_id IS NOT NULL;",
        "WHERE c.type <> 'CHAINED';",
        "a chain that lists a snapshot of a chain does not search it",
        (BSNAP + "test_snapshots_of_chains_and_chains_of_snapshots" + SQ_ONLY,),
    ),
    Mutant(
        "sqlite-snapshot-certifications-now",
        "pyclient/calibcert/backends/sqlite/certifications.py",
        "                if m.epoch is not None:  # a snapshot's source, as of its epoch",
        "                if False:  # a snapshot's source, as of its epoch",
        "certifications of a snapshot lists its source's current certifications",
        (BSNAP + "test_every_read_of_a_snapshot_is_the_as_of_read_of_its_source" + SQ_ONLY,),
    ),
    Mutant(
        "sqlite-snapshot-ambiguity-now", "pyclient/calibcert/backends/sqlite/lookup.py",
        "        if member.epoch is not None:  # a snapshot's source, as of its epoch\n"
        "            datasets",
        "        if False:\n            datasets",
        "an ambiguous lookup through a snapshot lists the source's current matches",
        (BSNAP + "test_every_read_of_a_snapshot_is_the_as_of_read_of_its_source" + SQ_ONLY,),
    ),
    Mutant(
        "sqlite-snapshot-digest-now", "pyclient/calibcert/backends/sqlite/collection_digest.py",
        "        if snap is not None:\n            collection_id, epoch = snap\n",
        "",
        "a snapshot's digest is its own (empty) content's",
        (BSNAP + "test_every_read_of_a_snapshot_is_the_as_of_read_of_its_source" + SQ_ONLY,),
    ),
    Mutant(
        "sqlite-snapshot-datasets-now", "pyclient/calibcert/backends/sqlite/datasets.py",
        "WHERE m.typ = 'TAGGED' AND m.e IS NOT NULL AND {VISIBLE('g', 'm.e')}",
        "WHERE m.typ = 'TAGGED' AND m.e IS NOT NULL AND g.removed_change IS NULL",
        "query_datasets of a snapshot lists its source's current tags",
        (BSNAP + "test_copying_a_snapshot_and_listing_its_datasets" + SQ_ONLY,),
    ),
    Mutant(
        "sqlite-snapshot-copy-empty", "pyclient/calibcert/backends/sqlite/collections.py",
        "            if snap is not None:  # no rows of its own",
        "            if False:  # no rows of its own",
        "a copy of a snapshot copies the snapshot's own (no) rows: an empty collection",
        (BSNAP + "test_copying_a_snapshot_and_listing_its_datasets" + SQ_ONLY,),
    ),
    Mutant(
        "sqlite-snapshot-of-snapshot-nested",
        "pyclient/calibcert/backends/sqlite/snapshot_collection.py",
        "source_id, epoch = inner if inner is not None else (src.id, epoch)",
        "source_id, epoch = (src.id, epoch)",
        "a snapshot of a snapshot names the first snapshot as its source",
        (BSNAP + "test_snapshots_of_chains_and_chains_of_snapshots" + SQ_ONLY,),
    ),
    Mutant(
        "sqlite-snapshot-thawed-by-state", "pyclient/calibcert/backends/sqlite/states.py",
        '            if state.upper() != "FROZEN" and self._snapshot_of(',
        '            if False and self._snapshot_of(',
        "set_collection_state does not refuse to unfreeze a snapshot itself (only the trigger"
        " does, with a raw error)",
        (BSNAP + "test_every_write_to_a_snapshot_is_refused" + SQ_ONLY,),
    ),
    Mutant(
        "sqlite-snapshot-not-removable", "pyclient/calibcert/backends/sqlite/states.py",
        '                operation == "remove_collection"  # a snapshot',
        '                False  # a snapshot',
        "remove_collection refuses a snapshot (FROZEN, and it can never be unfrozen)",
        (BSNAP + "test_every_write_to_a_snapshot_is_refused" + SQ_ONLY,),
    ),
    Mutant(
        "sqlite-snapshot-thawed-by-raw-sql", "sql/sqlite/schema/snapshot.sql",
        "WHEN NEW.state IS NOT 'FROZEN'\n AND EXISTS",
        "WHEN 0\n AND EXISTS",
        "a raw sqlite3 UPDATE unfreezes a snapshot",
        (SQSNAP + "test_a_raw_writer_cannot_write_into_a_snapshot_or_change_one",),
    ),
    Mutant(
        "sqlite-snapshot-table-mutable", "sql/sqlite/schema/snapshot.sql",
        "BEGIN SELECT RAISE(ABORT, 'snapshot_immutable'); END;\n"
        "CREATE TRIGGER snapshot_guard_delete",
        "BEGIN SELECT 1; END;\nCREATE TRIGGER snapshot_guard_delete",
        "a raw sqlite3 UPDATE moves a snapshot to another source or epoch",
        (SQSNAP + "test_a_raw_writer_cannot_write_into_a_snapshot_or_change_one",),
    ),
    Mutant(
        "sqlite-snapshot-any-collection", "sql/sqlite/schema/snapshot.sql",
        "    WHERE NOT EXISTS (SELECT 1 FROM collection_version AS v\n"
        "                      JOIN change AS ch",
        "    WHERE 0 AND NOT EXISTS (SELECT 1 FROM collection_version AS v\n"
        "                      JOIN change AS ch",
        "a raw sqlite3 writer turns an existing collection into a snapshot (its past reads"
        " change)",
        (SQSNAP + "test_a_raw_writer_cannot_turn_a_collection_into_a_snapshot",),
    ),
    Mutant(
        "sqlite-snapshot-raw-future-epoch", "sql/sqlite/schema/snapshot.sql",
        "       OR NEW.epoch > (SELECT coalesce(max(change_id), 0) FROM change WHERE open IS NULL)",
        "       OR NEW.epoch > (SELECT coalesce(max(change_id), 0) + 1 FROM change)",
        "a raw sqlite3 snapshot may read an epoch not committed yet",
        (SQSNAP + "test_a_raw_writer_cannot_turn_a_collection_into_a_snapshot",),
    ),
    Mutant(
        "sqlite-snapshot-raw-path-plain", "sql/sqlite/schema/snapshot.sql",
        "    DELETE FROM search_path WHERE collection_id = NEW.collection_id;\n"
        "    INSERT INTO search_path",
        "    DELETE FROM search_path WHERE 0;\n    INSERT OR IGNORE INTO search_path",
        "a snapshot's own search path row lacks its source and epoch (it reads as empty)",
        (BSNAP + "test_every_read_of_a_snapshot_is_the_as_of_read_of_its_source" + SQ_ONLY,),
    ),
    Mutant(
        "sqlite-prune-past-snapshot", "pyclient/calibcert/backends/sqlite/prune_history.py",
        '"SELECT min(s.epoch) FROM snapshot AS s WHERE s.epoch < :b"',
        '"SELECT min(s.epoch) FROM snapshot AS s WHERE s.epoch < 0"',
        "prune_history drops the versions a snapshot reads",
        ("tests/test_behaviour_retention.py::test_prune_keeps_what_snapshots_read" + SQ_ONLY,),
    ),
    Mutant(
        "sqlite-prune-past-removed-snapshot",
        "pyclient/calibcert/backends/sqlite/prune_history.py",
        '"               AND (v.removed_change IS NULL OR v.removed_change >= :b))",',
        '"               AND (v.removed_change IS NULL OR v.removed_change > :b))",',
        "prune_history drops what a snapshot removed at the prune's epoch read as of the"
        " epochs before",
        ("tests/test_behaviour_retention.py::test_prune_keeps_what_snapshots_read" + SQ_ONLY,),
    ),
    # -- history on SQLite (revision 0014: sql/sqlite/schema/history.sql,
    #    backends/sqlite/epochs.py, as_of.py, history.py) -----------------------------------
    Mutant(
        "sqlite-raw-change-never-sealed", "pyclient/calibcert/backends/sqlite/epochs.py",
        'self._conn.execute("UPDATE change SET open = NULL WHERE open = 1")',
        'self._conn.execute("SELECT 1")',
        "a change a raw sqlite3 writer committed is never sealed: it never gets its epoch,"
        " and the next calibcert transaction writes into it",
        (HSQ + "test_raw_sqlite_writers_are_recorded",),
    ),
    Mutant(
        "sqlite-own-change-not-sealed-at-commit",
        "pyclient/calibcert/backends/sqlite/connection.py",
        "                if outer:\n                    self._seal_own()\n",
        "",
        "the backend commits without sealing its change: it is sealed later as a raw one,"
        " without its actor, reason and commit time",
        (BH + "test_history_records_operations_actor_and_reason" + SQ,),
    ),
    Mutant(
        "sqlite-visible-removal-boundary", "pyclient/calibcert/backends/sqlite/as_of.py",
        'f" AND ({alias}.removed_change IS NULL OR {alias}.removed_change > {e})")',
        'f" AND ({alias}.removed_change IS NULL OR {alias}.removed_change >= {e})")',
        "a version removed by the change of epoch E is still visible as of E",
        (BH + "test_as_of_replays_every_epoch" + SQ,),
    ),
    Mutant(
        "sqlite-current-rows-visible-before-creation",
        "pyclient/calibcert/backends/sqlite/as_of.py",
        "                     AND c.created_change <= :e ORDER BY c.begin_us DESC LIMIT :n)",
        "                     ORDER BY c.begin_us DESC LIMIT :n)",
        "as-of lookups read current certifications created after the epoch",
        (BH + "test_as_of_replays_every_epoch" + SQ,),
    ),
    Mutant(
        "sqlite-operation-not-named", "pyclient/calibcert/backends/sqlite/connection.py",
        "            previous = (self._enter_operation(op, lazy=lazy_op)\n"
        "                        if op is not None else None)\n",
        "            previous = None\n",
        "the backend does not name its operation: the triggers record 'sql'",
        (BH + "test_history_records_operations_actor_and_reason" + SQ,),
    ),
    Mutant(
        "sqlite-stale-created-change-kept", "sql/sqlite/schema/history.sql",
        "WHEN NEW.created_operation = 'upgrade'\n"
        "  OR NEW.created_change IS NOT (SELECT change_id FROM change WHERE open = 1)",
        "WHEN NEW.created_operation = 'upgrade'",
        "a raw insert that copies another change's created_change keeps it (a forged past)",
        (HSQ + "test_raw_sqlite_writers_are_recorded",),
    ),
    Mutant(
        "sqlite-past-chain-order-reversed", "pyclient/calibcert/backends/sqlite/as_of.py",
        'f" WHERE {VISIBLE(\'v\')} ORDER BY v.parent_id, v.position",',
        'f" WHERE {VISIBLE(\'v\')} ORDER BY v.parent_id, v.position DESC",',
        "past search paths walk each chain's children backwards",
        (BH + "test_as_of_replays_every_epoch" + SQ,),
    ),
    Mutant(
        "sqlite-collection-id-reused", "pyclient/calibcert/backends/sqlite/collections.py",
        '            self._conn.execute(_INSERT_COLLECTION, (name, type, doc))',
        '            self._conn.execute("INSERT INTO collection (name, type, doc)"\n'
        '                               " VALUES (?, ?, ?)", (name, type, doc))',
        "a new collection may get a removed one's id: its history mixes with the old name's",
        (HSQ + "test_a_removed_collections_id_is_never_given_again",),
    ),
    Mutant(
        "sqlite-update-pairs-nothing", SQ_HISTORY,
        " AND b.successor_begin_us = a.begin_us AND b.removed_change = a.created_change",
        " AND b.successor_begin_us = a.begin_us + 1 AND b.removed_change = a.created_change",
        "history does not pair a changed certification with what it became (close_open"
        " shows a removal and a creation)",
        (BH + "test_history_records_operations_actor_and_reason" + SQ,),
    ),
    # -- speed (issue 17 item 3, revision 0015): lookups probe indexes whatever the
    #    statistics -------------------------------------------------------------------------
    Mutant(
        "pg-find-many-run-names-by-join", "sql/functions/_lookup.sql",
        "                     WHERE d.dataset_id = u.id),\n",
        "                     WHERE d.dataset_id::text = u.id::text),\n",
        "find_many names the RUNs by a comparison no index serves: it scans all datasets",
        (LPLANS + "test_pg_lookups_probe_indexes_without_and_with_statistics",),
    ),
    Mutant(
        "pg-find-many-keys-by-join", "sql/functions/_lookup.sql",
        "    LEFT JOIN LATERAL (SELECT di.data_id_key, di.value FROM calib.data_id AS di\n"
        "                       WHERE di.dataset_type_id = v_type.dataset_type_id\n"
        "                         AND di.value = u.v OFFSET 0) AS di ON true;",
        "    LEFT JOIN calib.data_id AS di ON di.dataset_type_id = v_type.dataset_type_id"
        " AND di.value = u.v;",
        "find_many resolves data IDs with a join: a large batch scans the whole data_id table",
        (LPLANS + "test_pg_lookups_probe_indexes_without_and_with_statistics",),
    ),
    # -- pg-findmany (issue 17 items 3 and 5, revision 0017): no JIT in find_many ----------
    Mutant(
        "pg-find-many-jit-compiled", "sql/functions/_lookup.sql",
        "SET search_path = pg_catalog, pg_temp\nSET jit = off\n",
        "SET search_path = pg_catalog, pg_temp\n",
        "find_many's statements may be JIT-compiled: a large batch costed on guessed"
        " statistics spends longer compiling than probing",
        (LPLANS + "test_pg_find_many_is_never_jit_compiled",),
    ),
    Mutant(
        "pg-probe-by-gist", "sql/functions/probe.sql",
        "                                   WHERE c.collection_id OPERATOR(pg_catalog.=)\n"
        "                                         m.member_id::pg_catalog.int8\n"
        "                                     AND c.data_id_key OPERATOR(pg_catalog.=)\n"
        "                                         p_data_id_key::pg_catalog.int8\n",
        "                                   WHERE c.collection_id OPERATOR(pg_catalog.=)"
        " m.member_id\n"
        "                                     AND c.data_id_key OPERATOR(pg_catalog.=)"
        " p_data_id_key\n",
        "the probe compares the key as int4: without statistics the planner reads the key's"
        " certifications through the GiST index (all of them) instead of the btree",
        (LPLANS + "test_pg_lookups_probe_indexes_without_and_with_statistics",),
    ),
    Mutant(
        "pg-probe-two-by-begin", "sql/functions/probe.sql",
        "                                   LIMIT 3) AS c\n",
        "                                   LIMIT 2) AS c\n",
        "the probe reads two certifications from the span's end: one beginning at that"
        " exclusive end hides an ambiguity below it",
        (BL + "test_find_ambiguous_beside_one_beginning_at_the_span_end",),
    ),
    Mutant(
        "sqlite-lookup-key-unindexed", "pyclient/calibcert/backends/sqlite/lookup.py",
        "WHERE di.dataset_type_id = ?2 AND di.value = ?3)",
        "WHERE di.dataset_type_id = ?2 AND di.value || '' = ?3)",
        "SQLite lookups resolve the data ID by an expression the index cannot serve: each"
        " find scans data_id",
        (LPLANS + "test_sqlite_lookups_probe_indexes_without_and_with_statistics",),
    ),
    # pg-fk (revision 0017): certification_version's references to calib.change, kept by
    # statement triggers instead of per-row foreign keys
    Mutant(
        "pg-version-change-unchecked", "sql/functions/_version_change_check.sql",
        "    IF v_have < v_want THEN",
        "    IF false THEN",
        "a version may name a change that does not exist (the writer's half not checked)",
        (REFS + "test_a_version_naming_a_missing_change_is_refused",
         REFS + "test_a_writer_waits_for_a_delete_of_the_change_it_names[commit]"),
    ),
    Mutant(
        "pg-version-change-unlocked", "sql/functions/_version_change_check.sql",
        "WHERE c.change_id = i.id FOR KEY SHARE OF c) AS l ON true;",
        "WHERE c.change_id = i.id) AS l ON true;",
        "the writer does not lock the changes its versions name: a delete racing it does not"
        " wait and leaves versions naming a deleted change",
        (REFS + "test_a_delete_waits_for_a_writer_naming_the_change[commit]",),
    ),
    Mutant(
        "pg-change-delete-unchecked", "sql/functions/_change_refs_check.sql",
        "    IF v_id IS NOT NULL THEN",
        "    IF false THEN",
        "a change that versions name can be deleted or re-keyed (the delete's half not checked)",
        (REFS + "test_a_change_that_versions_name_is_not_deleted_rekeyed_or_truncated",
         REFS + "test_a_delete_waits_for_a_writer_naming_the_change[commit]"),
    ),
    Mutant(
        "pg-change-delete-created-side-unchecked", "sql/functions/_change_refs_check.sql",
        "           OR o.change_id IN (SELECT v.created_change"
        " FROM calib.certification_version AS v);",
        ";",
        "a change that versions name only as their creator can be deleted",
        (REFS + "test_a_change_that_versions_name_is_not_deleted_rekeyed_or_truncated",),
    ),
    Mutant(
        "pg-change-delete-any-isolation", "sql/functions/_change_refs_check.sql",
        "    IF current_setting('transaction_isolation') <> 'read committed' THEN",
        "    IF false THEN",
        "a REPEATABLE READ delete trusts its snapshot: a version committed after it is missed"
        " and left naming a deleted change",
        (REFS + "test_changes_are_deleted_rekeyed_or_truncated_only_under_read_committed"
         "[decertify-REPEATABLE READ]",
         REFS + "test_changes_are_deleted_rekeyed_or_truncated_only_under_read_committed"
         "[raw-SERIALIZABLE]"),
    ),
    Mutant(
        "pg-change-rekey-as-delete", "sql/functions/_change_refs_check.sql",
        "    ELSIF TG_OP = 'UPDATE' THEN",
        "    ELSIF false THEN",
        "a re-key is checked as a delete, against a transition table a row trigger does not"
        " have: every re-key fails, also of a change nothing names",
        (REFS + "test_a_change_nothing_names_can_be_rekeyed",),
    ),
    Mutant(
        "pg-integrity-version-change-unchecked", "sql/functions/check_integrity.sql",
        "            WHERE NOT EXISTS (SELECT FROM calib.change AS c\n"
        "                              WHERE c.change_id = v.created_change)",
        "            WHERE false",
        "check_integrity misses a version of a certification naming a missing change (no"
        " declared constraint refuses one since revision 0017)",
        (CORRUPT + "[postgresql-missing_reference_change]",),
    ),
    Mutant(
        "sqlite-integrity-version-change-unchecked", "sql/sqlite/functions/check_integrity.sql",
        "    WHERE NOT EXISTS (SELECT 1 FROM change AS c WHERE c.change_id = v.created_change)",
        "    WHERE 0",
        "check_integrity on SQLite misses a version of a certification naming a missing change",
        (CORRUPT + "[sqlite-missing_reference_change]",),
    ),
    Mutant(
        "pg-change-truncate-unchecked", "sql/functions/_change_refs_check.sql",
        "        IF EXISTS (SELECT FROM calib.certification_version) THEN",
        "        IF false THEN",
        "calib.change can be truncated while versions name its changes",
        (REFS + "test_a_change_that_versions_name_is_not_deleted_rekeyed_or_truncated",),
    ),
    Mutant(
        "client-batch-repeat-by-value", "pyclient/calibcert/query_batch.py",
        "            key = (*data_id.items(), *map(type, data_id), *map(type, data_id.values()))",
        "            key = tuple(data_id.items())",
        "find_many takes a data ID equal in value but not in type (True for 1) for a repeat"
        " of an earlier one, and answers it instead of refusing it",
        (FMB + "test_a_repeat_equal_in_value_but_not_in_type_is_checked_on_its_own",),
    ),
    Mutant(
        "client-batch-refs-share-data-id", "pyclient/calibcert/backends/postgres_find_many.py",
        "            data_id = dict(data_id)",
        "            pass",
        "find_many on PostgreSQL gives every ref of a repeated data ID the same dict",
        (FMB + "test_refs_of_a_repeated_data_id_do_not_share_it",),
    ),
    Mutant(
        "client-batch-expanded-shared", "pyclient/calibcert/query_batch.py",
        "                d = dict(d)  # values are int / str: a shallow copy is a full one",
        "                pass",
        "find_many (SQLite, and as_of on both) gives every ref of a repeated data ID the same"
        " dict",
        (FMB + "test_refs_of_a_repeated_data_id_do_not_share_it",
         FMB + "test_repeats_as_of_an_epoch_answer_each_pair"),
    ),
    Mutant(
        "client-batch-index-off", "pyclient/calibcert/query_batch.py",
        "        index.append(j)\n",
        "        index.append(0)\n",
        "find_many answers every pair with the first pair's data ID",
        (FMB + "test_repeats_in_other_spellings_answer_each_pair_in_order",),
    ),
    Mutant(
        "client-batch-any-type-repeats", "pyclient/calibcert/query_batch.py",
        "            if key is not None and _plain(data_id):",
        "            if key is not None:",
        "find_many takes a caller's own value type's equality for a repeat: one data ID"
        " answers for another",
        (FMB + "test_values_of_other_types_are_never_taken_for_repeats",),
    ),
    # -- sq-writes3 (revision 0018): fewer statements per small SQLite write ---------------
    Mutant(
        "sqlite-close-range-late-row-reported-last",
        "pyclient/calibcert/backends/sqlite/close_open_range.py",
        '" ORDER BY begin_us, data_id_key LIMIT 1", params)',
        '" ORDER BY begin_us DESC, data_id_key LIMIT 1", params)',
        "close_open_range refused by its UPDATE reports the latest row, not the earliest",
        (SQV + "test_close_open_range_refused_by_its_update_changes_nothing[by_statement]",),
    ),
    Mutant(
        "sqlite-close-range-bounds-untold",
        "pyclient/calibcert/backends/sqlite/close_open_range.py",
        'if _constraint_of(exc) != "certification_validity_bounds":',
        'if True:',
        "close_open_range lets the UPDATE's constraint error out instead of the precise one",
        (BC + "test_close_open_range_refuses_end_not_after_begin" + SQ_AT,),
    ),
    Mutant(
        "sqlite-close-range-skips-one-row",
        "pyclient/calibcert/backends/sqlite/close_open_range.py",
        "            if not n:  # nothing to close",
        "            if n < 2:  # nothing to close",
        "close_open_range returns before closing a single open row",
        (BC + "test_close_open_range_refuses_end_not_after_begin" + SQ_AT,),
    ),
    Mutant(
        "sqlite-collection-and-type-order",
        "pyclient/calibcert/backends/sqlite/catalog.py",
        "        return (self._collection_of(name, types, row),\n"
        "                self._dataset_type_of(dataset_type, need_calibration, row))\n",
        "        dtype = self._dataset_type_of(dataset_type, need_calibration, row)\n"
        "        return (self._collection_of(name, types, row), dtype)\n",
        "decertify / close_open_range report an unknown dataset type before a wrong collection",
        (GAPS + "test_a_wrong_collection_is_reported_before_a_wrong_dataset_type" + SQ,),
    ),
    Mutant(
        "sqlite-collection-and-type-no-calibration-check",
        "pyclient/calibcert/backends/sqlite/catalog.py",
        "                self._dataset_type_of(dataset_type, need_calibration, row))\n",
        "                self._dataset_type_of(dataset_type, False, row))\n",
        "decertify / close_open_range accept a dataset type that is not a calibration type",
        (BC + "test_close_open_range_errors" + SQ, BC + "test_decertify_errors" + SQ),
    ),
    Mutant(
        "sqlite-copy-never-bulk", "pyclient/calibcert/backends/sqlite/collections.py",
        "            if count and snap is None and self._copies_many(src.id):",
        "            if False:",
        "a large copy outside a transaction keeps the per-row foreign-key lookups",
        (SQC + "test_copy_counts_its_source_under_the_write_lock[bulk]",),
    ),
    Mutant(
        "sqlite-copy-name-taken-untold", "pyclient/calibcert/backends/sqlite/collections.py",
        '                if _constraint_of(exc) == "collection_name_key":',
        '                if False:',
        "copy_collection into a taken name raises the raw constraint error",
        (BCO + "test_copy_collection_errors" + SQ,),
    ),
    # -- hostile sessions (revision 0019, sec-locks) --------------------------------------
    Mutant(
        "pg-epoch-lock-advisory-again", "sql/functions/_stamp_epoch.sql",
        "    PERFORM FROM calib.epoch_lock FOR UPDATE SKIP LOCKED;\n"
        "    IF NOT FOUND THEN\n"
        "        v_old := calib._bound_waits();\n"
        "        BEGIN\n"
        "            SELECT l.only_row INTO STRICT v_row FROM calib.epoch_lock AS l FOR UPDATE;",
        "    IF NOT pg_try_advisory_xact_lock(7161124082373846386) THEN\n"
        "        v_old := calib._bound_waits();\n"
        "        BEGIN\n"
        "            PERFORM pg_advisory_xact_lock(7161124082373846386);",
        "the epoch lock is revision 0018's advisory lock again: any login holding the key stops"
        " every commit",
        (HOSTILE + "test_no_outsider_or_reader_lock_holds_up_a_commit",),
    ),
    Mutant(
        "pg-epoch-lock-not-taken", "sql/functions/_stamp_epoch.sql",
        "    PERFORM FROM calib.epoch_lock FOR UPDATE SKIP LOCKED;\n    IF NOT FOUND THEN",
        "    IF false THEN",
        "epochs are numbered without any lock: a later commit does not wait for an earlier"
        " one that numbered first",
        (HOSTILE + "test_the_epoch_lock_is_a_row_lock_held_to_the_commit",
         WAITS + "test_every_wait_ends_after_calib_lock_timeout_naming_what_it_waited_for"
         "[epoch lock]"),
    ),
    Mutant(
        "pg-epoch-lock-row-missing-ignored", "sql/functions/_stamp_epoch.sql",
        "SELECT l.only_row INTO STRICT v_row FROM calib.epoch_lock",
        "SELECT l.only_row INTO v_row FROM calib.epoch_lock",
        "with the lock row deleted by hand, commits number their epochs without any lock",
        (HOSTILE + "test_a_deleted_lock_row_stops_commits_instead_of_numbering_without_the_lock",),
    ),
    Mutant(
        "pg-request-replay-position-forged", "sql/functions/_request.sql",
        "    IF v_replay[2] = extract(epoch FROM transaction_timestamp())::text THEN",
        "    IF v_replay[1] IS NOT NULL THEN",
        "a replay position set by hand (not left by this transaction's calls) is trusted",
        (HOSTILE + "test_a_replay_position_set_by_hand_is_ignored",),
    ),
    Mutant(
        "pg-request-replay-role-unchecked", "sql/functions/_request.sql",
        "    IF v_change.db_role IS DISTINCT FROM calib._caller() THEN",
        "    IF v_replay[2] IS DISTINCT FROM extract(epoch FROM transaction_timestamp())::text\n"
        "       AND v_change.db_role IS DISTINCT FROM calib._caller() THEN",
        "the role is checked only when not replaying (as up to 0018): a forged replay"
        " position returns another role's result",
        (HOSTILE + "test_another_roles_request_id_is_refused_whatever_replay_call_says",),
    ),
    Mutant(
        "pg-deep-json-raw-error", "sql/functions/_json_text.sql",
        "OR invalid_parameter_value OR statement_too_complex THEN",
        "OR invalid_parameter_value THEN",
        "JSON nested deeper than the stack allows gives the raw 54001, not KC016",
        (HOSTILE + "test_documents_nested_too_deep_are_kc016[JSON nested 100000 deep]",),
    ),
    Mutant(
        "pg-deep-array-literal-raw-error", "sql/functions/_document.sql",
        "    EXCEPTION WHEN invalid_text_representation OR program_limit_exceeded THEN",
        "    EXCEPTION WHEN invalid_text_representation THEN",
        "an array literal of more than 6 dimensions gives the raw 54000, not KC016",
        (HOSTILE + "test_documents_nested_too_deep_are_kc016[array literal of 7 dimensions]",),
    ),
    Mutant(
        "pg-deep-json-object-raw-error", "sql/functions/_document.sql",
        "        EXCEPTION WHEN invalid_text_representation OR statement_too_complex THEN",
        "        EXCEPTION WHEN invalid_text_representation THEN",
        "a deeply nested JSON object where a list was expected gives the raw 54001",
        (HOSTILE + "test_documents_nested_too_deep_are_kc016[JSON object holding it]",),
    ),
    # -- security review s11, findings 1 and 3 (revision 0019): the install's search_path
    # and the guards' check (tests/test_install_hostile.py) --------------------------------
    Mutant(
        "install-online-path-unpinned", "migrations/env.py",
        "            cur.execute(preamble_sql().encode())\n",
        "            cur.execute(preamble_sql().encode())\n"
        "            cur.execute(b\"RESET search_path\")\n",
        "alembic online runs the revisions under the installer's search_path: DDL binds "
        "functions planted in public",
        (IH + "test_spies_planted_before_an_install_never_run[alembic]",
         IH + "test_spies_planted_before_an_upgrade_from_0018_never_run[alembic]"),
    ),
    Mutant(
        "install-offline-path-late", "migrations/env.py",
        "    out(PIN)\n",
        "",
        "the --sql script runs its guard before it pins search_path",
        (IH + "test_the_upgrade_script_pins_the_path_before_anything_else",),
    ),
    Mutant(
        "install-offline-path-unpinned", "migrations/env.py",
        "    out(preamble_sql())\n",
        "    out(preamble_sql() + \"RESET search_path;\\n\")\n",
        "the --sql script runs the revisions under the installer's search_path",
        (IH + "test_spies_planted_before_an_install_never_run[upgrade_sql]",
         IH + "test_spies_planted_before_an_upgrade_from_0018_never_run[upgrade_sql]"),
    ),
    Mutant(
        "install-sql-path-with-public", "sql/schema/preamble.sql",
        "SET search_path = pg_catalog, pg_temp;",
        "SET search_path = pg_catalog, pg_temp, public;",
        "install.sql (and every path through the preamble) leaves public on the path: an "
        "exact-type overload there still beats pg_catalog's polymorphic built-in",
        (IH + "test_spies_planted_before_an_install_never_run[install_sql]",),
    ),
    Mutant(
        "install-btree-gist-in-public", "sql/schema/preamble.sql",
        "CREATE EXTENSION btree_gist WITH SCHEMA calib_ext;",
        "CREATE EXTENSION btree_gist WITH SCHEMA public;",
        "btree_gist goes into public, where DROP SCHEMA public CASCADE takes the exclusion "
        "constraint with it",
        (IH + "test_btree_gist_is_out_of_public_and_survives_drop_schema_public",),
    ),
    Mutant(
        "install-calib-ext-of-another-role", "sql/schema/preamble.sql",
        "        IF v_owner <> current_user\n",
        "        IF false\n",
        "btree_gist goes into a calib_ext another role made beforehand (and can drop)",
        (IH + "test_a_calib_ext_made_beforehand_by_another_role_is_refused",),
    ),
    Mutant(
        "pg-integrity-dependency-public-allowed", "sql/functions/check_integrity.sql",
        "                    NOT IN ('pg_catalog'::regnamespace, 'calib'::regnamespace)",
        "                    NOT IN ('pg_catalog'::regnamespace, 'calib'::regnamespace,"
        " 'public'::regnamespace)",
        "check_integrity accepts a calib object depending on a function or operator in public",
        (IH + "test_a_dependency_on_a_function_outside_pg_catalog_is_reported",),
    ),
    Mutant(
        "pg-integrity-dependency-operators-unchecked", "sql/functions/check_integrity.sql",
        "              WHERE d.refclassid IN ('pg_proc'::regclass, 'pg_operator'::regclass,",
        "              WHERE d.refclassid IN ('pg_proc'::regclass,",
        "check_integrity misses a constraint bound to an operator planted in public",
        (IH + "test_a_dependency_on_a_function_outside_pg_catalog_is_reported",),
    ),
    Mutant(
        "pg-integrity-dependency-any-extension", "sql/functions/check_integrity.sql",
        "                          AND x.extname = 'btree_gist')\n",
        "                          )\n",
        "check_integrity accepts a calib object depending on any extension's member",
        (IH + "test_a_dependency_on_a_function_outside_pg_catalog_is_reported",),
    ),
    Mutant(
        "pg-integrity-guard-list-short", "sql/functions/check_integrity.sql",
        "                  ('certification', 'constraint', 'certification_no_overlap'),\n",
        "",
        "check_integrity does not miss the exclusion constraint when it is dropped",
        (IH + "test_each_guard_dropped_or_disabled_is_reported",),
    ),
    Mutant(
        "pg-integrity-guard-disabled-ignored", "sql/functions/check_integrity.sql",
        "                  SELECT t.tgenabled IN ('O', 'A') FROM pg_trigger AS t",
        "                  SELECT true FROM pg_trigger AS t",
        "check_integrity takes a disabled guard trigger for a working one",
        (IH + "test_each_guard_dropped_or_disabled_is_reported",),
    ),
    Mutant(
        "sqlite-integrity-guard-any-trigger", "sql/sqlite/functions/check_integrity.sql",
        "                  WHERE m.type = 'trigger' AND m.name = g.column2"
        " AND m.tbl_name = g.column1);",
        "                  WHERE m.type = 'trigger' AND m.tbl_name = g.column1);",
        "check_integrity on SQLite takes any trigger of a table for the missing one",
        (IH + "test_each_sqlite_trigger_dropped_is_reported",),
    ),
    # -- lead (revision 0019): a failed install leaves nothing (the newcomer review's F2) --
    Mutant(
        "install-commits-before-revisions", "migrations/env.py",
        "        # No commit here: the preamble (btree_gist, calib_ext), the schema and every\n",
        "        connection.commit()\n"
        "        # No commit here: the preamble (btree_gist, calib_ext), the schema and every\n",
        "the preamble and schema calib are committed before the revisions: a failed install"
        " leaves them behind",
        (SEC + "test_a_non_superuser_installs_once_member_of_calib_owner",),
    ),
    # -- s11: a newcomer's review of the client and the CLI (tests/test_cli_review.py) ----
    Mutant(
        "client-42501-raw", "pyclient/calibcert/errors.py",
        '    "42501": (AccessDeniedError, "permission denied"),  # insufficient_privilege: see\n',
        "",
        "PostgreSQL's own permission error reaches the caller raw (CLI: internal error, exit 5)",
        (REVIEW + "test_a_login_without_a_calibcert_role_is_told_so",
         REVIEW + "test_a_reader_calling_a_certifier_or_admin_function"),
    ),
    Mutant(
        "client-time-overflow-raw", "pyclient/calibcert/types.py",
        "    except OverflowError:  # 0001-01-01T00:00+01:00, 9999-12-31T23:00-01:00",
        "    except ZeroDivisionError:",
        "a time out of years 1-9999 in UTC raises OverflowError (CLI exit 5)",
        (REVIEW + "test_timespans_out_of_range_in_utc_are_invalid_timespans[sqlite]",
         REVIEW + "test_cli_times_out_of_range_are_bad_input[certify]"),
    ),
    Mutant(
        "sqlite-busy-timeout-unclamped", "pyclient/calibcert/backends/sqlite/connection.py",
        "        busy_timeout = min(busy_timeout, MAX_BUSY_TIMEOUT)",
        "        busy_timeout = busy_timeout",
        "a busy timeout beyond SQLite's int milliseconds overflows into no wait at all",
        (REVIEW + "test_python_busy_timeout_is_clamped_to_what_sqlite_takes",
         REVIEW + "test_a_huge_busy_timeout_waits[1e9]"),
    ),
    Mutant(
        "url-bad-sqlite-form-value-error", "pyclient/calibcert/urls.py",
        "        raise DatabaseAccessError(\n"
        "            f\"unsupported database URL: bad SQLite URL",
        "        raise ValueError(\n"
        "            f\"unsupported database URL: bad SQLite URL",
        "sqlite://x is a ValueError (CLI exit 5), not an unsupported URL",
        (REVIEW + "test_unsupported_urls_are_database_access_errors[sqlite://t.db]",),
    ),
    Mutant(
        "url-unknown-scheme-value-error", "pyclient/calibcert/urls.py",
        "    raise DatabaseAccessError(\n"
        "        f\"unsupported database URL {shown}",
        "    raise ValueError(\n"
        "        f\"unsupported database URL {shown}",
        "bogus://x is a ValueError in Python, not a CalibCertError",
        (REVIEW + "test_unsupported_urls_are_database_access_errors[bogus://x]",),
    ),
    Mutant(
        "url-empty-falls-back", "pyclient/calibcert/urls.py",
        "    if url is not None and not url.strip():",
        "    if False:",
        "--url '' silently uses $CALIBCERT_URL or the embedded default",
        (REVIEW + "test_an_empty_url_is_refused",),
    ),
    Mutant(
        "cli-output-path-unchecked", "pyclient/calibcert/cli/common.py",
        "    check_output(value)\n    return value",
        "    return value",
        "an output path that cannot be written is found only after the work (demo: all of it)",
        (REVIEW + "test_output_files_that_cannot_be_written[sqlite]",
         REVIEW + "test_demo_checks_its_plot_path_before_it_starts"),
    ),
    Mutant(
        "demo-directory-target", "pyclient/calibcert/demo.py",
        "        if path.is_dir():",
        "        if False:",
        "a demo whose SQLite file is a directory claims it holds data, then crashes",
        (REVIEW + "test_demo_on_a_directory_cannot_open_it",),
    ),
    Mutant(
        "client-json-repeated-key-kept", "pyclient/calibcert/exchange.py",
        "    if len(out) != len(pairs):",
        "    if False:",
        "a JSON data ID repeating a key keeps the last value silently",
        (REVIEW + "test_a_data_id_repeating_a_key_is_refused[sqlite]",),
    ),
    Mutant(
        "export-file-times-unplaced", "pyclient/calibcert/exchange.py",
        '                Timespan(parse_time(cert.get("begin"), "begin"), '
        'parse_time(cert.get("end"), "end"))',
        "                pass",
        "a time error in an export file names neither the file nor the entry",
        (REVIEW + "test_time_errors_in_an_export_file_name_file_and_entry"
                  "[2024-01-01T00:00:00-None-words0]",),
    ),
    Mutant(
        "export-file-certification-unplaced", "pyclient/calibcert/exchange.py",
        '                with _locating({str(x["dataset"]): f"{entry}.certifications[{j}]"',
        '                with _locating({"-" + str(x["dataset"]): f"{entry}.certifications[{j}]"',
        "an error the database finds about an export file's certification names no entry",
        (REVIEW + "test_a_certification_of_a_missing_dataset_names_its_entry[sqlite]",),
    ),
    Mutant(
        "cli-no-command-squashed", "pyclient/calibcert/cli/__init__.py",
        "    except _NO_COMMAND as exc:",
        "    except ZeroDivisionError as exc:",
        "calibcert alone prints its whole help squashed into one error line",
        (REVIEW + "test_no_command_prints_the_help",),
    ),
    Mutant(
        "replicas-no-round-robin", "pyclient/calibcert/replicas.py",
        "start, self._turn = self._turn, (self._turn + 1) % len(self.standbys)",
        "start, self._turn = 0, (self._turn + 1) % len(self.standbys)",
        "every read goes to the first standby: no round robin",
        (REP + "test_lookups_are_spread_over_both_standbys_with_the_primarys_answers",),
    ),
)
