"""The shared conformance suites over every registered estimator and task (DESIGN.md §2, §3)."""

import pytest

import ibbench
from ibbench.registry import get_estimator_class, get_task_class
from ibbench.testing import check_mi_estimator, check_task


@pytest.mark.parametrize("name", ibbench.list_estimators())
def test_estimator_conformance(name):
    cls = get_estimator_class(name)
    assert cls.name == name, f"class attribute name={cls.name!r} differs from its registry key {name!r}"
    check_mi_estimator(cls)


@pytest.mark.parametrize("name", ibbench.list_tasks())
def test_task_conformance(name):
    cls = get_task_class(name)
    assert cls.name == name, f"class attribute name={cls.name!r} differs from its registry key {name!r}"
    check_task(cls)
