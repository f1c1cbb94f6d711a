"""Fixtures shared by the task tests."""

import pytest


@pytest.fixture(scope="module")
def qnn_cache(tmp_path_factory):
    """A fresh qnn training cache per test module: tiny runs are trained once and shared by its tests."""
    from ibbench.tasks.qnn import training

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IBBENCH_CACHE", str(tmp_path_factory.mktemp("qnn-cache")))
        mp.setattr(training, "_MEMORY", {})
        yield
