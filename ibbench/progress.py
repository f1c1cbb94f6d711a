"""The progress display of a benchmark run (rich, on stderr), shared by ``ibbench run`` and :func:`ibbench.run`.

Progress never mixes into returned data: it is drawn on a console writing to stderr (or the notebook's
output area). :func:`progress_wanted` decides what ``progress=None`` (auto) means.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def in_notebook() -> bool:
    """Whether this process is a Jupyter/IPython kernel (a notebook shows progress although stderr is no tty)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # noqa: BLE001 - a broken or partial IPython install: no notebook
        return False
    return shell is not None and hasattr(shell, "kernel")


def progress_wanted(progress: bool | None) -> bool:
    """``progress`` as given (True/False), or for None (auto): True when stderr is a terminal or in a notebook."""
    if progress is not None:
        return bool(progress)
    try:
        terminal = sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stderr
        terminal = False
    return terminal or in_notebook()


def stderr_console() -> Console:
    """The console progress is drawn on: stderr, emoji codes in user text kept literal."""
    return Console(stderr=True, emoji=False)


def progress_bar(console: Console) -> Progress:
    """A rich progress display: description, bar, done/total, elapsed time and ETA."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


class RunProgress:
    """Progress of a benchmark run: one bar over the cells to run, a line per failed cell.

    Pass :meth:`on_plan` and :meth:`on_cell` as the ``on_plan`` and ``progress`` callbacks of
    :func:`ibbench.run`, and call :meth:`stop` when the run returns or fails.

    Parameters
    ----------
    console : where to draw (default: a console on stderr)
    store : the store's path, named in the "already stored" line
    """

    def __init__(self, console: Console | None = None, store: str | Path | None = None) -> None:
        self.console = console if console is not None else stderr_console()
        self.store = store
        self.display = progress_bar(self.console)
        self.bar: TaskID | None = None
        self.failed = 0

    def on_plan(self, todo: int, existing: int) -> None:
        """Once the grid is known: ``todo`` cells to run, ``existing`` already stored (skipped)."""
        if existing:
            where = f" in {self.store}" if self.store is not None else ""
            self.console.print(escape(f"{existing} cell(s) already{where}: skipped (resume)"))
        self.bar = self.display.add_task("cells", total=todo)
        self.display.start()

    def on_cell(self, row: dict[str, Any], done: int, total: int) -> None:
        """After each cell: advance the bar; print one line for a failed cell."""
        if row["status"] in ("error", "timeout"):
            self.failed += 1
            message = row.get("message") or ""
            first = message.splitlines()[0] if message.strip() else ""
            self.display.console.print(
                f"[yellow]{row['status']}[/]: "
                + escape(
                    f"{row['estimator_label']} on {row['task_label']} n={row['n']} seed={row['seed']}: {first[:160]}"
                )
            )
        if self.bar is None:  # a caller that skipped on_plan
            self.bar = self.display.add_task("cells", total=total)
            self.display.start()
        self.display.update(
            self.bar,
            completed=done,
            total=total,
            description=escape(f"{_bar_label(row):<24.24} {row['task'][:22]:<22}"),
        )

    def stop(self) -> None:
        """End the display (the bar stays on screen); safe to call when it never started."""
        self.display.stop()


def _bar_label(row: dict[str, Any]) -> str:
    """The short label of a cell's estimator (``ae(nc=2)→ksg``) for the progress bar; its stored label when
    the parameters cannot be read."""
    import json

    from ibbench.report.labels import short_label

    params = row.get("estimator_params")
    try:
        params = json.loads(params) if isinstance(params, str) else params
        return short_label(str(row["estimator"]), params) if isinstance(params, dict) else str(row["estimator_label"])
    except Exception:  # noqa: BLE001 - the bar never stops a run
        return str(row["estimator_label"])
