"""Session-wide test set-up: caches go to a temporary directory, never the user's ``~/.cache``."""

import os
import tempfile

import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_cache_dir():
    """Point ``$IBBENCH_CACHE`` (trained qnn runs, compression codes) at a per-session temporary
    directory unless the caller chose one; cell processes inherit it."""
    if "IBBENCH_CACHE" in os.environ:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="ibbench-test-cache-") as path:
        os.environ["IBBENCH_CACHE"] = path
        try:
            yield
        finally:
            os.environ.pop("IBBENCH_CACHE", None)
