"""Cell identities and keys: what a stored result depends on, decided in one place.

A benchmark cell's key is the sha256 of the canonical JSON of its *identity*::

    {"scheme": 2,
     "estimator": {"name", "version", "params": <params that differ from the defaults>, "parts": {...}},
     "task":      {"name", "version", "params": <params that differ from the defaults>, "depends": {...}},
     "n": ..., "seed": ...}

Rules (they decide when a stored result may be reused):

* **Parameters are keyed by their difference from the defaults of that version.** Adding a
  parameter whose default keeps the old behaviour, or writing a value in another spelling that
  compares equal (``3`` and ``3.0``), leaves existing keys unchanged. Changing a default changes
  results, so it requires a version bump of the class.
* **Nested parts are part of the identity.** An estimator that runs other estimators (the
  compression wrappers) reports them through ``identity_parts()``: each inner estimator's name,
  version and non-default params (cast to their declared types), recursively; the outer
  parameters that name them (``identity_nested_params``) are keyed only through the parts.
  Bumping ``KSG.version`` therefore changes the key of every ``compressed-*`` cell whose inner
  estimator is ksg.
* **The device a result was computed on is part of its identity, not the way it was asked for.**
  The torch estimators' ``device`` parameter ("cpu", "cuda", "auto") is listed in
  ``identity_nested_params`` and keyed through ``identity_parts()`` as ``{"device": <resolved>}``
  only when it resolves to something other than the CPU
  (:func:`ibbench.estimators.torch_utils.device_identity`): "auto" on a machine without a GPU
  and "cpu" share a key, and CPU keys are those from before the parameter existed, while a GPU
  result (not bit-identical to a CPU one) gets its own key.
* **Code a task depends on is part of its identity.** A task reports the versions of code outside
  its class that shape its samples or truth through ``identity_depends()`` (the quantized-network
  tasks: the training code and the exact-MI code).
* **Cache formats** an estimator's results pass through are reported as parts (``cache_format``).

Stores written under the first scheme (full params, no nested versions) are re-keyed once by
:func:`ibbench.store.Store.migrate_keys`.
"""

from __future__ import annotations

import hashlib
import inspect
from typing import TYPE_CHECKING, Any

from ibbench.serial import canonical_json, jsonable

if TYPE_CHECKING:
    from ibbench.base import MIEstimator
    from ibbench.task import Task

#: Version of the key scheme described above (1 = full params without nested parts).
KEY_SCHEME = 2

_NO_DEFAULT = object()


def default_params(cls: type[Any]) -> dict[str, Any]:
    """``{name: default}`` of the keyword parameters of ``cls.__init__`` that have a default."""
    sig = inspect.signature(cls.__init__)
    out = {}
    for name, p in sig.parameters.items():
        if name == "self" or p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        if p.default is not inspect.Parameter.empty:
            out[name] = p.default
    return out


def changed_params(params: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``params`` that differ from ``defaults`` (JSON form; ``3 == 3.0`` counts as equal)."""
    params, defaults = jsonable(params), jsonable(defaults)
    return {k: v for k, v in params.items() if k not in defaults or not _same(v, defaults[k])}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def estimator_identity(name: str, estimator: MIEstimator) -> dict[str, Any]:
    """Identity of a configured estimator instance registered as ``name`` (see the module docstring)."""
    cls = type(estimator)
    params = estimator.get_params(deep=False)
    # parameters that only describe nested parts are keyed by those parts' identities instead
    for nested in getattr(cls, "identity_nested_params", ()):
        params.pop(nested, None)
    ident = {
        "name": name,
        "version": str(getattr(cls, "version", "0")),
        "params": changed_params(params, default_params(cls)),
    }
    parts = estimator.identity_parts() if hasattr(estimator, "identity_parts") else {}
    if parts:
        ident["parts"] = jsonable(parts)
    return ident


def registered_estimator_identity(name: str, params: dict[str, Any] | None) -> dict[str, Any]:
    """Identity of the registered estimator ``name`` built with ``params`` (for nested parts)."""
    from ibbench.registry import get_estimator_class

    cls = get_estimator_class(name)
    params = dict(params or {})
    if hasattr(cls, "check_params"):  # cast as the runner casts top-level params (5.0 -> 5 for an int)
        params = cls.check_params(params)
    return estimator_identity(name, cls(**params))


def task_identity(task: Task) -> dict[str, Any]:
    """Identity of a task instance (see the module docstring)."""
    ident = {
        "name": task.name,
        "version": str(task.version),
        "params": changed_params(task.params, default_params(type(task))),
    }
    depends = task.identity_depends() if hasattr(task, "identity_depends") else {}
    if depends:
        ident["depends"] = jsonable(depends)
    return ident


def cell_identity(estimator: dict[str, Any], task: dict[str, Any], n: int | None, seed: int) -> dict[str, Any]:
    """The identity of one benchmark cell."""
    return {"scheme": KEY_SCHEME, "estimator": estimator, "task": task, "n": n, "seed": int(seed)}


def identity_key(identity: dict[str, Any]) -> str:
    """The cell key: sha256 of the canonical JSON of ``identity``."""
    return hashlib.sha256(canonical_json(identity).encode()).hexdigest()
