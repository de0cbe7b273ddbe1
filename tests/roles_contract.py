"""Which role may call each public function: the contract's table, written by hand.

docs/API.md "Roles and collection states": ``calib_reader`` looks up and lists,
``calib_certifier`` also changes the content of collections (datasets, tags,
certifications, copies), ``calib_admin`` also shapes the registry (collections, dataset
types, chains, states, writer lists, revert). The roles are a hierarchy, so each overload
is declared with the *lowest* role that may call it. This table is not read from
sql/schema/grants.sql (a test of the grants against themselves would prove nothing);
tests/test_roles.py fails if a public function of the installed schema is missing here,
so a function added later must be declared.
"""

from __future__ import annotations

#: The service roles, lowest first; each holds every right of the ones before it.
LEVELS = ("reader", "certifier", "admin")
#: Test logins: each holds exactly one of these roles (default prefix), or none.
#: calib_writer (revisions up to 0011) is a member of calib_certifier.
LEVEL_OF_ROLE = {"calib_reader": "reader", "calib_certifier": "certifier",
                 "calib_writer": "certifier", "calib_admin": "admin"}

_READ = "reader"
_CERTIFY = "certifier"
_ADMIN = "admin"
_TS = "timestamp with time zone"

LOWEST_ROLE: dict[str, str] = {
    # -- lookups and listings: reader ------------------------------------------------------
    "calib.find(text,text,jsonb,text)": _READ,
    f"calib.find(text,text,jsonb,{_TS})": _READ,
    "calib.find(text,text,jsonb,tstzrange)": _READ,
    "calib.find(text,text,text,text)": _READ,
    "calib.find_many(text,text,jsonb,jsonb)": _READ,
    f"calib.find_many(text,text,jsonb[],{_TS}[])": _READ,
    "calib.find_many(text,text,jsonb[],tstzrange[])": _READ,
    "calib.find_many(text,text,text,text)": _READ,
    "calib.certifications(text,text)": _READ,
    "calib.query_datasets(text,text,jsonb)": _READ,
    "calib.query_datasets(text,text,text)": _READ,
    "calib.get_datasets(jsonb)": _READ,
    "calib.get_datasets(text)": _READ,
    "calib.get_datasets(uuid[])": _READ,
    "calib.get_chain(text)": _READ,
    "calib.list_collections(text)": _READ,
    "calib.list_dataset_types()": _READ,
    "calib.probe(integer,integer,tstzrange)": _READ,
    # a private helper granted anyway: probe (SECURITY INVOKER) calls it for snapshot members
    "calib._snapshot_ids(integer,integer,tstzrange,bigint)": _READ,
    # -- changes to the content of collections: certifier ----------------------------------
    "calib.insert_datasets(text,text,jsonb,jsonb)": _CERTIFY,
    "calib.insert_datasets(text,text,jsonb[],uuid[])": _CERTIFY,
    "calib.insert_datasets(text,text,text,text)": _CERTIFY,
    "calib.tag(text,jsonb)": _CERTIFY,
    "calib.tag(text,text)": _CERTIFY,
    "calib.tag(text,uuid[])": _CERTIFY,
    "calib.untag(text,jsonb)": _CERTIFY,
    "calib.untag(text,text)": _CERTIFY,
    "calib.untag(text,uuid[])": _CERTIFY,
    "calib.certify(text,jsonb,tstzrange,boolean)": _CERTIFY,
    "calib.certify(text,text,text,text)": _CERTIFY,
    "calib.certify(text,uuid[],tstzrange,boolean)": _CERTIFY,
    "calib.certify_series(text,jsonb,jsonb,boolean)": _CERTIFY,
    "calib.certify_series(text,text,text,text)": _CERTIFY,
    f"calib.certify_series(text,uuid[],{_TS}[],boolean)": _CERTIFY,
    "calib.decertify(text,text,text,text)": _CERTIFY,
    "calib.decertify(text,text,tstzrange,jsonb)": _CERTIFY,
    "calib.decertify(text,text,tstzrange,jsonb[])": _CERTIFY,
    "calib.close_open_range(text,text,text,text)": _CERTIFY,
    f"calib.close_open_range(text,text,{_TS},jsonb)": _CERTIFY,
    f"calib.close_open_range(text,text,{_TS},jsonb[])": _CERTIFY,
    "calib.copy_collection(text,text,text)": _CERTIFY,
    # snapshots (revision 0014): a copy that costs nothing, as copy_collection
    "calib.snapshot_collection(text,text,bigint)": _CERTIFY,
    "calib.snapshot_collection(text,text,text)": _CERTIFY,
    # -- the registry's shape: admin -------------------------------------------------------
    "calib.register_collection(text,text,text)": _ADMIN,
    "calib.remove_collection(text)": _ADMIN,
    "calib.set_chain(text,jsonb)": _ADMIN,
    "calib.set_chain(text,text)": _ADMIN,
    "calib.set_chain(text,text[])": _ADMIN,
    "calib.register_dataset_type(text,jsonb,boolean)": _ADMIN,
    "calib.register_dataset_type(text,text,text)": _ADMIN,
    "calib.register_dataset_type(text,text[],boolean)": _ADMIN,
    # -- collection states and writer lists (revision 0012): admin ---------------------------
    "calib.set_collection_state(text,text)": _ADMIN,
    # revert (revision 0014): a change can span collections, chains and registrations
    "calib.revert(bigint,boolean)": _ADMIN,
    "calib.revert(text,text)": _ADMIN,
    "calib.set_collection_writers(text,jsonb)": _ADMIN,
    "calib.set_collection_writers(text,text)": _ADMIN,
    "calib.set_collection_writers(text,text[])": _ADMIN,
    # -- health (revision 0012): reader --------------------------------------------------------
    "calib.check_integrity()": _READ,
    "calib.collection_stats()": _READ,
    # -- digests (issue 16): reader ------------------------------------------------------------
    "calib.collection_digest(text)": _READ,
    # -- history (revision 0014): reader --------------------------------------------------
    "calib.current_epoch()": _READ,
    f"calib.epoch_at({_TS})": _READ,
    "calib.history(text,text,jsonb,bigint,bigint)": _READ,
    "calib.epoch_at(text)": _READ,
    "calib.history(text,text,text,text,text)": _READ,
    # -- explain (revision 0014): reader, like find -----------------------------------------
    f"calib.explain(text,text,jsonb,{_TS},bigint)": _READ,
    "calib.explain(text,text,jsonb,tstzrange,bigint)": _READ,
    "calib.explain(text,text,text,text,text)": _READ,
    f"calib.find(text,text,jsonb,{_TS},bigint)": _READ,
    "calib.find(text,text,jsonb,tstzrange,bigint)": _READ,
    "calib.find(text,text,jsonb,text,bigint)": _READ,
    "calib.find(text,text,text,text,text)": _READ,
    f"calib.find_many(text,text,jsonb[],{_TS}[],bigint)": _READ,
    "calib.find_many(text,text,jsonb[],tstzrange[],bigint)": _READ,
    "calib.certifications(text,text,bigint)": _READ,
    "calib.get_chain(text,bigint)": _READ,
    "calib.list_collections(text,bigint)": _READ,
    "calib.query_datasets(text,text,jsonb,bigint)": _READ,
    "calib.collection_digest(text,bigint)": _READ,
    # -- retention (issue 16, item 8): admin, dropping history is a DBA's decision ----------
    "calib.prune_history(bigint)": _ADMIN,
    # (later: revert(...): _ADMIN)
}


def may_call(level: str | None, signature: str) -> bool:
    """Whether a holder of role level ``level`` (None: no calibcert role) may call it."""
    return level is not None and LEVELS.index(level) >= LEVELS.index(LOWEST_ROLE[signature])
