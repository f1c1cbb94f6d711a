"""On-disk cache of expensive, deterministic intermediate results (trained networks, codes).

Entries live under ``$IBBENCH_CACHE`` (default ``~/.cache/ibbench``), one subdirectory per kind.
Writers take a POSIX ``flock`` on a sibling ``.lock`` file so parallel cell processes compute an
entry once, and replace files atomically so readers see either nothing or a whole entry. Setting
``IBBENCH_CACHE=off`` disables the caches that are optional (the compression codes).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np


def cache_root() -> Path:
    """``$IBBENCH_CACHE``, else ``~/.cache/ibbench``."""
    root = os.environ.get("IBBENCH_CACHE")
    return Path(root) if root and root != "off" else Path.home() / ".cache" / "ibbench"


@contextmanager
def cache_setting(value: str) -> Iterator[None]:
    """``IBBENCH_CACHE=value`` in ``os.environ`` inside the block; the previous setting restored afterwards."""
    previous = os.environ.get("IBBENCH_CACHE")
    os.environ["IBBENCH_CACHE"] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("IBBENCH_CACHE", None)
        else:
            os.environ["IBBENCH_CACHE"] = previous


def cache_enabled() -> bool:
    """False when ``IBBENCH_CACHE=off``."""
    return os.environ.get("IBBENCH_CACHE", "") != "off"


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (POSIX ``flock``) so parallel workers compute an entry once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX: no lock, at worst an entry is computed twice
        yield
        return
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def save_npz_atomic(path: Path, **arrays: Any) -> None:
    """``np.savez_compressed`` to a temporary file in the same directory, then ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    os.close(fd)
    try:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
