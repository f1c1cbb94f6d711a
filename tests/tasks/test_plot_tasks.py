"""``ibbench plot --kind tasks`` writes PNGs for every kind of task panel."""

import pytest

from ibbench.report.plots import PLOT_KINDS, make_plot


def test_plot_tasks_writes_pngs(tmp_path):
    assert "tasks" in PLOT_KINDS
    spec = (
        "images-bumps:size=16&mi=2+images-rectangles:size=8&mi=1+digits-label:encoding=onehot"
        "+categorical+mixed-class-gaussian+student-t"
    )
    files = make_plot("tasks", store=None, out=tmp_path, tasks=spec, n=300)
    assert len(files) == 7 and files[-1].name == "tasks-overview.png"
    for f in files:
        assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f.stat().st_size > 2000


def test_plot_tasks_rejects_unknown_options(tmp_path):
    with pytest.raises(ValueError, match="unknown --option colour"):
        make_plot("tasks", store=None, out=tmp_path, tasks="categorical", colour="red")
