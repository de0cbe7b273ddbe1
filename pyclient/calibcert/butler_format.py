"""The Rubin Observatory Butler's export files (``Butler.export(format="yaml")``, export
format 1.0.x): read into a calibcert-export document, which :mod:`calibcert.exchange`
imports (one transaction, its conflict rules), and written from one, for ``Butler.import_``.

What a Butler export holds and what becomes of it (README "To and from the Rubin Butler"):

- ``dataset_type`` entries: name, dimensions, is_calibration → dataset types. Their
  ``storage_class`` is Butler metadata calibcert does not keep: an export back writes the
  storage classes it is given (``storage_classes``), else no dataset_type entry (the target
  repository must then already define the type, as any repository receiving calibrations
  of its instruments does).
- ``collection`` entries: RUN, TAGGED, CALIBRATION, CHAINED (``children``, search order),
  with their ``doc``. A RUN's ``host`` and ``timespan_begin``/``timespan_end`` are dropped.
- ``dataset`` blocks: per dataset type and run, records of parallel ``dataset_id`` (``!uuid``)
  and ``data_id`` lists → datasets with the Butler's ids. ``path`` and ``formatter`` (the file
  artifacts) are dropped: calibcert holds registry content only.
- ``associations``: a TAGGED collection's ``dataset_ids``; a CALIBRATION collection's
  ``validity_ranges``, each a ``!lsst.daf.butler.Timespan`` (``begin``/``end``, ``null`` =
  unbounded) with the ``dataset_ids`` valid over it (the dataset type comes from the id).
- ``dimension`` records: dropped (the target of an export back must have its instruments'
  records, as every Butler repository does).

Times are ``!butler_time/tai/iso`` strings in International Atomic Time with nanoseconds.
They are converted to UTC with astropy (the optional extra ``calibcert[butler]``): exactly,
or not at all: an instant that is not a whole microsecond, or that falls inside a leap
second (UTC 23:59:60), is refused, since calibcert stores UTC microseconds.

Every problem is an :class:`~calibcert.errors.InvalidArgumentError` naming the file and
the element (``data[3].records[2]``); nothing is imported then.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import yaml

from .errors import InvalidArgumentError
from .exchange import (
    FORMAT,
    VERSION,
    ImportSummary,
    Progress,
    _noop,
    export_data,
    format_time,
    import_data,
    parse_structured,
    parse_time,
)
from .registry import Registry

TAI_TAG = "!butler_time/tai/iso"
TIMESPAN_TAG = "!lsst.daf.butler.Timespan"
UUID_TAG = "!uuid"
DESCRIPTION = "Butler Data Repository Export"
#: The export format version written, and the newest read (major 1, minor 0).
BUTLER_FORMAT_VERSION = "1.0.2"

_COLLECTION_TYPES = ("RUN", "TAGGED", "CALIBRATION", "CHAINED")
_TAI_TEXT = re.compile(r"(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?")


# -- times ------------------------------------------------------------------------------------


def _astropy_time() -> Any:
    try:
        from astropy.time import Time
    except ImportError:
        raise InvalidArgumentError(
            "Butler export files carry TAI times, converted with astropy: install it with"
            " pip install 'calibcert[butler]'") from None
    return Time


def tai_to_utc(text: str, what: str = "time") -> datetime:
    """A Butler TAI time (``2024-01-01 00:00:37.000000000``) as an aware UTC datetime,
    exactly: refused when it is not a whole microsecond in UTC or lies in a leap second."""
    if not isinstance(text, str) or not _TAI_TEXT.fullmatch(text.strip()):
        raise InvalidArgumentError(f"{what} {text!r} is not a Butler TAI time"
                                   " (YYYY-MM-DD HH:MM:SS.fffffffff)")
    Time = _astropy_time()
    try:
        utc = Time(text.strip(), format="iso", scale="tai", precision=9).utc.iso
    except ValueError as exc:
        raise InvalidArgumentError(f"{what} {text!r}: {exc}") from None
    y, mo, d, h, mi, s, frac = _TAI_TEXT.fullmatch(utc).groups()  # type: ignore[union-attr]
    nanos = int((frac or "0").ljust(9, "0"))
    if s == "60":
        raise InvalidArgumentError(
            f"{what} {text!r} (TAI) is UTC {utc}, inside a leap second, which calibcert's UTC"
            " times cannot hold")
    if nanos % 1000:
        raise InvalidArgumentError(
            f"{what} {text!r} (TAI) is UTC {utc}, not a whole microsecond: calibcert stores"
            " microseconds")
    return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), nanos // 1000,
                    tzinfo=timezone.utc)


def utc_to_tai(value: datetime) -> str:
    """An aware UTC datetime as the Butler's TAI text, nanoseconds written out."""
    Time = _astropy_time()
    naive = value.astimezone(timezone.utc).replace(tzinfo=None)
    return Time(naive, scale="utc", precision=9).tai.iso


# -- reading ----------------------------------------------------------------------------------


class _Tai(str):
    """A ``!butler_time/tai/iso`` scalar, before conversion."""


class _Loader(yaml.SafeLoader):
    """YAML of a Butler export: its three tags, and nothing else (any other tag is an
    error naming it: safe_load's rule, with the Butler's tags added)."""


def _construct_uuid(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    value = loader.construct_scalar(node)  # type: ignore[arg-type]
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise yaml.constructor.ConstructorError(
            None, None, f"{UUID_TAG} {value!r} is not a UUID", node.start_mark) from None


def _construct_tai(loader: yaml.SafeLoader, node: yaml.Node) -> _Tai | None:
    value = loader.construct_scalar(node)  # type: ignore[arg-type]
    return None if value in (None, "", "null") else _Tai(value)


def _construct_timespan(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {"__timespan__": True, **value}


_Loader.add_constructor(UUID_TAG, _construct_uuid)
_Loader.add_constructor(TAI_TAG, _construct_tai)
_Loader.add_constructor(TIMESPAN_TAG, _construct_timespan)


@dataclass
class ButlerRead:
    """A Butler export read: the calibcert-export document, and what was left behind."""

    doc: dict[str, Any]
    #: what the document does not carry, counted: dimension records, file artifacts
    #: (datasets with a path), storage classes, RUN host/timespans
    dropped: dict[str, int] = field(default_factory=dict)


def _fail(where: str, message: str) -> InvalidArgumentError:
    return InvalidArgumentError(f"invalid Butler export file: {where}: {message}")


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(where, f"expected a list, not {value!r}")
    return value


def _str(block: Mapping[str, Any], key: str, where: str) -> str:
    value = block.get(key)
    if not isinstance(value, str) or not value:
        raise _fail(where, f"{key!r} must be a non-empty string, not {value!r}")
    return value


def _check_version(raw: Any) -> None:
    if not isinstance(raw, dict) or not isinstance(raw.get("data"), list):
        raise _fail("top level", "expected a mapping with a 'data' list (is this a Butler"
                                 " export made with Butler.export(format='yaml')?)")
    version = str(raw.get("version"))
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", version)
    if raw.get("version") == 0:  # the Butler's own grandfathered form of 1.0.0
        return
    if not m:
        raise _fail("version", f"{raw.get('version')!r} is not a Butler export version")
    major, minor = int(m.group(1)), int(m.group(2))
    if major != 1 or minor > 0:
        raise InvalidArgumentError(
            f"Butler export format {version} is not one calibcert reads (1.0.x): export"
            " with a daf_butler that writes 1.0.x, or upgrade calibcert")


def _span_time(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, _Tai):
        raise _fail(where, f"expected a {TAI_TAG} time or null, not {value!r}")
    return format_time(tai_to_utc(value, where))


def from_butler(text: str, source: str = "the Butler export") -> ButlerRead:
    """Read a Butler YAML export into a calibcert-export document (not yet validated
    against a database: :func:`calibcert.exchange.import_data` does that, atomically)."""
    raw = parse_structured(text, "yaml", source, loader=_Loader)
    try:
        return _convert(raw)
    except InvalidArgumentError as exc:
        raise InvalidArgumentError(f"{source}: {exc.message}", **exc.details) from None


def _convert(raw: Any) -> ButlerRead:
    _check_version(raw)
    dropped = {"dimension_records": 0, "file_artifacts": 0, "storage_classes": 0,
               "run_host_or_timespan": 0}
    types: dict[str, dict[str, Any]] = {}
    collections: dict[str, dict[str, Any]] = {}
    datasets: dict[str, dict[str, Any]] = {}
    associations: list[tuple[str, dict[str, Any]]] = []
    for i, block in enumerate(raw["data"]):
        where = f"data[{i}]"
        if not isinstance(block, dict):
            raise _fail(where, f"expected a mapping, not {block!r}")
        kind = block.get("type")
        if kind == "dimension":
            dropped["dimension_records"] += len(_list(block.get("records"), where + ".records"))
        elif kind == "collection":
            _read_collection(block, where, collections, dropped)
        elif kind == "run":  # the Butler's old form of a RUN without details
            name = _str(block, "name", where)
            collections.setdefault(name, {"name": name, "type": "RUN", "doc": None})
        elif kind == "dataset_type":
            name = _str(block, "name", where)
            dims = _list(block.get("dimensions"), where + ".dimensions")
            entry = {"name": name, "dimensions": [str(d) for d in dims],
                     "is_calibration": bool(block.get("is_calibration", False))}
            if types.setdefault(name, entry) != entry:
                raise _fail(where, f"dataset type {name!r} is defined twice, differently")
            dropped["storage_classes"] += "storage_class" in block
        elif kind == "dataset":
            _read_datasets(block, where, datasets, dropped)
        elif kind == "associations":
            associations.append((where, block))
        else:
            raise _fail(where, f"unknown entry type {kind!r} (expected dimension, collection,"
                               " run, dataset_type, dataset or associations)")
    for where, block in associations:
        _read_association(block, where, collections, datasets)
    for d in datasets.values():
        # A dataset type the export does not define must exist in the target database
        # (the Butler reads such files the same way): the import says so if it does not.
        if d["run"] not in collections:
            collections[d["run"]] = {"name": d["run"], "type": "RUN", "doc": None}
    _key_dimensions(types, datasets.values())
    doc = {"format": FORMAT, "version": VERSION,
           "dataset_types": sorted(types.values(), key=lambda t: t["name"]),
           "collections": sorted(collections.values(), key=lambda c: c["name"]),
           "datasets": sorted(datasets.values(), key=lambda d: d["id"])}
    return ButlerRead(doc, {k: v for k, v in dropped.items() if v})


def _key_dimensions(types: dict[str, dict[str, Any]],
                    datasets: Iterable[Mapping[str, Any]]) -> None:
    """A Butler dataset type lists its implied dimensions too (``physical_filter`` implies
    ``band``), but its data IDs carry only the required ones, which identify it. calibcert
    keys a data ID by exactly its type's dimensions: a type keeps the dimensions its data
    IDs carry (in the Butler's order), which must be the same for all of them."""
    keys: dict[str, set[frozenset[str]]] = {}
    for d in datasets:
        keys.setdefault(d["dataset_type"], set()).add(frozenset(d["data_id"]))
    for name, found in keys.items():
        t = types.get(name)
        if t is None:
            continue
        if len(found) > 1:
            raise _fail("datasets", f"the data IDs of dataset type {name!r} name different"
                                    f" dimensions: {sorted(sorted(k) for k in found)}")
        (carried,) = found
        extra = carried - set(t["dimensions"])
        if extra:
            raise _fail("datasets", f"data IDs of dataset type {name!r} name {sorted(extra)},"
                                    f" not among its dimensions {t['dimensions']}")
        t["dimensions"] = [x for x in t["dimensions"] if x in carried]


def _read_collection(block: Mapping[str, Any], where: str,
                     collections: dict[str, dict[str, Any]], dropped: dict[str, int]) -> None:
    name = _str(block, "name", where)
    ctype = block.get("collection_type")
    if ctype not in _COLLECTION_TYPES:
        raise _fail(where, f"collection {name!r} has collection_type {ctype!r}, not one of"
                           f" {', '.join(_COLLECTION_TYPES)}")
    doc = block.get("doc")
    if doc is not None and not isinstance(doc, str):
        raise _fail(where, f"collection {name!r}: doc must be a string, not {doc!r}")
    entry: dict[str, Any] = {"name": name, "type": ctype, "doc": doc}
    if ctype == "CHAINED":
        children = []
        for j, child in enumerate(_list(block.get("children"), where + ".children")):
            if isinstance(child, list) and child and isinstance(child[0], str):
                child = child[0]  # the Butler's old (child, dataset type restriction) form
            if not isinstance(child, str):
                raise _fail(f"{where}.children[{j}]", f"expected a collection name, not {child!r}")
            children.append(child)
        entry["children"] = children
    if ctype == "RUN" and any(block.get(k) is not None
                              for k in ("host", "timespan_begin", "timespan_end")):
        dropped["run_host_or_timespan"] += 1
    if name in collections and collections[name]["type"] != ctype:
        raise _fail(where, f"collection {name!r} is declared as {collections[name]['type']}"
                           f" and as {ctype}")
    collections[name] = {**collections.get(name, {}), **entry}


def _read_datasets(block: Mapping[str, Any], where: str, datasets: dict[str, dict[str, Any]],
                   dropped: dict[str, int]) -> None:
    dtype = _str(block, "dataset_type", where)
    run = _str(block, "run", where)
    for j, rec in enumerate(_list(block.get("records"), where + ".records")):
        at = f"{where}.records[{j}]"
        if not isinstance(rec, dict):
            raise _fail(at, f"expected a mapping, not {rec!r}")
        ids, data_ids = rec.get("dataset_id"), rec.get("data_id")
        ids = ids if isinstance(ids, list) else [ids]
        data_ids = data_ids if isinstance(data_ids, list) else [data_ids]
        if len(ids) != len(data_ids):
            raise _fail(at, f"{len(ids)} dataset ids but {len(data_ids)} data IDs")
        for dataset_id, data_id in zip(ids, data_ids, strict=True):
            if not isinstance(dataset_id, str):
                raise _fail(at, f"dataset_id {dataset_id!r} is not a {UUID_TAG} (calibcert"
                                " keeps the Butler's UUIDs; integer ids are from old exports)")
            if not isinstance(data_id, dict):
                raise _fail(at, f"data_id {data_id!r} is not a mapping")
            entry = {"id": dataset_id, "dataset_type": dtype, "run": run,
                     "data_id": {k: data_id[k] for k in sorted(data_id)}}
            if datasets.setdefault(dataset_id, entry) != entry:
                raise _fail(at, f"dataset {dataset_id} appears twice, differently")
        dropped["file_artifacts"] += rec.get("path") is not None


def _read_association(block: Mapping[str, Any], where: str,
                      collections: dict[str, dict[str, Any]],
                      datasets: Mapping[str, Mapping[str, Any]]) -> None:
    name = _str(block, "collection", where)
    ctype = block.get("collection_type")
    declared = collections.get(name)
    if ctype not in ("TAGGED", "CALIBRATION"):
        raise _fail(where, f"associations of {name!r} with collection_type {ctype!r}"
                           " (expected TAGGED or CALIBRATION)")
    if declared is None:
        raise _fail(where, f"associations of collection {name!r}, which the export does not"
                           " declare (export it with saveCollection)")
    if declared["type"] != ctype:
        raise _fail(where, f"associations of {name!r} as {ctype}, declared {declared['type']}")

    def known(dataset_id: Any, at: str) -> str:
        if dataset_id not in datasets:
            raise _fail(at, f"dataset {dataset_id} of collection {name!r} is not among the"
                            " export's datasets (export them with saveDatasets)")
        return str(dataset_id)

    if ctype == "TAGGED":
        ids = _list(block.get("dataset_ids"), where + ".dataset_ids")
        declared["tags"] = sorted({*declared.get("tags", []),
                                   *(known(x, f"{where}.dataset_ids[{k}]")
                                     for k, x in enumerate(ids))})
        return
    certs = declared.setdefault("certifications", [])
    for j, vr in enumerate(_list(block.get("validity_ranges"), where + ".validity_ranges")):
        at = f"{where}.validity_ranges[{j}]"
        if not isinstance(vr, dict):
            raise _fail(at, f"expected a mapping, not {vr!r}")
        span = vr.get("timespan")
        if span is None and ("begin" in vr or "end" in vr):  # the Butler's older form
            span = {"begin": vr.get("begin"), "end": vr.get("end")}
        if not isinstance(span, dict):
            raise _fail(at, f"expected a {TIMESPAN_TAG}, not {span!r}")
        begin = _span_time(span.get("begin"), at + ".timespan.begin")
        end = _span_time(span.get("end"), at + ".timespan.end")
        for k, x in enumerate(_list(vr.get("dataset_ids"), at + ".dataset_ids")):
            certs.append({"dataset": known(x, f"{at}.dataset_ids[{k}]"),
                          "begin": begin, "end": end})


class _DryRun(Exception):
    """Rolls a dry run's transaction back."""


def import_butler(reg: Registry, text: str, source: str = "the Butler export", *,
                  dry_run: bool = False, progress: Progress | None = None) -> ImportSummary:
    """Import a Butler YAML export into ``reg``: all or nothing (exchange.import_data's
    rules: identical definitions and rows already present are skipped, an overlap is a
    ConflictingCertificationError, a dataset type or collection defined differently a
    ConflictingDefinitionError). ``dry_run``: everything runs, conflicts included, and is
    rolled back; the summary says what would have been created."""
    doc = from_butler(text, source).doc
    if not dry_run:
        return import_data(reg, doc, progress or _noop)
    try:
        with reg.transaction():
            summary = import_data(reg, doc, progress or _noop)
            raise _DryRun
    except _DryRun:
        pass
    return summary


def export_to_butler(reg: Registry, names: Sequence[str], as_of: int | None = None,
                     storage_classes: Mapping[str, str] | None = None) -> str:
    """The collections ``names`` (with what exchange.export_data closes them over) as a
    Butler YAML export, as of ``as_of`` if given."""
    return to_butler(export_data(reg, names, as_of), storage_classes)


# -- writing ----------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Writes the Butler's tags for the marker types below."""


class _Uuid(str):
    pass


class _TaiOut(str):
    pass


class _Span(dict):
    pass


_Dumper.add_representer(_Uuid, lambda d, v: d.represent_scalar(UUID_TAG, str(v)))
_Dumper.add_representer(_TaiOut, lambda d, v: d.represent_scalar(TAI_TAG, str(v)))
_Dumper.add_representer(_Span, lambda d, v: d.represent_mapping(TIMESPAN_TAG, dict(v)))


def _tai_out(value: Any, what: str) -> _TaiOut | None:
    instant = parse_time(value, what)
    return None if instant is None else _TaiOut(utc_to_tai(instant))


def to_butler(doc: Mapping[str, Any], storage_classes: Mapping[str, str] | None = None) -> str:
    """A calibcert-export document as a Butler YAML export (``Butler.import_`` reads it;
    with ``without_datastore=True``, since no file artifacts travel). Dataset types are
    written only with a storage class from ``storage_classes``."""
    storage_classes = dict(storage_classes or {})
    data: list[dict[str, Any]] = []
    colls = list(doc["collections"])
    for c in colls:  # RUNs first, then the others, chains last (children exist by then)
        if c["type"] == "RUN":
            data.append({"type": "collection", "collection_type": "RUN", "name": c["name"],
                         **({"doc": c["doc"]} if c.get("doc") is not None else {}),
                         "host": None, "timespan_begin": None, "timespan_end": None})
    for c in colls:
        if c["type"] in ("TAGGED", "CALIBRATION"):
            data.append({"type": "collection", "collection_type": c["type"], "name": c["name"],
                         **({"doc": c["doc"]} if c.get("doc") is not None else {})})
    for c in colls:
        if c["type"] == "CHAINED":
            data.append({"type": "collection", "collection_type": "CHAINED", "name": c["name"],
                         **({"doc": c["doc"]} if c.get("doc") is not None else {}),
                         "children": list(c.get("children", []))})
    by_type_run: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for d in doc["datasets"]:
        by_type_run.setdefault((d["dataset_type"], d["run"]), []).append(d)
    types = {t["name"]: t for t in doc["dataset_types"]}
    for (dtype, run), rows in sorted(by_type_run.items()):
        t = types[dtype]
        if dtype in storage_classes:
            data.append({"type": "dataset_type", "name": dtype,
                         "dimensions": list(t["dimensions"]),
                         "storage_class": storage_classes[dtype],
                         "is_calibration": bool(t["is_calibration"])})
        data.append({"type": "dataset", "dataset_type": dtype, "run": run, "records": [
            # The Butler's import needs a path per dataset even when it reads no file
            # (without_datastore=True): a placeholder naming the dataset, not a file.
            {"dataset_id": [_Uuid(d["id"])], "data_id": [dict(d["data_id"])],
             "path": f"calibcert/{d['id']}"}
            for d in rows]})
    for c in colls:
        if c["type"] == "TAGGED" and c.get("tags"):
            data.append({"type": "associations", "collection": c["name"],
                         "collection_type": "TAGGED",
                         "dataset_ids": [_Uuid(x) for x in c["tags"]]})
        elif c["type"] == "CALIBRATION" and c.get("certifications"):
            data.append({"type": "associations", "collection": c["name"],
                         "collection_type": "CALIBRATION",
                         "validity_ranges": _validity_ranges(c["certifications"], c["name"])})
    return yaml.dump({"description": DESCRIPTION, "version": BUTLER_FORMAT_VERSION,
                      "data": data}, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)


def _validity_ranges(certs: Iterable[Mapping[str, Any]], collection: str) -> list[dict[str, Any]]:
    """Certifications grouped by timespan, as the Butler writes them (first appearance
    order; ids in the document's order)."""
    groups: dict[tuple[Any, Any], list[str]] = {}
    for x in certs:
        groups.setdefault((x.get("begin"), x.get("end")), []).append(x["dataset"])
    return [{"timespan": _Span(begin=_tai_out(b, f"{collection}: begin"),
                               end=_tai_out(e, f"{collection}: end")),
             "dataset_ids": [_Uuid(x) for x in ids]}
            for (b, e), ids in groups.items()]
