"""Export and import of collections: the ``calibcert-export`` file format, version 1.

A file holds a closed set of collections with everything needed to recreate them in
another database (PostgreSQL or SQLite)::

    {
      "format": "calibcert-export",
      "version": 1,
      "dataset_types": [                       # every type used by a dataset below, by name
        {"name": "bias", "dimensions": ["instrument", "detector"], "is_calibration": true}
      ],
      "collections": [                         # by name
        {"name": "Cam/calib", "type": "CHAINED", "doc": null,
         "children": ["Cam/calib/2024"]},      # search order
        {"name": "Cam/calib/2024", "type": "CALIBRATION", "doc": "...",
         "certifications": [                   # by dataset type, data ID, begin, dataset
           {"dataset": "<uuid>", "begin": "2024-01-01T00:00:00Z", "end": null}]},
        {"name": "Cam/runs/1", "type": "RUN", "doc": null},
        {"name": "Cam/good", "type": "TAGGED", "doc": null, "tags": ["<uuid>", ...]}
      ],
      "datasets": [                            # by run, dataset type, data ID, id
        {"id": "<uuid>", "dataset_type": "bias", "run": "Cam/runs/1",
         "data_id": {"detector": 1, "instrument": "Cam"}}
      ]
    }

Rules:

- Times are UTC ISO 8601 with a ``Z`` suffix (microseconds only when non-zero); ``null``
  is unbounded. Timespans are half-open ``[begin, end)``.
- Data IDs are objects with keys sorted; values keep their type (int or string).
- Which collections: the ones asked for, plus the children of every chain (recursively),
  plus the RUN of every dataset in the file. A RUN that was asked for (or is a chain child)
  brings all its datasets; a RUN that is only the home of a certified or tagged dataset
  brings just those datasets.
- Only the key of the collection's type appears: ``certifications`` (CALIBRATION),
  ``tags`` (TAGGED, sorted ids), ``children`` (CHAINED); RUN entries have none.
- Everything is sorted and serialised deterministically (JSON: two-space indent, UTF-8,
  trailing newline), so exporting the same collections from two databases holding the same
  content gives byte-identical files (PostgreSQL → file → SQLite → file is the identity).
- YAML files (``.yaml`` / ``.yml``) hold the same document.
- Readers must refuse a ``format`` they do not know and a ``version`` newer than theirs;
  version 1 readers accept only version 1.

Import (:func:`import_data`) recreates the file's content in one transaction: dataset types
and collections are registered (an identical existing definition is a no-op, a different
one a :class:`~calibcert.errors.ConflictingDefinitionError`); datasets are inserted with
their ids (one already present with the same run, type and data ID is skipped; any other
clash is a conflict); tags are added; certifications are certified (one already stored with
exactly the same timespan is skipped, any overlap is a
:class:`~calibcert.errors.ConflictingCertificationError`); a chain is set when it is new or
empty, and must otherwise already have exactly the file's children. Any error undoes the
whole import.

Certifications alone travel as CSV with the header
``dataset_type,data_id,dataset,run,begin,end`` (data ID as a JSON object, empty begin/end
for unbounded); curated calibrations that only carry start dates travel as a *series* CSV
``dataset,begin`` (or ``dataset_type,run,data_id,begin`` naming the dataset by its data ID)
and are certified through ``certify_series``.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import (
    ConflictingDefinitionError,
    InvalidArgumentError,
    MissingCollectionError,
)
from .registry import Registry
from .types import Certification, CollectionType, DatasetRef, Timespan, to_utc

FORMAT = "calibcert-export"
VERSION = 1
CERT_CSV_HEADER = ("dataset_type", "data_id", "dataset", "run", "begin", "end")
SERIES_CSV_HEADER = ("dataset", "begin")

#: Datasets per insert_datasets call during an import (bounded statement size).
CHUNK = 10_000

Progress = Callable[[int], None]


def _noop(_n: int) -> None:
    pass


# -- time and value formatting ------------------------------------------------------------


def format_time(value: datetime | None) -> str | None:
    """UTC ISO 8601 with ``Z`` (microseconds only when non-zero); None stays None."""
    if value is None:
        return None
    return to_utc(value).isoformat().replace("+00:00", "Z")


def parse_time(value: Any, what: str) -> datetime | None:
    """A file's time: None / "" is unbounded; a string must carry a timezone."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):  # YAML may already have parsed it
        return to_utc(value, what)
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{what} must be an ISO 8601 string or null, not {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidArgumentError(f"{what} {value!r} is not an ISO 8601 time") from None
    return to_utc(parsed, what)


def _data_id_key(data_id: Mapping[str, Any]) -> str:
    return json.dumps(data_id, sort_keys=True, ensure_ascii=False)


def _sorted_data_id(data_id: Mapping[str, Any]) -> dict[str, Any]:
    return {k: data_id[k] for k in sorted(data_id)}


def _cert_order(c: Certification) -> tuple[Any, ...]:
    # Unbounded begin first; ISO strings in UTC sort chronologically.
    b = c.timespan.begin
    return (c.ref.dataset_type, _data_id_key(c.ref.data_id), b is not None,
            format_time(b) or "", str(c.ref.id))


def _dataset_order(d: Mapping[str, Any]) -> tuple[Any, ...]:
    return (d["run"], d["dataset_type"], _data_id_key(d["data_id"]), d["id"])


# -- export -------------------------------------------------------------------------------


def export_data(reg: Registry, names: Sequence[str]) -> dict[str, Any]:
    """The export document for ``names`` (see the module docstring for the closure)."""
    if not names:
        raise InvalidArgumentError("export needs at least one collection")
    infos = {c.name: c for c in reg.list_collections()}
    type_names = [t.name for t in reg.list_dataset_types()]
    wanted: list[str] = []
    pending = list(names)
    while pending:  # the closure over chain children
        name = pending.pop(0)
        if name in wanted:
            continue
        if name not in infos:
            raise MissingCollectionError(f"collection {name!r} does not exist", collection=name)
        wanted.append(name)
        if infos[name].type is CollectionType.CHAINED:
            pending.extend(reg.get_chain(name))

    refs: dict[uuid.UUID, DatasetRef] = {}
    entries: dict[str, dict[str, Any]] = {}
    for name in wanted:
        info = infos[name]
        entry: dict[str, Any] = {"name": name, "type": info.type.value, "doc": info.doc}
        if info.type is CollectionType.CALIBRATION:
            certs = sorted(reg.certifications(name), key=_cert_order)
            for c in certs:
                refs[c.ref.id] = c.ref
            entry["certifications"] = [
                {"dataset": str(c.ref.id), "begin": format_time(c.timespan.begin),
                 "end": format_time(c.timespan.end)} for c in certs]
        elif info.type is CollectionType.CHAINED:
            entry["children"] = reg.get_chain(name)
        else:
            members: list[DatasetRef] = []
            for t in type_names:
                members.extend(reg.query_datasets(name, t))
            for r in members:
                refs[r.id] = r
            if info.type is CollectionType.TAGGED:
                entry["tags"] = sorted(str(r.id) for r in members)
        entries[name] = entry

    for ref in refs.values():  # the home RUN of every dataset
        if ref.run not in entries:
            run = infos[ref.run]
            entries[ref.run] = {"name": run.name, "type": run.type.value, "doc": run.doc}

    used_types = {r.dataset_type for r in refs.values()}
    dataset_types = [
        {"name": t.name, "dimensions": list(t.dimensions), "is_calibration": t.is_calibration}
        for t in sorted(reg.list_dataset_types(), key=lambda t: t.name) if t.name in used_types]
    datasets = sorted(
        ({"id": str(r.id), "dataset_type": r.dataset_type, "run": r.run,
          "data_id": _sorted_data_id(r.data_id)} for r in refs.values()),
        key=_dataset_order)
    return {
        "format": FORMAT,
        "version": VERSION,
        "dataset_types": dataset_types,
        "collections": [entries[n] for n in sorted(entries)],
        "datasets": datasets,
    }


def dumps(doc: Mapping[str, Any], fmt: str = "json") -> str:
    """Serialise an export document deterministically (``json`` or ``yaml``)."""
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump(dict(doc), sort_keys=False, allow_unicode=True,
                              default_flow_style=False, width=100)
    raise InvalidArgumentError(f"unknown export format {fmt!r}: use json, yaml or csv")


def parse_structured(text: str, fmt: str, what: str) -> Any:
    """Parse JSON or YAML (``fmt == "yaml"``) text: the one parser of every file the CLI and
    the importers read. A syntax error is an InvalidArgumentError naming ``what``."""
    try:
        if fmt == "yaml":
            import yaml

            return yaml.safe_load(text)
        return json.loads(text)
    except Exception as exc:  # json's ValueError, yaml.YAMLError and friends
        raise InvalidArgumentError(f"cannot parse {what}: {exc}") from None


def loads(text: str, fmt: str = "json") -> dict[str, Any]:
    """Parse and validate an export document."""
    doc = parse_structured(text, fmt, f"the {fmt.upper()} file")
    return validate(doc)


def _require(cond: bool, message: str) -> None:
    if not cond:
        raise InvalidArgumentError(f"invalid export file: {message}")


def validate(doc: Any) -> dict[str, Any]:
    """Check the document's shape and version; return it."""
    _require(isinstance(doc, dict), "the top level must be an object")
    _require(doc.get("format") == FORMAT, f"'format' must be {FORMAT!r}, not {doc.get('format')!r}")
    version = doc.get("version")
    _require(isinstance(version, int) and not isinstance(version, bool),
             "'version' must be an integer")
    if version > VERSION:
        raise InvalidArgumentError(
            f"export file version {version} is newer than this calibcert reads (up to "
            f"{VERSION}): upgrade calibcert")
    _require(version == VERSION, f"unsupported version {version}")
    for key in ("dataset_types", "collections", "datasets"):
        _require(isinstance(doc.get(key), list), f"{key!r} must be a list")
    for t in doc["dataset_types"]:
        _require(isinstance(t, dict) and isinstance(t.get("name"), str)
                 and isinstance(t.get("dimensions"), list)
                 and isinstance(t.get("is_calibration"), bool),
                 f"bad dataset type entry {t!r}")
    for c in doc["collections"]:
        _require(isinstance(c, dict) and isinstance(c.get("name"), str)
                 and c.get("type") in {t.value for t in CollectionType},
                 f"bad collection entry {c!r}")
        for cert in c.get("certifications", []):
            _require(isinstance(cert, dict) and "dataset" in cert,
                     f"bad certification in {c['name']!r}: {cert!r}")
    for d in doc["datasets"]:
        _require(isinstance(d, dict)
                 and all(k in d for k in ("id", "dataset_type", "run", "data_id"))
                 and isinstance(d["data_id"], dict), f"bad dataset entry {d!r}")
    return doc


# -- import -------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    """What an import created (``*_present``: already there and identical, skipped)."""

    dataset_types: int = 0
    collections: int = 0
    datasets: int = 0
    datasets_present: int = 0
    tags: int = 0
    certifications: int = 0
    certifications_present: int = 0
    chains: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def import_size(doc: Mapping[str, Any]) -> int:
    """Rows an import processes (for a progress bar)."""
    n = len(doc["datasets"])
    for c in doc["collections"]:
        n += len(c.get("certifications", [])) + len(c.get("tags", []))
    return n


_TYPE_ORDER = {"RUN": 0, "TAGGED": 1, "CALIBRATION": 2, "CHAINED": 3}


def import_data(reg: Registry, doc: Mapping[str, Any], progress: Progress = _noop) -> ImportSummary:
    """Recreate an export document's content in ``reg``, all or nothing."""
    doc = validate(doc)
    summary = ImportSummary()
    with reg.transaction():
        existing = {c.name: c for c in reg.list_collections()}
        for t in doc["dataset_types"]:
            if reg.register_dataset_type(t["name"], t["dimensions"], t["is_calibration"]):
                summary.dataset_types += 1
        colls = sorted(doc["collections"], key=lambda c: (_TYPE_ORDER[c["type"]], c["name"]))
        for c in colls:
            if reg.register_collection(c["name"], c["type"], c.get("doc")):
                summary.collections += 1
        _import_datasets(reg, doc["datasets"], existing, summary, progress)
        for c in colls:
            if c["type"] == "TAGGED" and c.get("tags"):
                summary.tags += reg.tag(c["name"], c["tags"])
                progress(len(c["tags"]))
            elif c["type"] == "CALIBRATION" and c.get("certifications"):
                _import_certifications(reg, c["name"], [
                    (x["dataset"], Timespan(parse_time(x.get("begin"), "begin"),
                                            parse_time(x.get("end"), "end")))
                    for x in c["certifications"]], c["name"] in existing, summary, progress)
        for c in colls:
            if c["type"] == "CHAINED":
                current = reg.get_chain(c["name"])
                children = list(c.get("children", []))
                if current == children:
                    continue
                if current:
                    raise ConflictingDefinitionError(
                        f"chain {c['name']!r} already has children {current}; the file has "
                        f"{children}", collection=c["name"])
                reg.set_chain(c["name"], children)
                summary.chains += 1
    return summary


def _import_datasets(reg: Registry, datasets: list[Mapping[str, Any]],
                     existing: Mapping[str, Any], summary: ImportSummary,
                     progress: Progress) -> None:
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for d in datasets:
        groups.setdefault((d["run"], d["dataset_type"]), []).append(d)
    for (run, dtype), items in sorted(groups.items()):
        present: dict[str, dict[str, Any]] = {}
        if run in existing:
            present = {str(r.id): r.data_id for r in reg.query_datasets(run, dtype)}
        todo = []
        for d in items:
            known = present.get(str(d["id"]))
            if known is None:
                todo.append(d)
            elif _data_id_key(known) == _data_id_key(d["data_id"]):
                summary.datasets_present += 1
            else:
                raise ConflictingDefinitionError(
                    f"dataset {d['id']} exists in RUN {run!r} with data ID {known}, the file "
                    f"says {d['data_id']}", dataset=str(d["id"]), collection=run)
        progress(len(items) - len(todo))
        for start in range(0, len(todo), CHUNK):
            part = todo[start:start + CHUNK]
            reg.insert_datasets(dtype, run, [d["data_id"] for d in part], [d["id"] for d in part])
            summary.datasets += len(part)
            progress(len(part))


def _import_certifications(reg: Registry, collection: str,
                           rows: Iterable[tuple[Any, Timespan]], existed: bool,
                           summary: ImportSummary, progress: Progress) -> None:
    """Certify (dataset, timespan) rows, one certify call per distinct timespan; rows
    already stored exactly are skipped."""
    stored: set[tuple[str, Timespan]] = set()
    if existed:
        stored = {(str(c.ref.id), c.timespan) for c in reg.certifications(collection)}
    by_span: dict[Timespan, list[str]] = {}
    for dataset, ts in rows:
        key = (str(dataset), ts)
        if key in stored:
            summary.certifications_present += 1
            progress(1)
            continue
        by_span.setdefault(ts, []).append(str(dataset))
    for ts, ids in by_span.items():
        summary.certifications += reg.certify(collection, ids, ts)
        progress(len(ids))


# -- CSV: certifications alone ------------------------------------------------------------


def export_certifications_csv(reg: Registry, collection: str) -> str:
    """The certifications of one collection as CSV (header :data:`CERT_CSV_HEADER`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CERT_CSV_HEADER)
    for c in sorted(reg.certifications(collection), key=_cert_order):
        writer.writerow([c.ref.dataset_type, _data_id_key(c.ref.data_id), str(c.ref.id),
                         c.ref.run, format_time(c.timespan.begin) or "",
                         format_time(c.timespan.end) or ""])
    return out.getvalue()


def _csv_rows(text: str, required: Sequence[str], what: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in required if c not in header]
    if missing:
        raise InvalidArgumentError(
            f"{what} CSV lacks column(s) {', '.join(missing)} (header: {','.join(header)})")
    return list(reader)


def read_certifications_csv(text: str) -> list[dict[str, Any]]:
    """Rows of a certification CSV: dataset (id), dataset_type, data_id, run, timespan."""
    rows = []
    for n, r in enumerate(_csv_rows(text, CERT_CSV_HEADER, "certification"), start=2):
        try:
            data_id = json.loads(r["data_id"])
        except ValueError:
            raise InvalidArgumentError(f"line {n}: data_id {r['data_id']!r} is not JSON") from None
        rows.append({"dataset": r["dataset"], "dataset_type": r["dataset_type"],
                     "data_id": data_id, "run": r["run"],
                     "timespan": Timespan(parse_time(r["begin"], f"line {n}: begin"),
                                          parse_time(r["end"], f"line {n}: end"))})
    return rows


def import_certifications(reg: Registry, collection: str, rows: list[Mapping[str, Any]],
                          progress: Progress = _noop) -> ImportSummary:
    """Certify CSV rows into ``collection`` (registered as CALIBRATION if missing), all or
    nothing. Each row's dataset must exist with the row's type, data ID and run."""
    summary = ImportSummary()
    with reg.transaction():
        existed = any(c.name == collection for c in reg.list_collections())
        if reg.register_collection(collection, CollectionType.CALIBRATION):
            summary.collections += 1
        refs = reg.get_datasets([r["dataset"] for r in rows]) if rows else []
        for n, (row, ref) in enumerate(zip(rows, refs, strict=True), start=2):
            if (ref.dataset_type, _data_id_key(ref.data_id), ref.run) != (
                    row["dataset_type"], _data_id_key(row["data_id"]), row["run"]):
                raise InvalidArgumentError(
                    f"line {n}: dataset {ref.id} is a {ref.dataset_type!r} with data ID "
                    f"{ref.data_id} in RUN {ref.run!r}, the file says {row['dataset_type']!r} "
                    f"{row['data_id']} in {row['run']!r}", dataset=str(ref.id))
        _import_certifications(reg, collection, [(r["dataset"], r["timespan"]) for r in rows],
                               existed, summary, progress)
    return summary


# -- series: start dates only ------------------------------------------------------------


def read_series(text: str, fmt: str) -> list[dict[str, Any]]:
    """Series items: ``{"dataset": id, "begin": time}`` or, instead of ``dataset``,
    ``dataset_type`` + ``run`` + ``data_id``. CSV (header ``dataset,begin`` or
    ``dataset_type,run,data_id,begin``), or a JSON / YAML list of objects."""
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        header = reader.fieldnames or []
        if "begin" not in header or not ("dataset" in header or {"dataset_type", "run",
                                                                  "data_id"} <= set(header)):
            raise InvalidArgumentError(
                "series CSV needs columns dataset,begin (or dataset_type,run,data_id,begin); "
                f"got {','.join(header)}")
        items: list[dict[str, Any]] = []
        for n, r in enumerate(reader, start=2):
            item: dict[str, Any] = {"begin": r["begin"], "line": n}
            if r.get("dataset"):
                item["dataset"] = r["dataset"]
            else:
                try:
                    item["data_id"] = json.loads(r["data_id"])
                except ValueError:
                    raise InvalidArgumentError(
                        f"line {n}: data_id {r['data_id']!r} is not JSON") from None
                item.update(dataset_type=r["dataset_type"], run=r["run"])
            items.append(item)
        return items
    doc = parse_structured(text, fmt, "the series file")
    if not isinstance(doc, list) or not all(isinstance(x, dict) and "begin" in x for x in doc):
        raise InvalidArgumentError("a series file is a list of objects with 'begin' and "
                                   "'dataset' (or dataset_type, run, data_id)")
    return [dict(x, line=i) for i, x in enumerate(doc, start=1)]


def resolve_series(reg: Registry,
                   items: list[Mapping[str, Any]]) -> list[tuple[str, datetime | None]]:
    """(dataset id, begin) pairs; items naming a data ID are looked up in their RUN."""
    out: list[tuple[str, datetime | None]] = []
    for item in items:
        where = f"item {item.get('line')}"
        begin = parse_time(item.get("begin"), f"{where}: begin")
        if item.get("dataset"):
            out.append((str(item["dataset"]), begin))
            continue
        missing = [k for k in ("dataset_type", "run", "data_id") if not item.get(k)]
        if missing:
            raise InvalidArgumentError(f"{where}: needs 'dataset' or {', '.join(missing)}")
        want = _data_id_key(item["data_id"])
        found = [r for r in reg.query_datasets(item["run"], item["dataset_type"], item["data_id"])
                 if _data_id_key(r.data_id) == want]
        if not found:
            from .errors import MissingDatasetError

            raise MissingDatasetError(
                f"{where}: no {item['dataset_type']!r} dataset with data ID {item['data_id']} "
                f"in RUN {item['run']!r}", collection=item["run"], data_id=item["data_id"])
        out.append((str(found[0].id), begin))
    return out
