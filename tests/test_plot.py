"""The validity timeline plot (calibcert.plot): files written, one bar per certification,
one row per data ID, unbounded ends marked, readable at hundreds of rows."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from matplotlib.patches import Rectangle

from calibcert import Certification, DatasetRef, Timespan
from calibcert.plot import timeline, write_timeline

UTC = timezone.utc
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def cert(detector: int, begin: int | None, end: int | None, run: str = "run/1",
         dataset_type: str = "bias") -> Certification:
    ref = DatasetRef(uuid.uuid4(), dataset_type, {"instrument": "Cam", "detector": detector}, run)
    day = lambda n: None if n is None else T0 + timedelta(days=n)  # noqa: E731
    return Certification(ref, Timespan(day(begin), day(end)), "Cam/calib")


def bars(fig) -> list[Rectangle]:
    return [p for p in fig.axes[0].patches if (p.get_gid() or "").startswith("cert-")]


def open_markers(fig) -> list:
    return [m for m in fig.axes[0].lines if (m.get_gid() or "").startswith("open-")]


def test_bars_rows_and_open_ends():
    certs = [cert(1, None, 10), cert(1, 20, None), cert(2, 0, 5), cert(2, 5, 30),
             cert(3, 3, None)]
    fig = timeline(certs, title="Cam/calib")
    assert len(bars(fig)) == 5
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["detector=1", "detector=2", "detector=3"]  # shared instrument left out
    assert "instrument=Cam" in ax.get_title(loc="left")
    assert len(open_markers(fig)) == 3  # one unbounded begin, two unbounded ends
    # the gap in row 1 is visible: two bars with empty time between them
    row1 = sorted((b for b in bars(fig) if abs(b.get_y() + b.get_height() / 2) < 1e-9),
                  key=lambda b: b.get_x())
    assert len(row1) == 2 and row1[0].get_x() + row1[0].get_width() < row1[1].get_x()
    # unbounded sides run to the plot edge
    x_lo, x_hi = ax.get_xlim()
    assert row1[0].get_x() == pytest.approx(x_lo)
    assert row1[1].get_x() + row1[1].get_width() == pytest.approx(x_hi)
    # colour says the RUN: one RUN, one colour, and the legend says which
    assert len({b.get_facecolor() for b in bars(fig)}) == 1
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["run/1"]
    assert len(fig.legends) == 1  # one collection: no member legend, no hatches
    assert not any(b.get_hatch() for b in bars(fig))
    # bars are labelled with the short dataset id (where they are wide enough)
    texts = {t.get_text() for t in ax.texts}
    assert str(certs[3].ref.id)[:8] in texts


def test_label_by_run_and_several_types():
    certs = [cert(1, 0, 10, run="Cam/run/jan"), cert(1, 0, 10, dataset_type="dark",
                                                     run="Cam/run/feb")]
    fig = timeline(certs, label="run")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["bias", "dark"]  # what every row shares is said once, in the title
    assert "detector=1 instrument=Cam" in fig.axes[0].get_title(loc="left")
    assert {"Cam/run/jan", "Cam/run/feb"} <= {t.get_text() for t in fig.axes[0].texts}
    with pytest.raises(ValueError):
        timeline(certs, label="colour")


def test_writes_png_and_svg(tmp_path):
    certs = [cert(d, 0, 10) for d in range(4)] + [cert(d, 10, None) for d in range(4)]
    png = tmp_path / "t.png"
    write_timeline(certs, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "t.svg"
    write_timeline(certs, svg)
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert len(set(re.findall(r'id="(cert-\d+)"', text))) == 8
    assert len(set(re.findall(r'id="(open-\d+)"', text))) == 4
    with pytest.raises(ValueError, match="png"):
        write_timeline(certs, tmp_path / "t.gif")


def test_writes_pdf_titled(tmp_path):
    certs = [cert(d, 0, 10) for d in range(3)] + [cert(1, 10, None, run="run/2")]
    pdf = tmp_path / "t.pdf"
    fig = write_timeline(certs, pdf, title="Cam biases", label="run")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page\b", data)) == 1  # one page, the whole figure
    assert b"/Title (Cam biases)" in data  # the document's own title
    assert fig.axes[0].get_title(loc="left").startswith("Cam biases\n4 certifications")
    assert {t.get_text() for t in fig.axes[0].texts} == {"run/1", "run/2"}
    # upper-case suffixes are fine; the title also names SVG and PNG files
    svg = tmp_path / "T.SVG"
    write_timeline(certs, svg, title="Cam biases")
    assert "<dc:title>Cam biases</dc:title>" in svg.read_text()
    from PIL import Image

    png = tmp_path / "t.png"
    write_timeline(certs, png)
    with Image.open(png) as image:
        assert image.text.get("Title") == "calibration validity"  # the default title


def test_hundreds_of_rows_stay_readable(tmp_path):
    few = timeline([cert(d, 0, 10) for d in range(10)])
    certs = [c for d in range(400) for c in (cert(d, 0, 10 + d % 7), cert(d, 12, None))]
    many = write_timeline(certs, tmp_path / "many.png")
    assert len(bars(many)) == 800
    assert len(many.axes[0].get_yticklabels()) == 400
    # the figure grows with the rows, keeping at least ~0.14 inch (10 pt) per row
    height = many.get_size_inches()[1]
    assert height >= 400 * 0.14
    assert height > few.get_size_inches()[1] * 10
    # fonts shrink but stay legible
    sizes = {t.get_fontsize() for t in many.axes[0].get_yticklabels()}
    assert sizes and min(sizes) >= 6
    assert min(sizes) < min(t.get_fontsize() for t in few.axes[0].get_yticklabels())
    # the time axis is repeated on top of a tall figure
    assert many.axes[0].xaxis.get_tick_params(which="major").get("labeltop") is True
    assert not few.axes[0].xaxis.get_tick_params(which="major").get("labeltop")


def test_empty_collection_still_writes_a_file(tmp_path):
    fig = write_timeline([], tmp_path / "empty.svg")
    assert bars(fig) == []
    assert "no certifications" in {t.get_text() for t in fig.axes[0].texts}
    assert (tmp_path / "empty.svg").exists()
