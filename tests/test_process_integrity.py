"""Process integrity: infrastructure failures never become rows, exit codes, no orphans, per-cell memory limit.

Runs that must be killed or that exercise the main-module re-import run as scripts in a
subprocess; the misbehaving estimators live in tests/_faulty_estimators.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from _procs import descendants, running
from typer.testing import CliRunner

import ibbench
from ibbench import registry
from ibbench.cli import app
from ibbench.runner import RunSummary

TESTS = Path(__file__).resolve().parent
TASK = "gaussian-dense:dim=1;mi=0.5"

HEADER = f"""\
import json, os, sys
from pathlib import Path
sys.path.insert(0, {str(TESTS)!r})
"""
RUN = f"""\
import ibbench
from ibbench import registry
from _faulty_estimators import FAULTY
for name, cls in FAULTY.items():
    registry.BUILTIN_ESTIMATORS[name] = "_faulty_estimators:" + cls
summary = ibbench.run(estimators=os.environ["ESTIMATORS"], tasks={TASK!r}, n=50, seeds=2, store="s.sqlite",
                      timeout=120)
print(json.dumps({{"statuses": summary.statuses, "infra": summary.infra_failures}}))
"""


@pytest.fixture
def faulty(monkeypatch):
    """Register the misbehaving estimators of tests/_faulty_estimators.py for one test."""
    monkeypatch.syspath_prepend(str(TESTS))
    from _faulty_estimators import FAULTY

    for name, cls in FAULTY.items():
        monkeypatch.setitem(registry.BUILTIN_ESTIMATORS, name, f"_faulty_estimators:{cls}")


def _script(folder: Path, body: str, **env: str) -> subprocess.Popen:
    """Start ``python script.py`` in ``folder`` with ``body`` after :data:`HEADER`, ``env`` added."""
    (folder / "script.py").write_text(HEADER + body)
    return subprocess.Popen(
        [sys.executable, "script.py"],
        cwd=folder,
        env={**os.environ, **env},
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _result(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def command_line(pid: int) -> str:
    """The command line of ``pid``, or "" if it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _stored(folder: Path) -> list[str]:
    store = folder / "s.sqlite"
    return list(ibbench.load_results(store)["status"]) if store.exists() else []


# -- 1. infrastructure failures are retried, then reported, never stored ---------------------------


def test_unguarded_script_reports_the_main_guard_and_stores_nothing(tmp_path):
    # the script calls ibbench.run at module level: every cell process re-imports it
    result = _result(_script(tmp_path, RUN, ESTIMATORS="gaussian"))
    assert result["statuses"] == {}
    assert len(result["infra"]) == 1
    assert (
        'must guard ibbench.run with `if __name__ == "__main__":` because cell processes re-import the main module'
    ) in result["infra"][0]
    assert _stored(tmp_path) == []  # no error rows that a re-run would skip as finished

    guarded = "if __name__ == '__main__':\n" + textwrap.indent(RUN, "    ")
    result = _result(_script(tmp_path, guarded, ESTIMATORS="gaussian"))
    assert result == {"statuses": {"ok": 2}, "infra": []}


FLAKY_START = """\
if __name__ == "__mp_main__":  # a cell process importing this script before it runs a cell
    starts = Path("starts")
    n = int(starts.read_text()) if starts.exists() else 0
    starts.write_text(str(n + 1))
    if n < int(os.environ["FAILS"]):
        os._exit(5)
if __name__ == "__main__":
""" + textwrap.indent(RUN, "    ")


def test_cell_process_dying_before_the_cell_starts_is_retried_then_reported(tmp_path):
    # two failed starts: the cell is retried in fresh processes and both cells are computed
    result = _result(_script(tmp_path, FLAKY_START, ESTIMATORS="gaussian", FAILS="2"))
    assert result == {"statuses": {"ok": 2}, "infra": []}
    assert int((tmp_path / "starts").read_text()) >= 3

    # every start fails: each cell is tried 3 times, reported, and nothing is stored
    other = tmp_path / "always"
    other.mkdir()
    result = _result(_script(other, FLAKY_START, ESTIMATORS="gaussian", FAILS="1000"))
    assert result["statuses"] == {}
    assert len(result["infra"]) == 2
    assert all("exited (code 5) before it started the cell (3 attempts)" in m for m in result["infra"])
    assert _stored(other) == []


def test_death_while_fitting_stays_an_error_row(faulty, tmp_path):
    summary = ibbench.run(estimators="test-crash", tasks=TASK, n=50, seeds=1, store=tmp_path / "s.sqlite", timeout=60)
    assert summary.statuses == {"error": 1} and summary.infra_failures == []
    assert "cell process died (exit code 3)" in ibbench.load_results(tmp_path / "s.sqlite")["message"].iloc[0]


def test_dask_task_failing_without_a_row_is_an_infrastructure_failure():
    pytest.importorskip("distributed")
    from ibbench.dask_backend import run_dask
    from ibbench.runner import build_grid

    cell = build_grid([("gaussian", {})], [("gaussian-dense", {"dim": 1, "mi": 0.5})], [50], [0])[0].as_dict()
    rows, infra = [], []
    # an invalid limit makes the task raise on the worker before any cell process runs
    run_dask(
        [cell],
        n_workers=1,
        timeout=60,
        max_memory="bogus",
        on_result=rows.append,
        on_infra=lambda c, message: infra.append((c["key"], message)),
    )
    assert rows == []
    assert len(infra) == 1 and infra[0][0] == cell["key"] and "dask task failed: ValueError" in infra[0][1]


# -- 2. exit codes ---------------------------------------------------------------------------------


def test_run_summary_problems():
    quick = RunSummary("r", "s", 396, 0, {"ok": 390, "error": 2, "skipped": 4})  # quick's two singular covariances
    assert quick.problems() == []
    assert quick.problems(strict=True) == ["2 of the 392 cell(s) run failed (error or timeout)"]
    assert RunSummary("r", "s", 2, 0, {"error": 1, "timeout": 1, "skipped": 3}).problems() != []
    assert RunSummary("r", "s", 2, 2, {}).problems(strict=True) == []  # nothing to do
    assert RunSummary("r", "s", 2, 0, {"skipped": 2}).problems() == []
    lost = RunSummary("r", "s", 2, 0, {"ok": 1}, infra_failures=["ksg on x n=1 seed=0: worker lost"])
    assert lost.problems() == ["infrastructure failure: ksg on x n=1 seed=0: worker lost"]


def test_run_exit_codes(faulty, tmp_path):
    runner = CliRunner()

    def run(name: str, estimators: str, *extra: str):
        return runner.invoke(
            app,
            [
                "run",
                "-e",
                estimators,
                "-t",
                TASK,
                "--n",
                "50",
                "--seeds",
                "1",
                "--timeout",
                "60",
                "--store",
                str(tmp_path / f"{name}.sqlite"),
                *extra,
            ],
        )

    some = run("some", "gaussian,test-raise")
    assert some.exit_code == 0, some.output  # a failed cell is a result
    strict = run("strict", "gaussian,test-raise", "--strict")
    assert strict.exit_code == 1 and "1 of the 2 cell(s) run failed" in strict.output
    every = run("every", "test-raise,test-nan")
    assert every.exit_code == 1 and "2 of the 2 cell(s) run failed" in every.output
    assert run("every", "test-raise,test-nan").exit_code == 0  # resumed: nothing to do
    assert run("bad", "gaussian", "--max-memory", "lots").exit_code == 2


def test_run_exits_1_on_infrastructure_failures(monkeypatch, tmp_path):
    def lost_run(**kwargs):
        return RunSummary("r", str(kwargs["store"]), 2, 0, {"ok": 1}, infra_failures=["gaussian on x: worker lost"])

    monkeypatch.setattr("ibbench.runner.run", lost_run)
    result = CliRunner().invoke(app, ["run", "-e", "gaussian", "-t", TASK, "--store", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 1
    assert "infrastructure failure: gaussian on x: worker lost" in result.output


# -- 3. no process of a killed run survives, even while a cell holds the GIL -----------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc and PR_SET_PDEATHSIG")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_no_process_survives_a_killed_run(tmp_path, sig):
    pid_file = tmp_path / "cell.pid"
    body = "if __name__ == '__main__':\n" + textwrap.indent(RUN, "    ")
    proc = _script(tmp_path, body, ESTIMATORS=f"test-hold-gil:pid_file={pid_file}")
    helpers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists():
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "the cell did not start within 60 s"
            time.sleep(0.05)
        time.sleep(0.5)  # the cell is now deep in the regex, holding the GIL
        cell = int(pid_file.read_text())
        helpers = descendants(proc.pid)
        names = " | ".join(command_line(p) for p in helpers)
        assert cell in helpers and "forkserver" in names and "resource_tracker" in names, names
        os.kill(proc.pid, sig)
        proc.wait(30)
        give_up = time.monotonic() + 5
        while any(running(p) for p in helpers) and time.monotonic() < give_up:
            time.sleep(0.05)
        survivors = {p: command_line(p) for p in helpers if running(p)}
        assert not survivors, f"processes of the killed run still running: {survivors}"
    finally:  # clean up after a failure: only the processes of this run (survivors hold the output pipes)
        if proc.poll() is None:
            proc.kill()
        for pid in helpers:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        proc.communicate(timeout=30)


# -- 4. per-cell memory limit ----------------------------------------------------------------------


def _own_address_space_gib() -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmSize:")) / 2**20


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_memory_limit_turns_a_huge_allocation_into_an_error_row(faulty, tmp_path):
    # the limit leaves room for a cell process's libraries (about 1.1 GiB of address space; this test
    # process has at least as much loaded); the reservation alone exceeds it (untouched: no real memory)
    limit = float(max(4, round(_own_address_space_gib()) + 2))
    store = tmp_path / "s.sqlite"
    summary = ibbench.run(
        estimators=f"test-reserve:gb={limit + 2},test-allocate:mb=64",
        tasks=TASK,
        n=50,
        seeds=1,
        store=store,
        timeout=60,
        max_memory=limit,
    )
    assert summary.statuses == {"ok": 1, "error": 1}
    rows = ibbench.load_results(store).set_index("estimator")
    assert rows.loc["test-reserve", "message"].startswith(f"exceeded memory limit ({limit:.3g} GiB): ")
    assert "MemoryError" in rows.loc["test-reserve", "message"]
    assert rows.loc["test-allocate", "status"] == "ok"

    result = CliRunner().invoke(
        app,
        [
            "run",
            "-e",
            f"test-reserve:gb={limit + 2}",
            "-t",
            TASK,
            "--n",
            "50",
            "--seeds",
            "1",
            "--store",
            str(tmp_path / "cli.sqlite"),
            "--max-memory",
            str(limit),
        ],
    )
    assert result.exit_code == 1 and "exceeded memory limit" in result.output
