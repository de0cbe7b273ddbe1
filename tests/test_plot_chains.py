"""The plot draws a chain as lookups see it (calibcert.lookup_view, calibcert.plot), on every
backend: at instants around every boundary, the RUN (colour) and member (hatch) a bar shows
are what ``find`` returns through the chain, the member shown answers that dataset itself
and every member searched before it finds nothing. RUN and TAGGED collections are refused;
colours say the RUN, with a legend that says when the palette repeats."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from matplotlib import dates as mdates

from calibcert import CollectionType, Registry
from calibcert.errors import CollectionTypeError, MissingCollectionError
from calibcert.lookup_view import Member, key_of, lookup_view
from calibcert.plot import HATCHES, timeline
from helpers import US, bias_id, flat_id, t, ts

CAL, RUN, TAG, CHAIN = (CollectionType.CALIBRATION, CollectionType.RUN, CollectionType.TAGGED,
                        CollectionType.CHAINED)
OLD, NEW, HIDDEN = "Cam/calib/old", "Cam/calib/new", "Cam/calib/hidden"
OVERRIDE, GOOD = "Cam/calib/override", "Cam/tagged/good"
INNER, OUTER = "Cam/calib/inner", "Cam/calib/default"
RUN_A, RUN_B = "Cam/calib/run/a", "Cam/calib/run/b"


def build(reg: Registry) -> dict[str, Any]:
    """A chain that exercises every rule: OUTER = [GOOD (TAGGED), INNER = [NEW, OVERRIDE
    (RUN)], OLD, NEW again, HIDDEN]. Search order: GOOD, NEW, OVERRIDE, OLD, HIDDEN."""
    reg.register_dataset_type("bias", ("instrument", "detector"))
    reg.register_dataset_type("flat", ("instrument", "detector", "physical_filter"))
    for name, kind in ((RUN_A, RUN), (RUN_B, RUN), (OVERRIDE, RUN), (OLD, CAL), (NEW, CAL),
                       (HIDDEN, CAL), (GOOD, TAG), (INNER, CHAIN), (OUTER, CHAIN)):
        reg.register_collection(name, kind)
    a = {d: r for d, r in zip(range(1, 5), reg.insert_datasets("bias", RUN_A,
                                                                 [bias_id(d) for d in range(1, 5)]),
                              strict=True)}
    b = {d: r for d, r in zip(range(1, 5), reg.insert_datasets("bias", RUN_B,
                                                                 [bias_id(d) for d in range(1, 5)]),
                              strict=True)}
    (over3,) = reg.insert_datasets("bias", OVERRIDE, [bias_id(3)])
    flat_a = reg.insert_datasets("flat", RUN_A, [flat_id(1), flat_id(2)])
    (flat_b1,) = reg.insert_datasets("flat", RUN_B, [flat_id(1)])
    # OLD: the long-standing calibrations
    reg.certify(OLD, [a[1]], ts(2020, None))
    reg.certify(OLD, [a[2]], ts(None, 2022))
    reg.certify(OLD, [a[3]], ts(2020, 2021))  # hidden by OVERRIDE's RUN dataset
    reg.certify(OLD, [a[4]], ts(2019, 2023))
    reg.certify(OLD, flat_a[:1], ts(2020, 2021))  # hidden by GOOD's tag
    # NEW: searched before OLD; a dataset certified twice, pieces cut out of OLD's spans
    reg.certify(NEW, [b[1]], ts(2021, 2022))
    reg.certify(NEW, [b[1]], ts(2023, 2024))
    reg.certify(NEW, [b[2]], ts(t(2021), t(2021, 6)))
    reg.certify(NEW, [b[4]], ts(2018, 2020))  # overlaps OLD's [2019, 2023) at its start
    reg.certify(NEW, flat_a[1:], ts(2022, None))
    # HIDDEN: last; everything it holds is answered earlier
    reg.certify(HIDDEN, [b[3]], ts(None, None))
    reg.tag(GOOD, [flat_b1])
    reg.set_chain(INNER, [NEW, OVERRIDE])
    reg.set_chain(OUTER, [GOOD, INNER, OLD, NEW, HIDDEN])
    return {"over3": over3}


def keys_and_boundaries(reg: Registry) -> tuple[list[tuple[str, dict]], list[datetime]]:
    keys: dict[tuple[str, str], tuple[str, dict]] = {}
    times = {t(1990), t(2040)}
    for member in (OLD, NEW, HIDDEN):
        for c in reg.certifications(member):
            keys[key_of(c.ref.dataset_type, c.ref.data_id)] = (c.ref.dataset_type,
                                                                c.ref.data_id)
            times |= {x for x in (c.timespan.begin, c.timespan.end) if x is not None}
    for member in (OVERRIDE, GOOD):
        for dtype in ("bias", "flat"):
            for r in reg.query_datasets(member, dtype):
                keys[key_of(r.dataset_type, r.data_id)] = (r.dataset_type, r.data_id)
    edges = sorted(times)
    middles = {a + (b - a) / 2 for a, b in zip(edges, edges[1:], strict=False)}
    instants = sorted({x + d for x in times for d in (-US, timedelta(0), US)} | middles)
    return sorted(keys.values(), key=lambda k: key_of(*k)), instants


def finds(reg: Registry, collection: str, keys: list[tuple[str, dict]],
          instants: list[datetime]) -> dict[tuple[int, datetime], Any]:
    """find through ``collection`` for every key and instant (find_many, per type)."""
    out: dict[tuple[int, datetime], Any] = {}
    for dtype in {k[0] for k in keys}:
        qs = [(i, x) for i, k in enumerate(keys) if k[0] == dtype for x in instants]
        found = reg.find_many(collection, dtype, [(keys[i][1], x) for i, x in qs])
        out.update(zip(qs, found, strict=True))
    return out


def test_the_search_path_and_the_answers_match_find(backend: Registry) -> None:
    made = build(backend)
    view = lookup_view(backend, OUTER)
    assert view.type is CHAIN
    assert view.members == (Member(GOOD, TAG), Member(NEW, CAL), Member(OVERRIDE, RUN),
                            Member(OLD, CAL), Member(HIDDEN, CAL))
    keys, instants = keys_and_boundaries(backend)
    assert len(keys) == 6 and len(instants) == 10 * 3 + 9
    through_chain = finds(backend, OUTER, keys, instants)
    by_member = {m.name: finds(backend, m.name, keys, instants) for m in view.members}
    order = [m.name for m in view.members]
    for (i, x), found in through_chain.items():
        shown = view.at(keys[i][0], keys[i][1], x)
        if found is None:
            assert shown is None, (keys[i], x, shown)
            continue
        assert shown is not None and shown.ref == found, (keys[i], x, shown, found)
        # the member shown answers that dataset itself; every member before it finds nothing
        assert by_member[shown.member][i, x] == found
        assert all(by_member[m][i, x] is None for m in order[:order.index(shown.member)])
    # the rules the scenario is there for
    assert {a.member for a in view.answers} == {GOOD, NEW, OVERRIDE, OLD}  # HIDDEN: nothing
    over = [a for a in view.answers if a.member == OVERRIDE]
    assert [(a.ref, a.timespan) for a in over] == [(made["over3"], ts(None, None))]
    det1 = [(a.member, a.timespan) for a in view.answers if a.ref.data_id == bias_id(1)]
    assert det1 == [(OLD, ts(2020, 2021)), (NEW, ts(2021, 2022)), (OLD, ts(2022, 2023)),
                    (NEW, ts(2023, 2024)), (OLD, ts(2024, None))]
    assert view.certifications == len(backend.certifications(OUTER))


def _row_label(dataset_type: str, data_id: dict) -> str:
    return " ".join([dataset_type, *(f"{k}={v}" for k, v in sorted(data_id.items())
                                     if k != "instrument")])


def shown_in_figure(fig, keys, instants) -> dict[tuple[int, datetime], tuple[str, str] | None]:
    """What the figure shows for each key and instant inside its time axis: (RUN, member),
    decoded from the bar's colour and hatch through the two legends."""
    ax = fig.axes[0]
    runs = {tuple(h.get_facecolor()): text.get_text()
            for h, text in zip(fig.legends[0].legend_handles, fig.legends[0].get_texts(),
                               strict=True)}
    members = {h.get_hatch() or "": text.get_text().split(" ")[1]
               for h, text in zip(fig.legends[1].legend_handles, fig.legends[1].get_texts(),
                                  strict=True)}
    assert len(runs) == len(fig.legends[0].legend_handles)  # colours are distinct here
    assert len(members) == len(fig.legends[1].legend_handles)
    rows = [tick.get_text() for tick in ax.get_yticklabels()]
    bars = [p for p in ax.patches if (p.get_gid() or "").startswith("cert-")]
    x_lo, x_hi = ax.get_xlim()
    # Half a microsecond in days: date2num(2020) is ~18000 days, where a double's step is
    # ~0.3 us, so a bar's end (left + width) may be off by a step; the instants sampled are
    # a whole microsecond from each boundary.
    eps = 0.5e-6 / 86400
    out: dict[tuple[int, datetime], tuple[str, str] | None] = {}
    for i, key in enumerate(keys):
        y = rows.index(_row_label(*key))
        row = [b for b in bars if abs(b.get_y() + b.get_height() / 2 - y) < 1e-9]
        for x in instants:
            n = mdates.date2num(x)
            if not x_lo < n < x_hi:
                continue
            hit = [b for b in row if b.get_x() - eps <= n < b.get_x() + b.get_width() - eps]
            assert len(hit) <= 1, (key, x)
            out[i, x] = (None if not hit else
                         (runs[tuple(hit[0].get_facecolor())], members[hit[0].get_hatch() or ""]))
    return out


def test_the_figure_shows_what_find_returns(backend: Registry) -> None:
    build(backend)
    fig = timeline(lookup_view(backend, OUTER), label="member")
    keys, instants = keys_and_boundaries(backend)
    shown = shown_in_figure(fig, keys, instants)
    inside = [(i, x) for i in range(len(keys)) for x in instants
              if t(2018) - US <= x <= t(2024) + US]
    # every finite boundary (8, each at -1 us, 0, +1 us) and the middles between them
    assert len(inside) == 6 * (8 * 3 + 7) and set(inside) <= set(shown)
    through_chain = finds(backend, OUTER, keys, instants)
    members = [m.name for m in lookup_view(backend, OUTER).members]
    by_member = {m: finds(backend, m, keys, instants) for m in members}
    for (i, x), what in shown.items():
        found = through_chain[i, x]
        if found is None:
            assert what is None, (keys[i], x, what)
            continue
        assert what is not None, (keys[i], x, found)
        run, member = what
        assert run == found.run, (keys[i], x)  # one dataset per RUN and key: the colour is it
        assert by_member[member][i, x] == found
        assert all(by_member[m][i, x] is None for m in members[:members.index(member)])
    # the member legend lists the search order, says who answers nothing, hatches differ
    texts = [x.get_text() for x in fig.legends[1].get_texts()]
    assert [x.split(" ")[1] for x in texts] == members
    assert texts[-1].endswith("answers nothing (hidden)") and "hidden" not in texts[0]
    assert [h.get_hatch() or "" for h in fig.legends[1].legend_handles] == list(HATCHES[:5])
    assert "as lookups see it" in fig.axes[0].get_title(loc="left")
    # --label member: the bars wide enough for it carry the member's name
    assert {x.get_text() for x in fig.axes[0].texts} <= set(members)
    assert OVERRIDE in {x.get_text() for x in fig.axes[0].texts}


def test_a_calibration_collection_is_its_certifications(backend: Registry) -> None:
    build(backend)
    view = lookup_view(backend, OLD, "bias")
    assert view.type is CAL and view.members == (Member(OLD, CAL),)
    certs = backend.certifications(OLD, "bias")
    assert sorted((a.ref.id, a.timespan) for a in view.answers) == sorted(
        (c.ref.id, c.timespan) for c in certs)
    fig = timeline(view)
    assert len(fig.legends) == 1  # RUN colours only: one member, no hatches
    assert fig.axes[0].get_title(loc="left").startswith(f"{OLD}\n4 certifications, 4 data IDs")
    # --dataset-type on a chain: only that type's rows
    assert {a.ref.dataset_type for a in lookup_view(backend, OUTER, "flat").answers} == {"flat"}


@pytest.mark.parametrize("name,kind", [(RUN_A, "RUN"), (GOOD, "TAGGED")], ids=["run", "tagged"])
def test_run_and_tagged_collections_are_refused(backend: Registry, name: str,
                                                kind: str) -> None:
    build(backend)
    with pytest.raises(CollectionTypeError) as exc:
        lookup_view(backend, name)
    assert exc.value.message == (
        f"collection {name!r} is {kind}, not CALIBRATION or CHAINED: a {kind} collection's"
        " datasets answer lookups for all time, so it has no validity timeline to plot")
    assert exc.value.details["kind"] == "plot_collection_type"
    assert exc.value.details["collection"] == name
    with pytest.raises(MissingCollectionError):
        lookup_view(backend, "Cam/nope")


def test_colours_say_the_run_and_the_legend_says_when_they_repeat(backend: Registry) -> None:
    backend.register_dataset_type("bias", ("instrument", "detector"))
    backend.register_collection(NEW, CAL)
    runs = [f"Cam/run/{i:02d}" for i in range(25)]
    for i, run in enumerate(runs):
        backend.register_collection(run, RUN)
        backend.certify(NEW, backend.insert_datasets("bias", run, [bias_id(0)]),
                        ts(t(2020) + timedelta(days=i), t(2020) + timedelta(days=i + 1)))
    fig = timeline(lookup_view(backend, NEW))
    legend = fig.legends[0]
    assert [x.get_text() for x in legend.get_texts()] == runs
    colours = [tuple(h.get_facecolor()) for h in legend.legend_handles]
    assert len(set(colours[:20])) == 20 and colours[20:] == colours[:5]
    assert "colours repeat" in legend.get_title().get_text()
    bars = sorted((p for p in fig.axes[0].patches if (p.get_gid() or "").startswith("cert-")),
                  key=lambda p: p.get_x())
    assert [tuple(b.get_facecolor()) for b in bars] == colours  # day i is RUN i's colour
    few = timeline(backend.certifications(NEW)[:3])
    assert "repeat" not in few.legends[0].get_title().get_text()


def test_a_chain_of_one_member_and_an_empty_chain(backend: Registry) -> None:
    build(backend)
    backend.register_collection("Cam/calib/one", CHAIN)
    backend.set_chain("Cam/calib/one", [OLD])
    fig = timeline(lookup_view(backend, "Cam/calib/one"))
    # a chain always says who answers, even with a single member
    assert [x.get_text() for x in fig.legends[1].get_texts()] == [f"1. {OLD} (CALIBRATION)"]
    assert "5 intervals answered by 1 of 1 members" in fig.axes[0].get_title(loc="left")
    backend.register_collection("Cam/calib/empty", CHAIN)
    view = lookup_view(backend, "Cam/calib/empty")
    assert view.members == () and view.answers == ()
    fig = timeline(view)
    assert "lookups find nothing" in {x.get_text() for x in fig.axes[0].texts}
    # certifications of a chain drawn as given: not claimed to be what lookups see
    given = timeline(backend.certifications(OUTER, "bias"))
    title = given.axes[0].get_title(loc="left")
    assert "as lookups see it" not in title and "3 collections" in title
    assert given.legends[1].get_title().get_text() == "collection"
