"""Session-wide test set-up: caches go to a temporary directory, never the user's ``~/.cache``."""

import os
import sys
import tempfile
from pathlib import Path

import pytest

from ibbench.cache import cache_setting

# the tests' shared helper modules (_procs, _faulty_estimators, ...) import by name under --import-mode=importlib
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session", autouse=True)
def _private_cache_dir():
    """Point ``$IBBENCH_CACHE`` (trained qnn runs, compression codes) at a per-session temporary
    directory unless the caller chose a directory; cell processes inherit it."""
    if os.environ.get("IBBENCH_CACHE", "off") != "off":
        yield
        return
    with tempfile.TemporaryDirectory(prefix="ibbench-test-cache-") as path, cache_setting(path):
        yield
