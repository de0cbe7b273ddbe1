"""revert(epoch) in the reference model (tests/model.py), written from the contract
(README "Revert", API.md), for the model-based test (issue 16 item 9).

The model keeps no history of its own: :class:`Ledger` records the model's content after
every step of the test, as a set of rows, with each backend's epoch then. A row is what
the history versions: a collection (its own id per registration, name, type), a chain
position, a tag, a RUN's dataset, a certification (with its version number: see
model.Cert). A row present after step i and not after step i-1 was created by that step's
change, one absent after it was removed by it; the same value gone and back again is two
versions. :meth:`Ledger.predict` then says what reverting step i's change does, from those
versions and the content now alone (never by asking a database):

1. rows the change created that a later change removed (or replaced): revert_row_changed,
   checked per kind in the order the rows are removed (certifications, tags, chain
   positions, datasets, collections), each kind's rows removed after its check;
2. a dataset it created still used by a certification or tag (of a later change):
   revert_in_use; a collection it registered that holds anything or is in a chain:
   revert_in_use;
3. what it removed comes back: a collection whose name is taken: revert_occupied; a row
   whose collection (or dataset, or chain child) is gone and not brought back:
   revert_target_removed; a dataset whose id or (RUN, data ID) is held, a chain position
   whose position or child is held, a tag whose data ID or dataset is held:
   revert_occupied; chains that would loop: revert_chain_cycle; a certification that
   would overlap one of its key: ConflictingCertificationError (revert_overlap);
4. otherwise the content becomes what it is now with the change's rows removed and its
   removed rows back, and the call lists one row per row removed or restored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from model import Cert, Dataset, FrozenId, Model, overlaps

#: A row: (kind, collection id, ...) — see rows().
Row = tuple[Any, ...]

#: How revert() names each kind of row in its actions.
WHAT = {"cert": "certification", "tag": "tag", "chain": "chain position",
        "dataset": "dataset", "collection": "collection"}


def rows(model: Model) -> frozenset[Row]:
    """The model's content as versioned rows:
    ("collection", id, name, type), ("chain", parent id, position, child id),
    ("tag", id, dataset), ("dataset", RUN id, dataset), ("cert", id, vid, dataset, b, e)."""
    ids = model.ids
    out: set[Row] = {("collection", ids[n], n, t) for n, t in model.collections.items()}
    for parent, children in model.chains.items():
        out.update(("chain", ids[parent], pos, ids[c]) for pos, c in enumerate(children, 1))
    for name, tagged in model.tags.items():
        out.update(("tag", ids[name], d) for d in tagged)
    out.update(("dataset", ids[d.run], d.id) for d in model.datasets.values())
    for name, certs in model.certs.items():
        out.update(("cert", ids[name], c.vid, c.dataset, c.begin, c.end) for c in certs)
    return frozenset(out)


@dataclass
class Version:
    row: Row
    created: int  # the step whose change created it (0: at or before the first record)
    removed: int | None


class Ledger:
    """The model's rows after each recorded step, with each backend's epoch then."""

    def __init__(self) -> None:
        self.records: list[tuple[dict[str, int], frozenset[Row]]] = []
        #: every dataset ever seen: id -> (dataset type, data ID)
        self.info: dict[uuid.UUID, tuple[str, FrozenId]] = {}
        self.names: dict[int, str] = {}  # collection id -> its name

    def record(self, epochs: dict[str, int], model: Model) -> None:
        current = rows(model)
        self.records.append((dict(epochs), current))
        for d in model.datasets.values():
            self.info[d.id] = (d.dataset_type, d.data_id)
        for name, cid in model.ids.items():
            self.names[cid] = name

    def revertible(self) -> list[int]:
        """The steps whose change each backend committed as one epoch of its own."""
        return [i for i in range(1, len(self.records))
                if all(self.records[i][0][b] == self.records[i - 1][0].get(b, -2) + 1
                       for b in self.records[i][0])]

    def versions(self) -> list[Version]:
        out: list[Version] = []
        open_: dict[Row, Version] = {}
        for i, (_, current) in enumerate(self.records):
            for row in current:
                if row not in open_:
                    open_[row] = Version(row, i, None)
                    out.append(open_[row])
            for row in [r for r in open_ if r not in current]:
                open_.pop(row).removed = i
        return out

    # -- the rule --------------------------------------------------------------------------

    def predict(self, step: int, model: Model) -> tuple[tuple[Any, ...], Model | None]:
        """What reverting step ``step``'s change does: (outcome, the model after it) where
        outcome is ("ok", sorted (action, collection) pairs) or ("error", class, kind)."""
        now = rows(model)
        assert now == self.records[-1][1], "the ledger missed a step"
        versions = self.versions()
        created = [v for v in versions if v.created == step]
        removed = [v.row for v in versions if v.removed == step]
        state = set(now)

        def error(cls: str, kind: str) -> tuple[tuple[Any, ...], None]:
            return ("error", cls, kind), None

        def conflict(kind: str) -> tuple[tuple[Any, ...], None]:
            return error("RevertConflictError", kind)

        def of(kind: str, where: Any = None) -> list[Row]:
            return [r for r in (where if where is not None else state) if r[0] == kind]

        # 1-2. Remove what the change created.
        for kind in ("cert", "tag", "chain", "dataset", "collection"):
            mine = [v for v in created if v.row[0] == kind]
            if any(v.removed is not None for v in mine):
                return conflict("revert_row_changed")
            if kind == "dataset":
                used = {r[3] for r in of("cert")} | {r[2] for r in of("tag")}
                if any(v.row[2] in used for v in mine):
                    return conflict("revert_in_use")
            if kind == "collection":
                state -= {v.row for v in mine}  # (none is referenced, or it is in use:)
                held = ({r[1] for r in state if r[0] in ("cert", "tag", "dataset", "chain")}
                        | {r[3] for r in of("chain")})
                if any(v.row[1] in held for v in mine):
                    return conflict("revert_in_use")
            state -= {v.row for v in mine}

        # 3. Restore what it removed.
        back = of("collection", removed)
        if any(r[2] in {c[2] for c in of("collection")} for r in back):
            return conflict("revert_occupied")
        state |= set(back)
        alive = {r[1] for r in of("collection")}
        datasets = {r[2] for r in of("dataset")} | {r[2] for r in of("dataset", removed)}
        for r in removed:
            if ((r[0] == "dataset" and r[1] not in alive)
                    or (r[0] == "chain" and not {r[1], r[3]} <= alive)
                    or (r[0] == "tag" and (r[1] not in alive or r[2] not in datasets))
                    or (r[0] == "cert" and (r[1] not in alive or r[3] not in datasets))):
                return conflict("revert_target_removed")
        for r in of("dataset", removed):
            if any(h[2] == r[2] or (h[1] == r[1] and self.info[h[2]] == self.info[r[2]])
                   for h in of("dataset")):
                return conflict("revert_occupied")
        state |= set(of("dataset", removed))
        for r in of("chain", removed):
            if any(h[1] == r[1] and (h[2] == r[2] or h[3] == r[3]) for h in of("chain")):
                return conflict("revert_occupied")
        if self._loops(of("chain") + of("chain", removed), {r[1] for r in of("chain", removed)}):
            return conflict("revert_chain_cycle")
        state |= set(of("chain", removed))
        for r in of("tag", removed):
            if any(h[1] == r[1] and (h[2] == r[2] or self.info[h[2]] == self.info[r[2]])
                   for h in of("tag")):
                return conflict("revert_occupied")
        state |= set(of("tag", removed))
        for r in of("cert", removed):
            if any(h[1] == r[1] and self.info[h[3]] == self.info[r[3]]
                   and overlaps(h[4], h[5], r[4], r[5]) for h in of("cert")):
                return error("ConflictingCertificationError", "revert_overlap")
        state |= set(of("cert", removed))

        # 4. Done: the actions, and the model the content now is.
        actions = sorted([("remove " + WHAT[v.row[0]], self._name(v.row)) for v in created]
                         + [("restore " + WHAT[r[0]], self._name(r)) for r in removed])
        return ("ok", actions), self._model(state, model)

    def _name(self, row: Row) -> str:
        return self.names[row[1]]

    @staticmethod
    def _loops(chains: list[Row], starts: set[int]) -> bool:
        edges: dict[int, set[int]] = {}
        for r in chains:
            edges.setdefault(r[1], set()).add(r[3])
        for start in starts:
            seen: set[int] = set()
            todo = list(edges.get(start, ()))
            while todo:
                cid = todo.pop()
                if cid == start:
                    return True
                if cid not in seen:
                    seen.add(cid)
                    todo.extend(edges.get(cid, ()))
        return False

    def _model(self, state: set[Row], model: Model) -> Model:
        """A model holding ``state`` (dataset types, which have no history, as ``model``)."""
        out = Model()
        out.dataset_types = dict(model.dataset_types)
        out.next_id = model.next_id
        names = {}
        for _, cid, name, ctype in sorted(r for r in state if r[0] == "collection"):
            out.collections[name], out.ids[name], names[cid] = ctype, cid, name
            table = {"TAGGED": out.tags, "CALIBRATION": out.certs, "CHAINED": out.chains}
            if ctype in table:
                table[ctype][name] = []
        for r in sorted((r for r in state if r[0] == "chain"), key=lambda r: (r[1], r[2])):
            out.chains[names[r[1]]].append(names[r[3]])
        for r in state:
            if r[0] == "dataset":
                dtype, data_id = self.info[r[2]]
                out.datasets[r[2]] = Dataset(r[2], dtype, data_id, names[r[1]])
            elif r[0] == "tag":
                out.tags[names[r[1]]].append(r[2])
            elif r[0] == "cert":
                out.certs[names[r[1]]].append(Cert(r[3], r[4], r[5], r[2]))
        return out
