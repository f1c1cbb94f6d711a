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
* **A requested resampling interval is part of the identity** (``ibbench run --uncertainty
  subsampling``): ``"uncertainty": {"method", "version"}`` is added to it (its version is
  :data:`ibbench.uncertainty.RESAMPLING_VERSION`), so a cell run without resampling is not reused
  for a run that asks for it. Cells that do not ask for it have no such entry and keep their keys.
* **The user's own classes are keyed by their code.** A class registered at run time (an object
  or ``module:Class`` given to ``ibbench.run``, or :func:`ibbench.register_estimator`; see
  :mod:`ibbench.specs`) has no reviewed ``version`` bumps, so its identity also holds
  ``"code": {"class": "module:Qualname", "source": <hash of its source>}`` (:func:`code_identity`):
  editing the class gives new cells. Code outside the class (helpers it calls) is not hashed;
  bump its ``version`` when that changes. Built-in and plug-in classes have no ``code`` entry.

Stores written under the first scheme (full params, no nested versions) are re-keyed once by
:func:`ibbench.store.Store.migrate_keys`.
"""

from __future__ import annotations

import hashlib
import inspect
import warnings
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
    return _with_code(ident, cls)


class SourceUnavailableWarning(UserWarning):
    """The source of a user's class cannot be read, so its cell key cannot follow edits of it."""


def code_identity(cls: type) -> dict[str, Any]:
    """``{"class": "module:Qualname", "source": <sha256 of its source, 16 hex digits>}`` of a user's class.

    The source is that of the class and of its bases defined in the same module (``inspect.getsource``).
    Where the class's source cannot be read but its methods' can (a notebook: its cells are in
    ``linecache``, its ``__main__`` has no file), the methods' sources and the class's plain
    attributes are hashed. Without either, ``"source"`` is left out with a
    :class:`SourceUnavailableWarning`: results are then reused across edits of the class unless
    its ``version`` is bumped.
    """
    path = f"{cls.__module__}:{cls.__qualname__}"
    sources = []
    for klass in cls.__mro__:
        if klass.__module__ != cls.__module__:
            continue
        text = _class_source(klass)
        if text is None:
            warnings.warn(
                f"the source of {klass.__module__}.{klass.__qualname__} cannot be read, so the cell key of "
                f"{path} does not change when you edit it: results may be reused across edits; bump its "
                "`version` attribute after each change",
                SourceUnavailableWarning,
                stacklevel=3,
            )
            return {"class": path}
        sources.append(text)
    return {"class": path, "source": hashlib.sha256("\n".join(sources).encode()).hexdigest()[:16]}


def _class_source(cls: type) -> str | None:
    """The source of ``cls``, else of its methods plus its plain attributes, else None."""
    try:
        return inspect.getsource(cls)
    except (OSError, TypeError):
        pass
    methods, attributes = [], []
    for name, value in sorted(vars(cls).items()):
        function = getattr(value, "__func__", getattr(value, "fget", value))  # classmethod, staticmethod, property
        if inspect.isfunction(function):
            try:
                methods.append(inspect.getsource(function))
            except (OSError, TypeError):
                return None
        elif not name.startswith("__"):
            try:
                attributes.append(f"{name} = {canonical_json(value)}")
            except (TypeError, ValueError):
                attributes.append(f"{name}: {type(value).__qualname__}")
    return "\n".join(methods + attributes) if methods else None


def _with_code(ident: dict[str, Any], cls: type) -> dict[str, Any]:
    """``ident`` with :func:`code_identity` for a user's class registered at run time (unchanged for others)."""
    from ibbench.registry import is_user_class

    if is_user_class(cls):
        ident["code"] = code_identity(cls)
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
    return _with_code(ident, type(task))


def cell_identity(
    estimator: dict[str, Any],
    task: dict[str, Any],
    n: int | None,
    seed: int,
    uncertainty: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The identity of one benchmark cell; ``uncertainty`` (a requested resampling method and the
    version of its code) is added only when given, so cells without it keep their keys."""
    ident = {"scheme": KEY_SCHEME, "estimator": estimator, "task": task, "n": n, "seed": int(seed)}
    if uncertainty:
        ident["uncertainty"] = uncertainty
    return ident


def identity_key(identity: dict[str, Any]) -> str:
    """The cell key: sha256 of the canonical JSON of ``identity``."""
    return hashlib.sha256(canonical_json(identity).encode()).hexdigest()
