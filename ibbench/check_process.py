"""The conformance suite of a user's class in a separate process, with a time limit (``ibbench check``).

A hanging ``fit`` (or ``sample``) must not hang the command: the suite runs in a child process
that reports each check as it starts and ends; when the time limit passes the child is killed,
the running check is reported as failed and the remaining ones as not run.
"""

from __future__ import annotations

import importlib
import multiprocessing
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from ibbench.testing import CheckResult

#: Default time limit (seconds) of a whole conformance suite.
DEFAULT_CHECK_TIMEOUT = 300.0


def load_class(target: str) -> type:
    """The class named by ``"module:Class"`` (``ValueError`` with one line for any import failure)."""
    module, _, attr = target.partition(":")
    if not module or not attr:
        raise ValueError(f"give module:Class, e.g. my_estimators:MyKSG (got {target!r})")
    try:
        return getattr(importlib.import_module(module), attr)
    except Exception as exc:  # noqa: BLE001 - SyntaxError, ImportError, errors raised by the module, ...
        detail = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, SyntaxError) and exc.filename:
            detail = f"SyntaxError in {exc.filename}, line {exc.lineno}: {exc.msg}"
        raise ValueError(f"cannot import {target}: {detail}") from exc


def _child(target: str, path: list[str], conn: Connection[Any, Any]) -> None:
    """Child process: import ``target`` and run its suite, sending ``("start", name)`` and
    ``("done", result)`` for each check, then ``("end", None)``."""
    sys.path[:0] = [p for p in path if p not in sys.path]
    from ibbench import testing
    from ibbench.task import Task

    cls = load_class(target)
    checker = getattr(testing, "_Checker", None)
    original = getattr(checker, "run", None)
    if checker is not None and original is not None:  # report each check as it starts and ends

        def run(self: Any, name: str, fn: Callable[[], None]) -> None:
            conn.send(("start", name))
            original(self, name, fn)
            conn.send(("done", self.results[-1]))

        checker.run = run
    is_task = isinstance(cls, type) and issubclass(cls, Task)
    results = (testing.check_task if is_task else testing.check_mi_estimator)(cls, raise_on_failure=False)
    if original is None:
        for result in results:
            conn.send(("done", result))
    conn.send(("end", None))


def run_checks(target: str, timeout: float | None = DEFAULT_CHECK_TIMEOUT) -> list[CheckResult]:
    """Results of the conformance suite of ``"module:Class"``, run in a child process.

    The child inherits this process's ``sys.path`` (so a module importable here is importable
    there). If the suite has not finished after ``timeout`` seconds (None = no limit) the child is
    killed and the check it was running is a failed :class:`CheckResult`; a child that dies is
    reported likewise. Raises ``ValueError`` if ``target`` cannot be imported here.
    """
    load_class(target)  # a one-line error for a missing module, a SyntaxError, ... before any process starts
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(target, list(sys.path), child), daemon=True)
    proc.start()
    child.close()
    results: list[CheckResult] = []
    current: str | None = None
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not parent.poll(wait):
                name = current or "conformance suite"
                results.append(
                    CheckResult(
                        name,
                        False,
                        f"did not finish within the time limit of {timeout:g} s "
                        "(hangs or too slow); the suite was stopped here",
                    )
                )
                return results
            try:
                kind, payload = parent.recv()
            except EOFError:
                proc.join(5)
                results.append(
                    CheckResult(
                        current or "conformance suite", False, f"the check process died (exit code {proc.exitcode})"
                    )
                )
                return results
            if kind == "start":
                current = payload
            elif kind == "done":
                results.append(payload)
                current = None
            else:
                return results
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        parent.close()
