"""Error messages, rendered in one place from (kind, details), for both backends.

Every error the SQL functions raise names its *kind* in its DETAIL JSON (``"kind"``), next
to every fact its message prints; the SQLite backend raises the same kinds with the same
details. :data:`KINDS` maps each kind to its SQLSTATE and the template of its message, and
:func:`render` fills the template from the details, so a message reads the same whichever
backend raised it, by construction. (psql shows the server's own MESSAGE, which says the
same facts in PostgreSQL's notation: ``%L`` quoting, jsonb and array texts.) An error that
names no kind keeps the text it came with: a constraint violation, PostgreSQL's own
lock_timeout, a raise by other code; and the clients' checks of their connection (schema
missing or at another revision, SQLite's busy timeout), which no server function raises.

The details are rendered in their JSON form, as the DETAIL carries them: names and dataset
ids as strings, data IDs as objects, instants as ISO 8601 strings, timespans as
``[begin, end]`` pairs with ``null`` for an unbounded side. The formats, in templates as
conversions ``{field!x}``:

    ``!q``  a name, quoted as Python quotes a string (``'Cam/calib'``); ``NULL`` for null
    ``!d``  a data ID as JSON with its keys sorted (``{"detector": 1, "instrument": "Cam"}``)
    ``!t``  an instant in UTC with microseconds (``2024-01-01T00:00:00.000000+00:00``)
    ``!b``  the same, ``-infinity`` for null (an unbounded begin)
    ``!p``  a timespan ``[begin, end)``, ``-inf`` / ``+inf`` for an unbounded side
    ``!l``  a list of names, ``a, b``; ``!o`` the same joined with ``or``
    ``!v``  any value; ``NULL`` for null
    ``!j``  any JSON value as JSON (``1``, ``"zz"``), as PostgreSQL prints a jsonb
    ``!s``  a long text shortened: its first 40 characters, quoted as ``!q``, then ``...``

A few fields are derived from the details rather than stored (:data:`_DERIVED`): ``first``
(the first conflict), ``more`` (`` (and N more)``), ``short_name`` (a name cut to 40
characters), ``missing_part`` / ``unexpected_part`` (the keys a data ID lacks or has too
many), ``range`` (a timespan with its bounds as given), ``element_part`` (`` (element
N)`` for an element of a list document, empty for a whole argument) and ``row`` (the row a
revert conflict names, from its dataset, position or collection facts).

This module imports nothing from calibcert: :mod:`calibcert.errors` builds the exceptions
from it (:func:`calibcert.errors.error`).
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

#: kind -> (SQLSTATE, message template). One entry per distinct message.
KINDS: dict[str, tuple[str, str]] = {
    # KC001 ConflictingCertificationError
    "certification_conflict": (
        "KC001",
        "certification into {collection!q} conflicts: {first[dataset_type]} data ID"
        " {first[data_id]!d}, dataset {first[dataset]} over {first[timespan]!p} overlaps"
        " dataset {first[conflicting_dataset]} over {first[conflicting_timespan]!p}{more}"),
    "certification_conflict_concurrent": (
        "KC001", "certification into {collection!q} conflicts with a concurrent writer"),
    "series_duplicate_begin": (
        "KC001",
        "certify_series into {collection!q}: {first[dataset_type]} data ID"
        " {first[data_id]!d} has two items beginning at {first[timespan][0]!b}"),
    "revert_overlap": (
        "KC001",
        "cannot revert epoch {epoch}: restoring {first[dataset_type]} data ID"
        " {first[data_id]!d}, dataset {first[dataset]} over {first[timespan]!p} in"
        " {collection!q} overlaps dataset {first[conflicting_dataset]} over"
        " {first[conflicting_timespan]!p}, certified by epoch {first[conflicting_epoch]}{more}"),
    # KC002 MissingCollectionError
    # history (revision 0014): a name looked up as of an epoch / in the history
    "collection_missing_as_of": (
        "KC002", "collection {collection!q} did not exist at epoch {as_of}"),
    "collection_never": ("KC002", "collection {collection!q} does not exist and never did"),
    "collection_missing": ("KC002", "collection {collection!q} does not exist"),
    "collection_removed_concurrently": (
        "KC002", "collection {collection!q} was removed by a concurrent transaction"),
    "chain_child_missing": (
        "KC002", "collection {collection!q} (child of chain {parent!q}) does not exist"),
    # snapshots (revision 0014): copying a snapshot of a chain whose member is gone
    "snapshot_member_removed": (
        "KC002",
        "cannot copy snapshot {collection!q}: its chain member {member!q} has been removed"
        " since"),
    # KC003 CollectionTypeError
    "collection_type": ("KC003", "collection {collection!q} is {type}; expected {expected!o}"),
    "plot_collection_type": (
        "KC003",
        "collection {collection!q} is {type}, not {expected!o}: a {type} collection's datasets"
        " answer lookups for all time, so it has no validity timeline to plot"),
    # KC004 CollectionCycleError
    "chain_cycle": (
        "KC004", "making {child!q} a child of chain {collection!q} would create a cycle"),
    # KC005 MissingDatasetTypeError
    "dataset_type_missing": ("KC005", "dataset type {dataset_type!q} does not exist"),
    # KC006 DatasetTypeError
    "not_calibration_type": (
        "KC006", "dataset type {dataset_type!q} is not a calibration type"),
    "not_calibration_certify": (
        "KC006",
        "dataset type {dataset_type!q} is not a calibration type and cannot be certified"),
    # KC007 MissingDatasetError
    "dataset_missing": ("KC007", "dataset {dataset} does not exist"),
    # KC008 DataIdError
    "data_id_null": (
        "KC008", "data ID NULL for dataset type {dataset_type!q} is not a JSON object"),
    "data_id_not_object": (
        "KC008", "data ID {data_id!d} for dataset type {dataset_type!q} is not a JSON object"),
    "data_id_dimensions": (
        "KC008",
        "data ID {data_id!d} does not match the dimensions ({dimensions!l}) of dataset type"
        " {dataset_type!q}{missing_part}{unexpected_part}"),
    "data_id_value": (
        "KC008",
        "data ID {data_id!d} for dataset type {dataset_type!q} has a value that is neither a"
        " string nor a 64-bit integer"),
    "data_id_value_length": (
        "KC008",
        "data ID value {dimension!q}={value!s} for dataset type {dataset_type!q} must be 1 to"
        " 255 characters long (got {length})"),
    "data_id_value_character": (
        "KC008",
        "data ID value {dimension!q}={value!q} for dataset type {dataset_type!q} contains a"
        " forbidden character ({character})"),
    "data_id_key_character": (
        "KC008",
        "data ID key {key!s} for dataset type {dataset_type!q} contains a character that"
        " cannot be stored ({character})"),
    "data_id_value_type": (
        "KC008",
        "data ID {data_id!d} for dataset type {dataset_type!q}: dimension {dimension!q} holds"
        " {value_type} values, not {value!d}"),
    "data_id_size": (
        "KC008",
        "data ID for dataset type {dataset_type!q} is {size} bytes as canonical JSON; at most"
        " 2000 are allowed"),
    # KC009 InvalidTimespanError
    "timespan_empty": ("KC009", "timespan is empty: begin must be before end"),
    "timespan_bounds": (
        "KC009", "timespan {range} must have [) bounds (begin included, end excluded)"),
    "timespan_reversed": (
        "KC009", "timespan {range} is empty or reversed: begin must be before end"),
    "time_naive": (
        "KC009", "{what}{element_part} {value!q} has no UTC offset (write it with Z or +hh:mm)"),
    "time_syntax": (
        "KC009", "{what}{element_part} {value!q} is not an ISO 8601 instant with a UTC offset"),
    "timespan_syntax": (
        "KC009",
        "{what}{element_part} {value!q} is not a timespan such as"
        " [2024-01-01T00:00Z,2024-02-01T00:00Z)"),
    "series_infinite_begin": (
        "KC009",
        "certify_series into {collection!q}: a begin of +infinity leaves an empty timespan"),
    "close_open_range_end": (
        "KC009", "close_open_range in {collection!q} needs a finite end, not {end!v}"),
    "close_open_range_begins_after": (
        "KC009",
        "cannot close {dataset_type!q} data ID {data_id!d} in {collection!q} at {end!t}:"
        " dataset {dataset} begins at {timespan[0]!t}"),
    # KC010 ConflictingDefinitionError
    "collection_exists": ("KC010", "collection {collection!q} already exists"),
    "collection_exists_as": (
        "KC010", "collection {collection!q} already exists as {type}, not {requested}"),
    "dataset_type_exists_as": (
        "KC010",
        "dataset type {dataset_type!q} already exists with dimensions ({dimensions!l}),"
        " is_calibration={is_calibration}"),
    "data_id_repeated": (
        "KC010",
        "data ID {data_id!d} of dataset type {dataset_type!q} appears more than once in one"
        " call"),
    "dataset_id_repeated": ("KC010", "dataset id {dataset} appears more than once in one call"),
    "dataset_id_exists": ("KC010", "dataset id {dataset} already exists"),
    "run_data_id_exists": (
        "KC010",
        "RUN {collection!q} already has a {dataset_type!q} dataset with data ID {data_id!d}"),
    "tag_clash": (
        "KC010",
        "TAGGED collection {collection!q} can hold only one {dataset_type!q} dataset with"
        " data ID {data_id!d}: {dataset} and {conflicting_dataset}"),
    # KC011 CalibrationLookupError
    "lookup_ambiguous_at": (
        "KC011",
        "lookup of {dataset_type!q} data ID {data_id!d} in {searched!q} is ambiguous:"
        " collection {collection!q} has more than one certification valid at {at!t}"),
    "lookup_ambiguous_during": (
        "KC011",
        "lookup of {dataset_type!q} data ID {data_id!d} in {searched!q} is ambiguous:"
        " collection {collection!q} has more than one certification valid during"
        " {timespan!p}"),
    # KC013 CollectionInUseError
    "collection_in_chain": (
        "KC013", "collection {collection!q} is still a child of chain {parent!q}"),
    "run_has_datasets": (
        "KC013",
        "RUN collection {collection!q} still holds datasets; datasets are never deleted"),
    # KC014 InvalidNameError
    "name_length": (
        "KC014", "{what} {short_name!q} must be 1 to 255 characters long (got {length})"),
    "name_character": ("KC014", "{what} {name!q} contains a forbidden character ({character})"),
    # KC015 InvalidArgumentError
    "argument_null": ("KC015", "{what} must not be NULL"),
    "datasets_null": ("KC015", "datasets must be a non-NULL array of non-NULL ids"),
    "chain_children_null": ("KC015", "chain children must be a non-NULL array of names"),
    "dataset_type_definition_null": (
        "KC015", "dimensions and is_calibration must not be NULL"),
    "collection_type_unknown": (
        "KC015",
        "unknown collection type {type!q}; expected RUN, TAGGED, CALIBRATION or CHAINED"),
    "dimensions_count": (
        "KC015",
        "dataset type {dataset_type!q} has {count} dimensions; at most 32 are allowed"),
    "dimensions_repeated": (
        "KC015", "dimensions of dataset type {dataset_type!q} repeat a name: ({dimensions!l})"),
    "ids_count": (
        "KC015",
        "{n_ids!v} ids given for {n_data_ids!v} data IDs (ids must be non-NULL, one per data"
        " ID)"),
    "series_begins_count": (
        "KC015",
        "certify_series into {collection!q} needs one begin per dataset ({n_datasets!v}"
        " datasets, {n_begins!v} begins)"),
    "lookup_times_count": (
        "KC015", "lookup in {collection!q} needs one time (or NULL) per data ID"),
    "as_of_range": (
        "KC015",
        "as_of epoch {as_of} is out of range: epochs run from 0 to the current epoch"
        " {current}"),
    "epoch_text": ("KC015", "{what} must be an epoch (an integer), not {value!q}"),
    # retention and request ids (README "Retention and request ids")
    "as_of_pruned": (
        "KC015",
        "epoch {as_of} was pruned: history is kept from epoch {earliest} on"
        " (calib.prune_history)"),
    "prune_snapshot": (
        "KC015",
        "prune_history before epoch {before} would drop what a snapshot reads (epoch"
        " {snapshot_epoch}): remove the snapshot first, or prune before epoch"
        " {snapshot_epoch} at most"),
    "prune_range": (
        "KC015",
        "prune_history before epoch {before} is out of range: epochs run from 0 to the"
        " current epoch {current}"),
    "request_id_invalid": (
        "KC015", "request id must be at most 200 characters, not {length}"),
    "request_id_late": (
        "KC015",
        "request id {request_id!q} set after this transaction's first change: set"
        " calib.request_id before the first call"),
    "request_id_foreign": (
        "KC015",
        "request id {request_id!q} belongs to a change of another role: choose another"
        " request id"),
    "request_id_mismatch": (
        "KC015",
        "request id {request_id!q} was committed at epoch {epoch}, whose call {call} was"
        " {recorded!v}, not {operation}: a retry must repeat the same calls"),
    # The references of calib.certification_version to calib.change (revision 0017): the
    # code of the foreign keys the triggers replace, met only by raw SQL on the history.
    "version_change_missing": (
        "23503", "a version of certification names change {change}, which does not exist"),
    "change_referenced": (
        "23503", "a change that versions of certifications name cannot be deleted, re-keyed or"
        " truncated away"),
    "change_delete_isolation": (
        "0A000",
        "changes can be deleted, re-keyed or truncated only under READ COMMITTED (this"
        " transaction is {isolation}: its snapshot cannot see versions committed since)"),
    "request_id_snapshot": (
        "40001",
        "request id {request_id!q} was committed by another transaction after this"
        " transaction's snapshot; retry"),
    "history_data_id_type": ("KC015", "history of a data ID needs its dataset type"),
    "revert_epoch_missing": (
        "KC015",
        "epoch {epoch} is not a committed change: nothing to revert (current epoch"
        " {current})"),
    "lock_timeout_setting": (
        "KC015",
        "calib.lock_timeout must be a time such as '10s', '500ms' or '0' (do not wait), not"
        " {value!q}"),
    # 55P03 LockTimeoutError: a bounded wait ran out (calib._lock_timeout, the one place);
    # waiting_for is the server's text (PostgreSQL quoting), the facts are beside it.
    "lock_timeout": (
        "55P03",
        "lock timeout: gave up after {lock_timeout} waiting for {waiting_for}; nothing was"
        " changed, retry"),
    # KC016 InvalidDocumentError (a JSON document or text argument, README "Calling from
    # another service"); position: 1-based, null for the argument as a whole
    "document_not_array": ("KC016", "{what} must be a JSON array, not a JSON {found}"),
    "document_syntax": ("KC016", "{what}{element_part} cannot be read as {syntax}: {reason}"),
    "document_element": (
        "KC016", "{what} (element {position}) must be {expected}, not {value!j}"),
    "argument_text": ("KC016", "{what} must be {expected}, not {value!q}"),
    # KC015 too: collection states and writer lists (README "Collection states and writers")
    "collection_state_unknown": (
        "KC015", "unknown collection state {state!q}; expected OPEN, APPEND_ONLY or FROZEN"),
    "writers_invalid": (
        "KC015",
        "writers of {collection!q} must be NULL (every certifier) or a non-empty list of role"
        " names"),
    "role_missing": ("KC015", "role {role!q} (writer of {collection!q}) does not exist"),
    "writers_postgresql_only": (
        "KC015",
        "writer lists need PostgreSQL roles: set_collection_writers of {collection!q} is not"
        " available on SQLite"),
    # KC017 AccessDeniedError
    "access_denied": (
        "KC017",
        "role {role!q} may not change collection {collection!q}: only members of"
        " {writers!l} may ({operation} refused)"),
    # KC018 CollectionStateError
    "collection_frozen": ("KC018", "collection {collection!q} is FROZEN: {operation} refused"),
    # snapshots (revision 0014): FROZEN by construction
    "snapshot_frozen": (
        "KC018",
        "collection {collection!q} is a snapshot: FROZEN by construction, it cannot become"
        " {state}"),
    "collection_append_only": (
        "KC018", "collection {collection!q} is APPEND_ONLY: {operation} refused"),
    "append_only_begin": (
        "KC018",
        "collection {collection!q} is APPEND_ONLY: {operation} refused: {dataset_type!q} data"
        " ID {data_id!d} begins at {begin!b}, before the latest begin {latest!b}"),
    # KC019 RevertConflictError (README "Revert"); row: derived (_revert_row)
    "revert_row_changed": (
        "KC019",
        "cannot revert epoch {epoch}: {what} {row} in {collection!q} was changed or removed"
        " since, by epoch {later_epoch!v}"),
    "revert_in_use": (
        "KC019",
        "cannot revert epoch {epoch}: {what} {row} in {collection!q} is in use since epoch"
        " {later_epoch!v}"),
    "revert_occupied": (
        "KC019",
        "cannot revert epoch {epoch}: {what} {row} in {collection!q} cannot be restored: its"
        " place was taken by epoch {later_epoch!v}"),
    "revert_target_removed": (
        "KC019",
        "cannot revert epoch {epoch}: {what} {row} in {collection!q} cannot be restored: its"
        " {missing} was removed by epoch {later_epoch!v}"),
    "revert_chain_cycle": (
        "KC019",
        "cannot revert epoch {epoch}: restoring the chain {collection!q} would create a"
        " cycle"),
    "revert_dry_run": ("KC019", "dry run of revert of epoch {epoch}: rolled back"),
}


def sqlstate(kind: str) -> str:
    """The SQLSTATE of ``kind`` (KeyError if it is not one of :data:`KINDS`)."""
    return KINDS[kind][0]


# -- formats ---------------------------------------------------------------------------------


def name(value: Any) -> str:
    """A name as Python quotes a string; NULL for none."""
    if value is None:
        return "NULL"
    return repr(value) if isinstance(value, str) else str(value)


def data_id(value: Any) -> str:
    """A data ID (or any JSON value) as JSON, keys sorted, non-ASCII kept."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def instant(value: Any) -> str:
    """An instant in UTC, ISO 8601 with microseconds. A text that is not an ISO instant
    (``infinity``) is shown as it is."""
    if isinstance(value, str):
        try:
            t = datetime.fromisoformat(value)
        except ValueError:
            return value
    elif isinstance(value, datetime):
        t = value
    else:
        return value_text(value)
    if t.tzinfo is not None:
        t = t.astimezone(timezone.utc)
    return t.isoformat(timespec="microseconds")


def timespan(value: Any) -> str:
    """A timespan ``[begin, end)``: a ``[begin, end]`` pair (None: unbounded side) or an
    object with ``begin`` / ``end`` (calibcert.types.Timespan)."""
    if value is None:
        return "NULL"
    if isinstance(value, (list, tuple)) and len(value) == 2:
        begin, end = value
    else:
        begin, end = getattr(value, "begin", None), getattr(value, "end", None)
    return (f"[{'-inf' if begin is None else instant(begin)}, "
            f"{'+inf' if end is None else instant(end)})")


def names(values: Any, sep: str = ", ") -> str:
    """A list of names, unquoted, joined by ``sep``."""
    if values is None:
        return "NULL"
    return sep.join(value_text(v) for v in values)


def json_text(value: Any) -> str:
    """A JSON value as PostgreSQL prints jsonb (``1``, ``"zz"``, ``{"a": 1}``)."""
    return json.dumps(value, ensure_ascii=False, default=str)


def jsonb_key_order(keys: Any) -> list[str]:
    """jsonb stores (and prints) object keys shorter first, then bytewise."""
    return sorted(keys, key=lambda k: (len(k.encode()), k.encode()))


def jsonb_text(value: Any) -> str:
    """Any JSON value exactly as PostgreSQL prints it as jsonb, whatever the order of a
    dict's keys: keys in jsonb's order (:func:`jsonb_key_order`), ``", "`` and ``": "``
    separators (``{"zz": 1, "abc": 2}``)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {jsonb_text(value[k])}"
                               for k in jsonb_key_order(value)) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(jsonb_text(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False, default=str)


def value_text(value: Any) -> str:
    """Any other value; NULL for none."""
    return "NULL" if value is None else str(value)


def short(value: Any) -> str:
    """A text that may be long (up to megabytes): its first 40 characters, quoted."""
    if isinstance(value, str) and len(value) > 40:
        return name(value[:40]) + "..."
    return name(value)


_CONVERSIONS: dict[str, Callable[[Any], str]] = {
    "q": name,
    "s": short,
    "d": data_id,
    "t": instant,
    "b": lambda v: "-infinity" if v is None else instant(v),
    "p": timespan,
    "l": names,
    "o": lambda v: names(v, " or "),
    "v": value_text,
    "j": json_text,
}


def _more(d: Mapping[str, Any]) -> str:
    n = len(d.get("conflicts") or ()) - 1
    return f" (and {n} more)" if n > 0 else ""


def _part(label: str, key: str) -> Callable[[Mapping[str, Any]], str]:
    def part(d: Mapping[str, Any]) -> str:
        values = d.get(key)
        return f"; {label} {names(values)}" if values else ""
    return part


def _range(d: Mapping[str, Any]) -> str:
    """A timespan as given, with its bounds (``bounds``: two characters such as ``(]``)
    and its sides (``begin`` / ``end``: None when unbounded)."""
    bounds = d.get("bounds") or "[)"
    begin, end = d.get("begin"), d.get("end")
    return (f"{bounds[0]}{'-inf' if begin is None else instant(begin)}, "
            f"{'+inf' if end is None else instant(end)}{bounds[1]}")


def _revert_row(d: Mapping[str, Any]) -> str:
    """The row a revert conflict names, as people read it (calib._revert_conflict prints
    the same in its server message): a dataset row by type, data ID (as jsonb prints it),
    dataset and validity; a chain position by position and child; else the collection."""
    if d.get("dataset_type") is not None:
        text = (f"{d['dataset_type']} data ID {jsonb_text(d.get('data_id'))},"
                f" dataset {d.get('dataset')}")
        span = d.get("validity")
        return text if span is None else (
            f"{text} over [{span[0] or '-inf'}, {span[1] or '+inf'})")
    if d.get("position") is not None:
        return f"{d['position']} (child {name(d.get('child'))})"
    return name(d.get("collection"))


#: Fields computed from the details when a template names them.
_DERIVED: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "first": lambda d: d["conflicts"][0],
    "more": _more,
    "short_name": lambda d: d["name"][:40] if isinstance(d.get("name"), str) else d["name"],
    "missing_part": _part("missing", "missing"),
    "unexpected_part": _part("unexpected", "unexpected"),
    "range": _range,
    "element_part": lambda d: ("" if d.get("position") is None
                               else f" (element {d['position']})"),
    "row": _revert_row,
}


class _Facts(dict):
    """The details, plus the derived fields (computed when a template asks for them)."""

    def __missing__(self, key: str) -> Any:
        if key in _DERIVED:
            return _DERIVED[key](self)
        raise KeyError(key)


class _Formatter(string.Formatter):
    def get_value(self, key: int | str, args: Any, kwargs: Any) -> Any:
        return kwargs[key]

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion in _CONVERSIONS:
            return _CONVERSIONS[conversion](value)
        return super().convert_field(value, conversion)


_FORMATTER = _Formatter()


def render(kind: str, details: Mapping[str, Any]) -> str:
    """The message of error ``kind`` with ``details`` (their JSON form, see the module
    docstring). KeyError for an unknown kind or a fact the template needs but the details
    lack."""
    return _FORMATTER.vformat(KINDS[kind][1], (), _Facts(details))


def template_fields(kind: str) -> set[str]:
    """The top-level fields the template of ``kind`` names (derived ones included)."""
    out = set()
    for _, field, _, _ in _FORMATTER.parse(KINDS[kind][1]):
        if field is not None:
            out.add(field.split("[", 1)[0].split(".", 1)[0])
    return out
