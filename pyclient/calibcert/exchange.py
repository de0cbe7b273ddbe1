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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import (
    CalibCertError,
    ConflictingDefinitionError,
    DataIdError,
    InvalidArgumentError,
    MissingCollectionError,
)
from .registry import Registry
from .types import (
    Certification,
    CollectionType,
    DatasetRef,
    Timespan,
    canonical_data_id,
    to_utc,
)

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
        parsed = value
    elif not isinstance(value, str):
        raise InvalidArgumentError(f"{what} must be an ISO 8601 string or null, not {value!r}")
    else:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidArgumentError(
                f"{what} {value!r} is not an ISO 8601 time (e.g. 2024-03-01T12:00:00Z)"
            ) from None
    if parsed.tzinfo is None or parsed.tzinfo.utcoffset(parsed) is None:
        shown = value if isinstance(value, str) else parsed.isoformat()
        raise InvalidArgumentError(
            f"{what} {shown!r} has no timezone: add one, e.g. {shown}Z or {shown}+00:00")
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


def export_data(reg: Registry, names: Sequence[str], as_of: int | None = None) -> dict[str, Any]:
    """The export document for ``names`` (see the module docstring for the closure);
    ``as_of``: their content at that epoch (each read is given it; a collection's doc and
    the dataset types have no history: today's)."""
    if not names:
        raise InvalidArgumentError("export needs at least one collection")
    infos = {c.name: c for c in reg.list_collections(as_of=as_of)}
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
            pending.extend(reg.get_chain(name, as_of=as_of))

    refs: dict[uuid.UUID, DatasetRef] = {}
    entries: dict[str, dict[str, Any]] = {}
    for name in wanted:
        info = infos[name]
        entry: dict[str, Any] = {"name": name, "type": info.type.value, "doc": info.doc}
        if info.type is CollectionType.CALIBRATION:
            certs = sorted(reg.certifications(name, as_of=as_of), key=_cert_order)
            for c in certs:
                refs[c.ref.id] = c.ref
            entry["certifications"] = [
                {"dataset": str(c.ref.id), "begin": format_time(c.timespan.begin),
                 "end": format_time(c.timespan.end)} for c in certs]
        elif info.type is CollectionType.CHAINED:
            entry["children"] = reg.get_chain(name, as_of=as_of)
        else:
            members: list[DatasetRef] = []
            for t in type_names:
                members.extend(reg.query_datasets(name, t, as_of=as_of))
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


def strip_bom(text: str) -> str:
    """``text`` without a leading UTF-8 byte-order mark (spreadsheets write one)."""
    return text[1:] if text.startswith("\ufeff") else text


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict; a key given twice is refused (ambiguous input:
    json.loads, like PostgreSQL's jsonb, would keep the last value silently)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise InvalidArgumentError(
            f"a JSON object repeats the key {key!r}: ambiguous, which value is meant?",
            key=key)
    return out


def loads_json(text: str) -> Any:
    """``json.loads``, refusing an object that repeats a key (InvalidArgumentError): every
    JSON the client reads from a caller (files, cells, ``-d`` options) goes through it."""
    return json.loads(text, object_pairs_hook=_unique_keys)


def _strict_yaml(loader: Any) -> Any:
    """``loader`` (a yaml.SafeLoader subclass) refusing a mapping that repeats a key (YAML
    forbids it; PyYAML would keep the last value silently)."""
    import yaml

    class Strict(loader):  # type: ignore[misc,valid-type]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[Any] = set()
            for key_node, _ in getattr(node, "value", ()):
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    repeated = key in seen
                    seen.add(key)
                except TypeError:  # an unhashable key: the base class reports it
                    continue
                if repeated:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the mapping repeats the key {key!r}: ambiguous, which"
                        " value is meant?", key_node.start_mark)
            return super().construct_mapping(node, deep=deep)

    return Strict


def parse_structured(text: str, fmt: str, what: str, loader: Any = None) -> Any:
    """Parse JSON or YAML (``fmt == "yaml"``) text: the one parser of every file the CLI and
    the importers read. A syntax error is an InvalidArgumentError naming ``what`` (the file)
    and the line and column of the problem, as is an object (mapping) that repeats a key; a
    byte-order mark is accepted. ``loader``: a yaml.SafeLoader subclass that knows more
    tags (the Butler's export files)."""
    text = strip_bom(text)
    if fmt == "yaml":
        import yaml

        try:
            return yaml.load(text, Loader=_strict_yaml(loader or yaml.SafeLoader))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
            where = f"{what}, line {mark.line + 1}, column {mark.column + 1}" if mark else what
            raise InvalidArgumentError(f"{where}: cannot parse YAML: {problem}") from None
    try:
        return loads_json(text)
    except InvalidArgumentError as exc:
        raise _located(what, exc) from None
    except json.JSONDecodeError as exc:
        raise InvalidArgumentError(
            f"{what}, line {exc.lineno}, column {exc.colno}: cannot parse JSON: {exc.msg}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise InvalidArgumentError(f"{what}: cannot parse JSON: {exc}") from None


def loads(text: str, fmt: str = "json", source: str | None = None) -> dict[str, Any]:
    """Parse and validate an export document (``source``: the file, for messages)."""
    what = source or f"the {fmt.upper()} file"
    doc = parse_structured(text, fmt, what)
    try:
        return validate(doc)
    except CalibCertError as exc:
        if source is None:
            raise
        raise _located(source, exc) from None


def _require(cond: bool, message: str) -> None:
    if not cond:
        raise InvalidArgumentError(f"invalid export file: {message}")


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def _is_time(value: Any) -> bool:
    return value is None or isinstance(value, (str, datetime))


def validate(doc: Any) -> dict[str, Any]:
    """Check the document's shape and version; return it. A bad element is named by its
    place in the document (``datasets[3]``, ``collections[0].certifications[2]``)."""
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
    for i, t in enumerate(doc["dataset_types"]):
        _require(isinstance(t, dict) and isinstance(t.get("name"), str)
                 and isinstance(t.get("dimensions"), list)
                 and all(isinstance(d, str) for d in t["dimensions"])
                 and isinstance(t.get("is_calibration"), bool),
                 f"bad dataset type entry dataset_types[{i}]: {t!r}")
    for i, c in enumerate(doc["collections"]):
        _require(isinstance(c, dict) and isinstance(c.get("name"), str)
                 and c.get("type") in {t.value for t in CollectionType}
                 and (c.get("doc") is None or isinstance(c.get("doc"), str)),
                 f"bad collection entry collections[{i}]: {c!r}")
        for key in ("certifications", "tags", "children"):
            _require(isinstance(c.get(key, []), list),
                     f"collections[{i}].{key} must be a list, not {c.get(key)!r}")
        for j, cert in enumerate(c.get("certifications", [])):
            _require(isinstance(cert, dict) and _is_uuid(cert.get("dataset"))
                     and _is_time(cert.get("begin")) and _is_time(cert.get("end")),
                     f"bad certification collections[{i}].certifications[{j}] in "
                     f"{c['name']!r}: {cert!r}")
            try:  # the times too (naive, not ISO 8601, out of range, reversed), by place
                Timespan(parse_time(cert.get("begin"), "begin"), parse_time(cert.get("end"), "end"))
            except CalibCertError as exc:
                raise _located(f"invalid export file: collections[{i}].certifications[{j}] in "
                               f"{c['name']!r}", exc) from None
        for j, x in enumerate(c.get("tags", []) + c.get("children", [])):
            _require(isinstance(x, str), f"collections[{i}]: bad tag or child {x!r} "
                                         f"(element {j}): expected a string")
    for i, d in enumerate(doc["datasets"]):
        _require(isinstance(d, dict)
                 and all(k in d for k in ("id", "dataset_type", "run", "data_id"))
                 and isinstance(d["data_id"], dict)
                 and all(isinstance(d[k], str) for k in ("id", "dataset_type", "run"))
                 and _is_uuid(d["id"]),
                 f"bad dataset entry datasets[{i}]: {d!r}")
        try:
            canonical_data_id(d["data_id"])
        except DataIdError as exc:
            raise InvalidArgumentError(
                f"invalid export file: datasets[{i}]: {exc.message}") from None
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


def import_data(reg: Registry, doc: Mapping[str, Any], progress: Progress = _noop,
                source: str | None = None) -> ImportSummary:
    """Recreate an export document's content in ``reg``, all or nothing. An error the
    database finds about a dataset of the file names its entry (``datasets[3]``,
    ``collections[2].certifications[0]``), after ``source`` (the file) when given."""
    doc = validate(doc)
    summary = ImportSummary()
    at = f"{source}: " if source else ""
    position = {id(c): i for i, c in enumerate(doc["collections"])}
    with reg.transaction():
        existing = {c.name: c for c in reg.list_collections()}
        for t in doc["dataset_types"]:
            if reg.register_dataset_type(t["name"], t["dimensions"], t["is_calibration"]):
                summary.dataset_types += 1
        colls = sorted(doc["collections"], key=lambda c: (_TYPE_ORDER[c["type"]], c["name"]))
        for c in colls:
            if reg.register_collection(c["name"], c["type"], c.get("doc")):
                summary.collections += 1
        places = {}
        for k, d in enumerate(doc["datasets"]):
            places.setdefault(str(d["id"]), f"{at}datasets[{k}]")
            places.setdefault(data_id_key(d["data_id"]), f"{at}datasets[{k}]")
        with _locating(places):
            _import_datasets(reg, doc["datasets"], existing, summary, progress)
        for c in colls:
            entry = f"{at}collections[{position[id(c)]}]"
            if c["type"] == "TAGGED" and c.get("tags"):
                with _locating({str(x): f"{entry}.tags[{j}]"
                                for j, x in reversed(list(enumerate(c["tags"])))}):
                    summary.tags += reg.tag(c["name"], c["tags"])
                progress(len(c["tags"]))
            elif c["type"] == "CALIBRATION" and c.get("certifications"):
                with _locating({str(x["dataset"]): f"{entry}.certifications[{j}]"
                                for j, x in reversed(list(enumerate(c["certifications"])))}):
                    _import_certifications(reg, c["name"], [
                        (x["dataset"], Timespan(parse_time(x.get("begin"), "begin"),
                                                parse_time(x.get("end"), "end")))
                        for x in c["certifications"]], c["name"] in existing, summary,
                        progress)
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


def export_certifications_csv(reg: Registry, collection: str, as_of: int | None = None) -> str:
    """The certifications of one collection as CSV (header :data:`CERT_CSV_HEADER`);
    ``as_of``: those it held at that epoch."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CERT_CSV_HEADER)
    for c in sorted(reg.certifications(collection, as_of=as_of), key=_cert_order):
        writer.writerow([c.ref.dataset_type, _data_id_key(c.ref.data_id), str(c.ref.id),
                         c.ref.run, format_time(c.timespan.begin) or "",
                         format_time(c.timespan.end) or ""])
    return out.getvalue()


class CsvRow(dict):
    """One CSV record as a dict by column, with ``where``: the file and line it starts on
    (``certs.csv, line 3``), the prefix of every message about it."""

    where: str = ""
    line: int = 0


def csv_table(text: str, source: str, *, what: str, required: Sequence[str] = (),
              allow_empty: bool = False) -> tuple[list[str], list[CsvRow]]:
    """The header and the rows of CSV ``text`` (``source`` names it in messages).

    Refused, with the file and line: an empty file, no header, an empty or repeated column
    name, columns ``required`` missing, a row with more or fewer fields than the header
    (csv would silently pad or spill it), malformed CSV (a NUL, an overlong field); and
    unless ``allow_empty``, a file with a header but no rows (``what``: what the rows are,
    for that message). A byte-order mark is accepted; blank lines are skipped.
    """
    text = strip_bom(text)
    if not text.strip():
        raise InvalidArgumentError(f"{source}: the file is empty: expected a CSV header line "
                                   f"and {what}")
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    rows: list[CsvRow] = []
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InvalidArgumentError(f"{source}, line {start}: malformed CSV: {exc}") from None
        if not record or (header is not None and record == [""]):
            continue  # a blank line
        if header is None:
            header = [h.strip() for h in record]
            blank = [i + 1 for i, h in enumerate(header) if not h]
            if blank:
                raise InvalidArgumentError(
                    f"{source}, line {start}: header column {blank[0]} has no name "
                    f"(header: {','.join(record)})")
            repeated = sorted({h for h in header if header.count(h) > 1})
            if repeated:
                raise InvalidArgumentError(
                    f"{source}, line {start}: header repeats column {', '.join(repeated)}")
            missing = [c for c in required if c not in header]
            if missing:
                raise InvalidArgumentError(
                    f"{source}, line {start}: the header lacks column(s) {', '.join(missing)} "
                    f"(header: {','.join(header)}; expected {','.join(required)})")
            continue
        if len(record) != len(header):
            problem = ("more" if len(record) > len(header) else "fewer")
            detail = (f"extra {record[len(header):]!r}" if len(record) > len(header)
                      else f"no value for {', '.join(header[len(record):])}")
            fields = f"{len(record)} field{'s' if len(record) != 1 else ''}"
            raise InvalidArgumentError(
                f"{source}, line {start}: {fields}, {problem} than the {len(header)} "
                f"columns of the header ({','.join(header)}): {detail}")
        row = CsvRow(zip(header, record, strict=True))
        row.line = start
        row.where = f"{source}, line {start}"
        rows.append(row)
    if header is None:
        raise InvalidArgumentError(f"{source}: the file is empty: expected a CSV header line "
                                   f"and {what}")
    if not rows and not allow_empty:
        raise InvalidArgumentError(
            f"{source}: no rows after the header (line 1): the file has no {what}")
    return header, rows


def _located(where: str, exc: CalibCertError) -> CalibCertError:
    """``exc`` again (same class, same details), its message prefixed by ``where``."""
    err = type(exc)(f"{where}: {exc.message}", **exc.details)
    err.__cause__ = exc.__cause__
    return err


def _json_cell(row: CsvRow, column: str) -> Any:
    try:
        return loads_json(row[column])
    except InvalidArgumentError as exc:
        raise _located(f"{row.where}: {column}", exc) from None
    except ValueError:
        raise InvalidArgumentError(
            f"{row.where}: {column} {row[column]!r} is not JSON") from None


def _uuid_cell(where: str, value: Any, column: str = "dataset") -> str:
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{where}: {column} must be a dataset id (UUID) string, "
                                   f"not {value!r}")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise InvalidArgumentError(
            f"{where}: {column} {value!r} is not a dataset id (UUID)") from None


def _data_id_cell(where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidArgumentError(f"{where}: data_id must be a JSON object, not {value!r}")
    try:
        return canonical_data_id(value)
    except DataIdError as exc:
        raise _located(where, exc) from None


def read_certifications_csv(text: str, source: str = "certification CSV"
                            ) -> list[dict[str, Any]]:
    """Rows of a certification CSV: dataset (id), dataset_type, data_id, run, timespan and
    ``where`` (file and line, for messages). Every cell is checked here, before anything is
    written; a header with no rows is an error."""
    rows = []
    _, table = csv_table(text, source, what="certification rows", required=CERT_CSV_HEADER)
    for r in table:
        try:
            timespan = Timespan(parse_time(r["begin"], "begin"), parse_time(r["end"], "end"))
        except CalibCertError as exc:
            raise _located(r.where, exc) from None
        rows.append({"dataset": _uuid_cell(r.where, r["dataset"]),
                     "dataset_type": r["dataset_type"],
                     "data_id": _data_id_cell(r.where, _json_cell(r, "data_id")),
                     "run": r["run"], "timespan": timespan, "line": r.line,
                     "where": r.where})
    return rows


def import_certifications(reg: Registry, collection: str, rows: list[Mapping[str, Any]],
                          progress: Progress = _noop) -> ImportSummary:
    """Certify CSV rows into ``collection`` (registered as CALIBRATION if missing), all or
    nothing. Each row's dataset must exist with the row's type, data ID and run."""
    summary = ImportSummary()
    places = {}
    for row in reversed(rows):  # the first row of each dataset names it
        if row.get("where"):
            places[str(row["dataset"])] = row["where"]
    try:
        with reg.transaction():
            existed = any(c.name == collection for c in reg.list_collections())
            if reg.register_collection(collection, CollectionType.CALIBRATION):
                summary.collections += 1
            refs = reg.get_datasets([r["dataset"] for r in rows]) if rows else []
            for n, (row, ref) in enumerate(zip(rows, refs, strict=True), start=2):
                if (ref.dataset_type, _data_id_key(ref.data_id), ref.run) != (
                        row["dataset_type"], _data_id_key(row["data_id"]), row["run"]):
                    # A row read from a file is named by locate() below.
                    where = "" if row.get("where") else f"line {n}: "
                    raise InvalidArgumentError(
                        f"{where}dataset {ref.id} is a {ref.dataset_type!r} with data ID "
                        f"{ref.data_id} in RUN {ref.run!r}, the file says "
                        f"{row['dataset_type']!r} {row['data_id']} in {row['run']!r}",
                        dataset=str(ref.id))
            _import_certifications(reg, collection,
                                   [(r["dataset"], r["timespan"]) for r in rows],
                                   existed, summary, progress)
    except CalibCertError as exc:
        located = locate(exc, places)
        if located is exc:
            raise
        raise located from exc.__cause__
    return summary


# -- series: start dates only ------------------------------------------------------------


def read_series(text: str, fmt: str, source: str = "series file") -> list[dict[str, Any]]:
    """Series items: ``{"dataset": id, "begin": time}`` or, instead of ``dataset``,
    ``dataset_type`` + ``run`` + ``data_id``. CSV (header ``dataset,begin`` or
    ``dataset_type,run,data_id,begin``), or a JSON / YAML list of objects. Each item gets
    ``where`` (file and line or item number, for messages); every cell is checked here,
    before anything is written, and a file with no items is an error."""
    items: list[dict[str, Any]] = []
    if fmt == "csv":
        header, rows = csv_table(text, source, what="series rows", allow_empty=True)
        if "begin" not in header or not ("dataset" in header or {"dataset_type", "run",
                                                                  "data_id"} <= set(header)):
            raise InvalidArgumentError(
                f"{source}, line 1: a series CSV needs columns dataset,begin (or "
                f"dataset_type,run,data_id,begin); got {','.join(header)}")
        if not rows:
            raise InvalidArgumentError(
                f"{source}: no rows after the header (line 1): the file has no series rows")
        for r in rows:
            item: dict[str, Any] = {"begin": r["begin"], "line": r.line, "where": r.where}
            if r.get("dataset"):
                item["dataset"] = r["dataset"]
            else:
                item["data_id"] = _json_cell(r, "data_id") if r.get("data_id") else None
                item.update(dataset_type=r.get("dataset_type"), run=r.get("run"))
            items.append(item)
    else:
        doc = parse_structured(text, fmt, source)
        if not isinstance(doc, list):
            raise InvalidArgumentError(
                f"{source}: a series file is a list of objects with 'begin' and 'dataset' "
                f"(or dataset_type, run, data_id), not {type(doc).__name__}")
        if not doc:
            raise InvalidArgumentError(f"{source}: the list is empty: the file has no series "
                                       "items")
        for i, x in enumerate(doc, start=1):
            where = f"{source}, item {i}"
            if not isinstance(x, dict) or "begin" not in x:
                raise InvalidArgumentError(
                    f"{where}: expected an object with 'begin' and 'dataset' (or "
                    f"dataset_type, run, data_id), not {x!r}")
            items.append(dict(x, line=i, where=where))
    for item in items:  # every cell checked before anything is looked up or written
        where = item["where"]
        try:
            item["begin"] = parse_time(item.get("begin"), "begin")
        except CalibCertError as exc:
            raise _located(where, exc) from None
        if item.get("dataset"):
            item["dataset"] = _uuid_cell(where, item["dataset"])
            continue
        missing = [k for k in ("dataset_type", "run", "data_id") if not item.get(k)]
        if missing:
            raise InvalidArgumentError(f"{where}: needs 'dataset' or {', '.join(missing)}")
        for k in ("dataset_type", "run"):
            if not isinstance(item[k], str):
                raise InvalidArgumentError(f"{where}: {k} must be a string, not {item[k]!r}")
        item["data_id"] = _data_id_cell(where, item["data_id"])
    return items


def resolve_series(reg: Registry,
                   items: list[Mapping[str, Any]]) -> list[tuple[str, datetime | None]]:
    """(dataset id, begin) pairs; items naming a data ID are looked up in their RUN."""
    out: list[tuple[str, datetime | None]] = []
    for item in items:
        where = item.get("where") or f"item {item.get('line')}"
        try:
            begin = parse_time(item.get("begin"), "begin")
        except CalibCertError as exc:
            raise _located(where, exc) from None
        if item.get("dataset"):
            out.append((str(item["dataset"]), begin))
            continue
        missing = [k for k in ("dataset_type", "run", "data_id") if not item.get(k)]
        if missing:
            raise InvalidArgumentError(f"{where}: needs 'dataset' or {', '.join(missing)}")
        want = _data_id_key(item["data_id"])
        try:
            candidates = reg.query_datasets(item["run"], item["dataset_type"], item["data_id"])
        except CalibCertError as exc:
            raise _located(where, exc) from None
        found = [r for r in candidates if _data_id_key(r.data_id) == want]
        if not found:
            from .errors import MissingDatasetError

            raise MissingDatasetError(
                f"{where}: no {item['dataset_type']!r} dataset with data ID {item['data_id']} "
                f"in RUN {item['run']!r}", collection=item["run"], data_id=item["data_id"])
        out.append((str(found[0].id), begin))
    return out


@contextmanager
def _locating(places: Mapping[str, str]) -> Iterator[None]:
    """An error naming a dataset or data ID of ``places`` is prefixed by its place
    (:func:`locate`)."""
    try:
        yield
    except CalibCertError as exc:
        err = locate(exc, places)
        if err is exc:
            raise
        raise err from exc.__cause__


def locate(exc: CalibCertError, places: Mapping[str, str]) -> CalibCertError:
    """``exc`` with its message prefixed by the place (file and line) of the input row it
    names, if any: ``places`` maps a dataset id or a data-ID key (:func:`data_id_key`) to
    ``"file, line N"``. The same class and details; ``exc`` itself when no row matches."""
    d = exc.details
    candidates: list[Any] = [d.get("dataset"), d.get("data_id")]
    for c in d.get("conflicts") or []:
        if isinstance(c, Mapping):
            candidates += [c.get("dataset"), c.get("data_id")]
    candidates += list(d.get("datasets") or [])
    for value in candidates:
        if value is None:
            continue
        key = data_id_key(value) if isinstance(value, Mapping) else str(value)
        if key in places:
            return _located(places[key], exc)
    return exc


def data_id_key(data_id: Mapping[str, Any]) -> str:
    """A data ID as one comparable string (sorted keys, JSON)."""
    return _data_id_key(data_id)
