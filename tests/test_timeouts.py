"""Timeouts and failures: a hung cell is really killed, failures become rows, --rerun-failed retries them.

The misbehaving estimators live in tests/_faulty_estimators.py and are registered for the test
only (monkeypatched ``BUILTIN_ESTIMATORS`` entries, which the runner hands to its cell processes).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ibbench
from ibbench import registry
from ibbench.cli import app
from ibbench.report.leaderboard import build_leaderboard, write_leaderboard
from ibbench.store import Store

TASK = "gaussian-dense:dim=1;mi=0.5"


@pytest.fixture
def faulty(monkeypatch):
    """Register the misbehaving estimators of tests/_faulty_estimators.py for one test."""
    here = Path(__file__).resolve().parent
    monkeypatch.syspath_prepend(str(here))
    from _faulty_estimators import FAULTY

    for name, cls in FAULTY.items():
        monkeypatch.setitem(registry.BUILTIN_ESTIMATORS, name, f"_faulty_estimators:{cls}")
    return FAULTY


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too (its parent, the forkserver, has not reaped it yet)
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def test_hanging_cell_is_killed_at_the_timeout(faulty, tmp_path):
    store, pid_file = tmp_path / "s.sqlite", tmp_path / "hang.pid"
    timeout = 2.0
    started = time.monotonic()
    result = CliRunner().invoke(
        app,
        [
            "run",
            "-e",
            f"gaussian,test-hang:pid_file={pid_file}",
            "-t",
            TASK,
            "--n",
            "50",
            "--seeds",
            "1",
            "--timeout",
            str(timeout),
            "--store",
            str(store),
        ],
    )
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    df = ibbench.load_results(store).set_index("estimator")
    assert df.loc["gaussian", "status"] == "ok"
    row = df.loc["test-hang"]
    assert row["status"] == "timeout"
    assert "timeout" in row["message"] and row["estimate"] != row["estimate"]  # NaN: no estimate
    # recorded duration is the time until the kill: at least the timeout, and the run did not wait for the hang
    assert timeout <= row["seconds"] < timeout + 5
    assert elapsed < 60
    # the hung fit really ran in its own process, and that process is gone (killed, not abandoned)
    pid = int(pid_file.read_text())
    assert pid != os.getpid()
    deadline = time.monotonic() + 5
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _pid_alive(pid), f"cell process {pid} still running after its timeout"


def test_raising_nan_and_crashing_estimators_become_error_rows(faulty, tmp_path):
    store = tmp_path / "s.sqlite"
    summary = ibbench.run(
        estimators="gaussian,test-raise,test-nan,test-crash", tasks=TASK, n=60, seeds=2, store=store, timeout=60
    )
    assert summary.statuses == {"ok": 2, "error": 6}
    df = ibbench.load_results(store)
    by = {name: g for name, g in df.groupby("estimator")}
    assert (by["gaussian"]["status"] == "ok").all()
    assert by["test-raise"]["message"].str.contains("RuntimeError: deliberate failure for the test").all()
    assert by["test-nan"]["message"].str.contains("non-finite estimate").all()
    assert by["test-crash"]["message"].str.contains(r"process died \(exit code 3\)").all()
    for name in ("test-raise", "test-nan", "test-crash"):
        assert (by[name]["status"] == "error").all() and by[name]["estimate"].isna().all()

    # the leaderboard ranks only the working estimator; the failed ones are listed with zero coverage
    board = build_leaderboard(store, n_boot=50)
    assert board.overall["estimator_label"].tolist() == ["gaussian"]
    partial = board.partial.set_index("estimator_label")
    for name in ("test-raise", "test-nan", "test-crash"):
        assert partial.loc[name, "coverage"] == 0.0 and partial.loc[name, "failed"] == 1
    assert board.status_counts == {"ok": 2, "error": 6}
    files = write_leaderboard(store, tmp_path / "board", formats=["md", "html"], plots=False)
    page = (tmp_path / "board" / "leaderboard.html").read_text()
    assert len(files) == 2 and "deliberate failure for the test" in page


def test_rerun_failed_retries_error_and_timeout_cells(faulty, tmp_path):
    store, flag = tmp_path / "s.sqlite", tmp_path / "flag"
    args = [
        "run",
        "-e",
        f"test-flaky:flag={flag}",
        "-t",
        TASK,
        "--n",
        "60",
        "--seeds",
        "2",
        "--store",
        str(store),
        "--timeout",
        "60",
    ]
    runner = CliRunner()
    assert runner.invoke(app, args).exit_code == 1  # every cell failed: the run did not do its job
    first = ibbench.load_results(store)
    assert list(first["status"]) == ["error", "error"]
    assert first["message"].str.contains("not there yet").all()

    flag.write_text("ready")
    assert runner.invoke(app, args).exit_code == 0  # plain resume: failed cells are kept, nothing runs
    again = ibbench.load_results(store)
    assert list(again["status"]) == ["error", "error"]
    assert list(again["finished_at"]) == list(first["finished_at"])

    result = runner.invoke(app, args + ["--rerun-failed"])
    assert result.exit_code == 0, result.output
    final = ibbench.load_results(store)
    assert list(final["status"]) == ["ok", "ok"] and (final["estimate"] == 0.5).all()
    runs = Store(store).runs()
    assert list(runs["n_run"]) == [2, 0, 2]


def test_reused_cell_process_measures_peak_memory_per_cell(faulty):
    from ibbench.cell_process import run_local
    from ibbench.runner import build_grid

    # one cell touches 300 MiB, then two cells touch nothing, all in the same (reused) cell process
    grid = build_grid(
        [("test-allocate", {"mb": 300}), ("test-allocate", {"mb": 0})],
        [("gaussian-dense", {"dim": 1, "mi": 1.0})],
        [100],
        [0, 1],
    )
    rows: list = []
    run_local([c.as_dict() for c in grid[1:]], jobs=1, timeout=120, on_result=rows.append)
    assert [(r["estimator_params"]["mb"], r["status"]) for r in rows] == [(300, "ok"), (0, "ok"), (0, "ok")]
    peaks = [r["peak_mem_mb"] for r in rows]
    assert peaks[0] > 300
    if Path("/proc/self/clear_refs").exists():  # Linux: the peak is reset between cells
        assert peaks[1] < peaks[0] - 250 and peaks[2] < peaks[0] - 250


def test_concurrent_cells_share_the_cpus(faulty, monkeypatch, tmp_path):
    from ibbench.cell_process import run_local
    from ibbench.numerics.knn import CPUS_VARIABLE, available_cpus
    from ibbench.runner import build_grid

    monkeypatch.delenv(CPUS_VARIABLE, raising=False)
    cpus = available_cpus()
    grid = build_grid([("test-cpus", {})], [("gaussian-dense", {"dim": 1, "mi": 1.0})], [50], [0, 1])
    for jobs in (1, 2):
        rows: list = []
        run_local([c.as_dict() for c in grid], jobs=jobs, timeout=120, on_result=rows.append)
        assert [r["estimate"] for r in rows] == [float(max(1, cpus // jobs))] * 2
    monkeypatch.setenv(CPUS_VARIABLE, "1")
    assert available_cpus() == 1
    for bad in ("0", "two", "-1", "²"):
        monkeypatch.setenv(CPUS_VARIABLE, bad)
        with pytest.raises(ValueError, match=CPUS_VARIABLE):
            available_cpus()
    # a run refuses it before it opens the store (not one error row per cell)
    with pytest.raises(ValueError, match=CPUS_VARIABLE):
        ibbench.run(estimators="ksg", tasks="gaussian-dense:dim=1;mi=1.0", n=50, seeds=1, store=tmp_path / "s.sqlite")
    assert not (tmp_path / "s.sqlite").exists()
