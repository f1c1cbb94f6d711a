"""The user's own estimators and tasks: objects, classes and ``module:Class`` strings as selections.

``ibbench.run`` and ``ibbench run`` take, besides registry specs (``"ksg:k=3"``), an estimator's
(or task's) instance, its class, or the string ``"module:Class[:key=value;...]"``. Each becomes a
spec ``(name, params)`` as the rest of the runner knows it:

* a class that is registered (built-in, plug-in, :func:`ibbench.register_estimator`) keeps its
  registered name, so ``KSG(k=3)``, ``"ibbench.estimators.knn:KSG:k=3"`` and ``"ksg:k=3"`` are one
  cell with one key;
* any other class is named ``"module:Qualname"`` (``"__main__:MyEstimator"`` for a class of a script
  or notebook) and is recorded in the registry's run-time table (:data:`ibbench.registry.USER_ESTIMATORS`),
  which resolves it in this process and is sent to the cell processes.

An instance contributes its ``get_params()`` (they must be JSON values: a cell's params are
stored as JSON); a class contributes its defaults. Each cell rebuilds its estimator as
``cls(**params)``, so, as in scikit-learn, ``__init__`` must take explicit keyword parameters (no
``*args`` / ``**kwargs``) and store each under its own name; an instance that ``cls(**params)`` does not
reproduce (a public attribute that is not a parameter, a parameter stored changed) is a ``ValueError``
(:func:`check_constructor`, :func:`check_rebuild`). An estimator object given as a parameter ``p`` of a
class that also takes ``p_params`` (the compression wrappers' ``estimator``) becomes its spec name and
params.

How cell processes get such a class: by value, with cloudpickle (:func:`user_class_payloads`).
The cell processes of the local backend are forked from a forkserver and the dask workers are
other processes (or machines): neither can re-import a class defined in ``__main__`` (a notebook
has no file; a script is imported under another name) or inside a function. cloudpickle sends
those by value (their code and the globals they use) and importable classes by reference (the
cell process imports their module, with this process's ``sys.path``). The cell key of a run-time
class holds its qualified name and a hash of its source (:func:`ibbench.identity.code_identity`).
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from collections.abc import Sequence
from typing import Any

from ibbench.base import MIEstimator
from ibbench.registry import (
    BUILTIN_ESTIMATORS,
    BUILTIN_TASKS,
    USER_ESTIMATORS,
    USER_TASKS,
    parse_spec,
    registry_table,
)
from ibbench.serial import jsonable
from ibbench.task import Task

Spec = tuple[str, dict[str, Any]]
#: one item of what ``ibbench.run`` takes as estimators or tasks (:func:`selection`): a spec string, a
#: ``(name or class, params)`` pair, an instance or a class
Item = str | tuple[Any, dict[str, Any]] | MIEstimator | Task | type
#: an item or a list of items
Selection = Item | Sequence[Item]

#: per kind: (base class, registry group, built-ins, run-time table)
_KINDS: dict[str, tuple[type, str, dict[str, str], dict[str, type]]] = {
    "estimator": (MIEstimator, "ibbench.estimators", BUILTIN_ESTIMATORS, USER_ESTIMATORS),
    "task": (Task, "ibbench.tasks", BUILTIN_TASKS, USER_TASKS),
}

#: a ``module:Class`` head: dotted module, then a dotted class path (no ``=``: ``ksg:k=3`` is a registry spec)
_CLASS_PATH = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*:\s*([A-Za-z_][\w.]*)\s*(?::(.*))?$", re.DOTALL)

#: characters a registered name may not hold (they separate specs, classes and parameters)
_NAME_FORBIDDEN = re.compile(r"[\s:,;=()]")


def class_path(cls: type) -> str:
    """``"module:Qualname"`` of a class."""
    return f"{cls.__module__}:{cls.__qualname__}"


def parse_item(token: str) -> Spec:
    """One spec string as ``(name, params)``: ``"module:Class:k=3;m=2"`` or a registry spec ``"ksg:k=3"``.

    A token whose second ``:``-separated field is a (dotted) identifier is a class path; its name is
    ``"module:Class"`` and the third field holds its params. Anything else, and any token that starts
    with a registered name (``categorical:flip`` is a malformed spec of the task ``categorical``), is a
    registry spec (:func:`ibbench.registry.parse_spec`).
    """
    match = _CLASS_PATH.match(token)
    if match is None or _is_registered(match.group(1)):
        return parse_spec(token)
    module, qualname, rest = match.groups()
    params = parse_spec("x:" + rest)[1] if rest else {}
    return f"{module}:{qualname}", params


def _is_registered(name: str) -> bool:
    """True if ``name`` is a registered estimator or task name."""
    return any(
        name in user or name in registry_table(group, builtins) for _base, group, builtins, user in _KINDS.values()
    )


def import_class(kind: str, path: str) -> type:
    """The ``kind`` class (``"estimator"`` or ``"task"``) that ``"module:Class"`` names.

    Raises
    ------
    ValueError
        The module cannot be imported (not found, or it raises), it has no attribute of that name,
        or the attribute is not a subclass of ``MIEstimator`` (``Task`` for a task). The message
        names the problem and what to give instead.
    """
    base = _KINDS[kind][0]
    module_name, _, qualname = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise ValueError(
                f"{kind} {path!r}: no module named {exc.name!r}; module:Class needs an importable module "
                "(installed, or its folder on PYTHONPATH); registry specs are written name:key=value"
            ) from exc
        raise ValueError(f"{kind} {path!r}: importing {module_name!r} failed: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - any failure of the user's module is reported as one line
        raise ValueError(f"{kind} {path!r}: importing {module_name!r} raised {type(exc).__name__}: {exc}") from exc
    obj: Any = module
    for part in qualname.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"{kind} {path!r}: module {module_name!r} has no attribute {qualname!r}")
        obj = getattr(obj, part)
    if not (isinstance(obj, type) and issubclass(obj, base)):
        what = f"the class {obj.__name__}" if isinstance(obj, type) else f"a {type(obj).__name__}"
        raise ValueError(
            f"{kind} {path!r} is {what}, not a subclass of ibbench.{base.__name__}; "
            f"give the {kind} class (module:Class)"
        )
    return obj


def registered_name(kind: str, cls: type) -> str | None:
    """The name under which ``cls`` itself is registered (built-in, plug-in or registered at run time), else None."""
    base, group, builtins, user = _KINDS[kind]
    for name, registered in user.items():
        if registered is cls and ":" not in name:
            return name
    for name, ref in registry_table(group, builtins).items():
        path = ref if isinstance(ref, str) else str(ref.value).replace(" ", "")
        if path.rpartition(":")[2].rpartition(".")[2] != cls.__name__:
            continue  # a cheap filter: only candidates of that class name are loaded
        try:
            loaded = importlib.import_module(path.partition(":")[0])
            for part in path.partition(":")[2].split("."):
                loaded = getattr(loaded, part)
        except Exception:  # noqa: BLE001 - a broken plug-in is not the class asked for
            continue
        if loaded is cls:
            return name
    return None


def class_name(kind: str, cls: type) -> str:
    """The spec name of class ``cls``: its registered name, else ``"module:Qualname"`` (recorded in the
    run-time table so that this name resolves here and in cell processes).

    ``ValueError`` if ``cls`` is not a subclass of ``MIEstimator`` (``Task``).
    """
    base, _group, _builtins, user = _KINDS[kind]
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise ValueError(f"{cls!r} is not a subclass of ibbench.{base.__name__}")
    check_constructor(kind, cls)
    name = registered_name(kind, cls)
    if name is None:
        name = class_path(cls)
        user[name] = cls  # a class redefined (a notebook cell run again) replaces the earlier one
    return name


def _init_parameters(cls: type) -> dict[str, inspect.Parameter]:
    """The parameters of ``cls.__init__`` but ``self`` (none for a class without its own ``__init__``)."""
    init = cls.__init__  # type: ignore[misc]
    if init is object.__init__:
        return {}
    return {name: p for name, p in inspect.signature(init).parameters.items() if name != "self"}


def check_constructor(kind: str, cls: type) -> None:
    """``ValueError`` if ``cls.__init__`` takes ``*args`` or ``**kwargs``.

    A cell rebuilds the estimator (task) as ``cls(**params)`` from the parameters ``get_params()``
    lists, which are the explicit parameters of ``__init__`` (scikit-learn's rule): whatever goes
    through ``*args`` / ``**kwargs`` would be left out of the cell key and lost in the cell.
    """
    for name, p in _init_parameters(cls).items():
        if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            star = "*" if p.kind is inspect.Parameter.VAR_POSITIONAL else "**"
            raise ValueError(
                f"{kind} {cls.__qualname__}: __init__ takes {star}{name}, but a {kind} is rebuilt as "
                f"{cls.__qualname__}(**params) from its explicit keyword parameters (scikit-learn's rule), so what "
                f"{star}{name} holds would be lost; list every parameter in the signature "
                "(def __init__(self, scale=1.0)) and store each under its own name (self.scale = scale)"
            )


def _same(a: Any, b: Any) -> bool:
    """``a`` and ``b`` are the same value: equal JSON, else (objects not comparable cheaply) the same type."""
    if a is b:
        return True
    try:
        return json.dumps(jsonable(a), sort_keys=True) == json.dumps(jsonable(b), sort_keys=True)
    except TypeError:
        return type(a) is type(b)


def _raw_params(kind: str, item: MIEstimator | Task) -> dict[str, Any]:
    """The constructor parameters of an instance, read back from its attributes."""
    try:
        return dict(item.params if isinstance(item, Task) else item.get_params(deep=False))
    except AttributeError as exc:
        raise ValueError(
            f"{kind} {type(item).__qualname__}: reading its parameters failed ({exc}); __init__ must store every "
            "constructor argument unchanged under its own name (self.scale = scale)"
        ) from exc


def check_rebuild(kind: str, item: MIEstimator | Task, params: dict[str, Any]) -> None:
    """``ValueError`` if ``type(item)(**params)`` (how a cell rebuilds ``item``) does not reproduce ``item``.

    Compared: every parameter, and every public attribute of the instance that does not end in ``_``
    (a fitted attribute); values that are not JSON are compared by type only (cheap, not exhaustive).
    """
    cls = type(item)
    what = f"{kind} {cls.__qualname__}"
    fix = "store every constructor argument unchanged under its own name (self.scale = scale)"
    try:
        rebuilt = cls(**params)
    except Exception as exc:  # noqa: BLE001 - whatever the user's __init__ raises, say where
        raise ValueError(f"{what}: rebuilding it as {cls.__qualname__}(**{params!r}) raised {exc!r}; {fix}") from exc
    again = _raw_params(kind, rebuilt)
    for name, value in params.items():
        if not _same(value, again.get(name)):
            raise ValueError(
                f"{what}: parameter {name!r} is {value!r}, but {cls.__qualname__}({name}={value!r}) has "
                f"{name}={again.get(name)!r}; __init__ must {fix.removeprefix('store ')}"
            )
    attributes, rebuilt_attributes = getattr(item, "__dict__", {}), getattr(rebuilt, "__dict__", {})
    for name, value in attributes.items():
        if name.startswith("_") or name.endswith("_") or name in params:
            continue
        if name not in rebuilt_attributes or not _same(value, rebuilt_attributes[name]):
            raise ValueError(
                f"{what}: attribute {name!r} is not a parameter of __init__, so {cls.__qualname__}(**params), which "
                f"each cell runs, does not reproduce it; make it a keyword parameter of __init__ stored as "
                f"self.{name} (and {fix}), or name it {name}_ or _{name} if it is not a setting"
            )


def _json_params(kind: str, owner: str, cls: type | None, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` as JSON values (a cell's params are stored as JSON); ``ValueError`` naming a parameter that is not.

    An estimator object under a parameter ``p`` of a class that also takes ``p_params`` (the compression
    wrappers' ``estimator`` and ``estimator_params``) becomes its spec name and params. ``cls`` (None:
    loaded from the registry name ``owner`` when needed) is the class the params belong to.
    """
    out = dict(params)
    for key, value in params.items():
        if not isinstance(value, MIEstimator):
            continue
        if cls is None:
            from ibbench.registry import get_estimator_class, get_task_class

            cls = get_estimator_class(owner) if kind == "estimator" else get_task_class(owner)
        if f"{key}_params" not in _init_parameters(cls):
            continue  # reported below
        if out.get(f"{key}_params") is not None:
            raise ValueError(
                f"{kind} {owner}: parameter {key!r} is an estimator object and {key}_params is given too; set the "
                f"parameters on the object, or give {key} as a registered name with {key}_params"
            )
        from ibbench.identity import changed_params, default_params

        inner_name, inner_params = _object_spec("estimator", value)
        inner_params = changed_params(inner_params, default_params(type(value)))  # as a spec would give them
        out[key] = inner_name
        if inner_params:
            out[f"{key}_params"] = inner_params
    for key, value in out.items():
        try:
            out[key] = jsonable(value)
        except TypeError as exc:
            hint = (
                f"give the estimator's registered name or spec instead ({key}='ksg')"
                if isinstance(value, MIEstimator)
                else "give a name, number, list or dict instead (build other objects inside the class)"
            )
            raise ValueError(
                f"{kind} {owner}: parameter {key!r}: parameters are stored as JSON, and {exc}; {hint}"
            ) from exc
    return out


def _object_spec(kind: str, item: Any) -> Spec:
    """``(name, params)`` of an instance or a class of ``kind``."""
    base = _KINDS[kind][0]
    if isinstance(item, type) and issubclass(item, base):
        return class_name(kind, item), {}
    if isinstance(item, base) and isinstance(item, (MIEstimator, Task)):
        name = class_name(kind, type(item))
        raw = _raw_params(kind, item)
        params = _json_params(kind, type(item).__qualname__, type(item), raw)
        check_rebuild(kind, item, raw)
        return name, params
    raise ValueError(
        f"cannot use {item!r} as {'an' if kind == 'estimator' else 'a'} {kind}: give a registered name or spec "
        f"('ksg:k=3'), 'module:Class[:key=value]', or an ibbench.{base.__name__} instance or subclass"
    )


def canonical(kind: str, spec: Spec) -> Spec:
    """``spec`` with a ``module:Class`` name replaced by the class's spec name (:func:`class_name`)."""
    name, params = spec
    if ":" not in name or name in _KINDS[kind][3]:
        return name, params
    return class_name(kind, import_class(kind, name)), params


def selection(kind: str, items: Selection) -> list[Spec]:
    """A selection of estimators or tasks as ``[(name, params)]``.

    ``items`` is a spec string (``"ksg:k=3,kl"``, ``"mymod:MyEst:k=3"``), an instance or class, a
    ``(name or class, params)`` pair, or a list of any of these. Registry names are not loaded here
    (unknown names fail when the grid is built); ``module:Class`` names, instances and classes are.
    """
    from ibbench.runner import split_specs

    if isinstance(items, (str, tuple)) or not isinstance(items, Sequence):
        items = [items]
    specs: list[Spec] = []
    for item in items:
        if isinstance(item, str):
            specs += [canonical(kind, spec) for spec in split_specs(item)]
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], dict):
            head, params = item
            if isinstance(head, str):
                name, params = canonical(kind, (head, dict(params)))
                cls = _KINDS[kind][3].get(name)
                specs.append((name, _json_params(kind, name, cls, params)))
            else:
                name, defaults = _object_spec(kind, head)
                cls = head if isinstance(head, type) else type(head)
                specs.append((name, _json_params(kind, name, cls, {**defaults, **params})))
        else:
            specs.append(_object_spec(kind, item))
    _check_one_class_per_name(kind, specs)
    return specs


def _check_one_class_per_name(kind: str, specs: list[Spec]) -> None:
    """``ValueError`` if this selection met two different classes of one name (a class redefined while an
    instance of the old one is still used): the cell processes would get only the last one."""
    seen: dict[str, type] = {}
    user = _KINDS[kind][3]
    for name, _params in specs:
        cls = user.get(name)
        if cls is not None and seen.setdefault(name, cls) is not cls:
            raise ValueError(f"two different {kind} classes named {name!r} in one run (a class redefined?)")


def register(kind: str, cls: type, name: str | None = None) -> str:
    """Register ``cls`` under ``name`` (default: its own ``name`` attribute, else its class name); see
    :func:`ibbench.register_estimator`."""
    base, group, builtins, user = _KINDS[kind]
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise ValueError(f"register_{kind} needs a subclass of ibbench.{base.__name__}, got {cls!r}")
    check_constructor(kind, cls)
    if name is None:
        own = cls.__dict__.get("name")
        name = own if isinstance(own, str) and own else cls.__name__
    if not isinstance(name, str) or not name or _NAME_FORBIDDEN.search(name):
        raise ValueError(f"{kind} name {name!r}: give a non-empty name without spaces or any of : , ; = ( )")
    call = f"ibbench.register_{kind}({cls.__name__}, name='my-{name.lower()}')"
    table = registry_table(group, builtins)
    if name in table:
        ref = table[name]
        where = ref if isinstance(ref, str) else ref.value
        raise ValueError(
            f"{kind} name {name!r} is taken by the registered {kind} {where}; choose another name, e.g. {call}"
        )
    previous = user.get(name)
    if previous is not None and previous is not cls and class_path(previous) != class_path(cls):
        raise ValueError(
            f"{kind} name {name!r} is already registered for {class_path(previous)}; choose another name, e.g. {call}"
        )
    user[name] = cls  # the same class again, or its new definition (a notebook cell run again)
    return name
