"""Registry of estimators and tasks: built-ins (loaded lazily) plus entry points.

Built-ins are listed below as ``"module:Class"`` strings so that ``import ibbench`` stays fast and
torch is imported only when a neural estimator is asked for. Third-party packages register under
the entry-point groups ``ibbench.estimators`` and ``ibbench.tasks``. A bare name always means the
built-in (or the first plug-in) of that name; a plug-in whose name is taken is kept under the
qualified name ``<distribution>/<name>`` (``<entry-point module>/<name>`` also works), and a
:class:`PluginWarning` says so.
"""

from __future__ import annotations

import importlib
import warnings
from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ibbench.base import MIEstimator
    from ibbench.task import Task

# name -> "module:Class". Add one line per new built-in (keep sorted within each family).
BUILTIN_ESTIMATORS: dict[str, str] = {
    "binning": "ibbench.estimators.binning:Binning",
    "binning-adaptive": "ibbench.estimators.binning:AdaptiveBinning",
    "chao-shen": "ibbench.estimators.discrete:ChaoShenMI",
    "exact": "ibbench.estimators.discrete:ExactMI",
    "nsb": "ibbench.estimators.discrete:NSBMI",
    "gaussian": "ibbench.estimators.gaussian:GaussianMI",
    "gcmi": "ibbench.estimators.copula:GaussianCopulaMI",
    "kde-lse": "ibbench.estimators.kde:KDELeastSquares",
    "kde-ml": "ibbench.estimators.kde:KDEMaxLikelihood",
    "ksg": "ibbench.estimators.knn:KSG",
    "ksg-lnc": "ibbench.estimators.knn_corrections:KSGLNC",
    "mixed-ksg": "ibbench.estimators.knn_corrections:MixedKSG",
    "kl": "ibbench.estimators.knn:KL",
    "wkl": "ibbench.estimators.knn:WKL",
    "sklearn-mi": "ibbench.estimators.sklearn_adapter:SklearnMI",
    "dv": "ibbench.estimators.neural:DV",
    "infonce": "ibbench.estimators.neural:InfoNCE",
    "js": "ibbench.estimators.neural:JS",
    "mine": "ibbench.estimators.neural:MINE",
    "nwj": "ibbench.estimators.neural:NWJ",
    "smile": "ibbench.estimators.neural:SMILE",
    "club": "ibbench.estimators.club:CLUB",
    "flow": "ibbench.estimators.flow:FlowMI",
    "compressed-ae": "ibbench.estimators.compressed:CompressedAE",
    "compressed-pca": "ibbench.estimators.compressed:CompressedPCA",
}

BUILTIN_TASKS: dict[str, str] = {
    "gaussian-dense": "ibbench.tasks.gaussian:DenseGaussian",
    "gaussian-sparse": "ibbench.tasks.gaussian:SparseGaussian",
    "gaussian-independent": "ibbench.tasks.gaussian:IndependentGaussian",
    "gaussian-highdim-dense": "ibbench.tasks.gaussian_families:HighDimDenseGaussian",
    "gaussian-highdim-sparse": "ibbench.tasks.gaussian_families:HighDimSparseGaussian",
    "gaussian-highmi": "ibbench.tasks.gaussian_families:HighMIGaussian",
    "categorical": "ibbench.tasks.discrete:CategoricalTask",
    "categorical-random": "ibbench.tasks.discrete:RandomCategoricalTask",
    "mixed-class-gaussian": "ibbench.tasks.discrete:MixedClassGaussian",
    "gaussian-mixture": "ibbench.tasks.mixtures:GaussianMixture",
    "mixture-x": "ibbench.tasks.mixtures:MixtureX",
    "mixture-ai": "ibbench.tasks.mixtures:MixtureAI",
    "mixture-inliers": "ibbench.tasks.mixtures:MixtureInliers",
    "gaussian-cdf": "ibbench.tasks.transforms:CdfGaussian",
    "gaussian-halfcube": "ibbench.tasks.transforms:HalfCubeGaussian",
    "gaussian-asinh": "ibbench.tasks.transforms:AsinhGaussian",
    "gaussian-spiral": "ibbench.tasks.transforms:SpiralGaussian",
    "gaussian-wiggly": "ibbench.tasks.transforms:WigglyGaussian",
    "student-t": "ibbench.tasks.transforms:StudentT",
    "bmi-gaussian": "ibbench.tasks.bmi:BmiGaussian",
    "bmi-student-t": "ibbench.tasks.bmi:BmiStudentT",
    "bmi-additive-uniform": "ibbench.tasks.bmi:BmiAdditiveUniform",
    "images-bumps": "ibbench.tasks.images:GaussianBumpImages",
    "images-rectangles": "ibbench.tasks.images:RectangleImages",
    "images-bumps-latents": "ibbench.tasks.images:GaussianBumpLatents",
    "images-rectangles-latents": "ibbench.tasks.images:RectangleLatents",
    "digits-label": "ibbench.tasks.digits:DigitsLabelChannel",
    "qnn-digits-ty": "ibbench.tasks.qnn.tasks:DigitsLabelLayer",
    "qnn-digits-xt": "ibbench.tasks.qnn.tasks:DigitsInputLayer",
    "qnn-szt-ty": "ibbench.tasks.qnn.tasks:SZTLabelLayer",
    "qnn-szt-xt": "ibbench.tasks.qnn.tasks:SZTInputLayer",
}


#: Classes registered at run time, ``name -> class``: by :func:`register_estimator` / :func:`register_task`, and
#: the user's classes given to ``ibbench.run`` as objects or ``module:Class`` (named ``"module:Qualname"``, not
#: listed by :func:`list_estimators`; see :mod:`ibbench.specs`). Sent to cell processes by value
#: (:func:`user_class_payloads`); their cell keys hold a hash of their source (:func:`ibbench.identity.code_identity`).
USER_ESTIMATORS: dict[str, type] = {}
USER_TASKS: dict[str, type] = {}
_USER = {"ibbench.estimators": USER_ESTIMATORS, "ibbench.tasks": USER_TASKS}


def _load(path: str) -> Any:
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


@cache
def _plugins(group: str) -> dict[str, Any]:
    """The group's entry points, each under its qualified name ``<distribution>/<name>`` (unique keys:
    two distributions may register the same name). :func:`registry_table` reads the values only."""
    return {f"{_qualifiers(ep)[0]}/{ep.name}": ep for ep in entry_points(group=group)}


def _dist_name(ep: Any) -> str | None:
    dist = getattr(ep, "dist", None)
    return getattr(dist, "name", None) or None


def _qualifiers(ep: Any) -> list[str]:
    """Prefixes that select entry point ``ep`` by a qualified name: its distribution's name, then its module."""
    module = ep.value.partition(":")[0].strip()
    dist = _dist_name(ep)
    return [dist, module] if dist else [module]


def _origin(ep: Any) -> str:
    dist = _dist_name(ep)
    return f"distribution {dist!r} ({ep.value})" if dist else f"module {_qualifiers(ep)[0]!r} ({ep.value})"


class PluginWarning(UserWarning):
    """A plug-in cannot be loaded (and is left out of a selection), or its name is taken (by a
    built-in or an earlier plug-in) so that only its qualified name ``<distribution>/<name>`` selects it."""


def registry_table(group: str, builtins: dict[str, str]) -> dict[str, Any]:
    """``{name: "module:Class" or EntryPoint}``: built-ins, then plug-ins; a plug-in whose name is
    taken is listed under its qualified name instead, with a :class:`PluginWarning`."""
    table: dict[str, Any] = dict(builtins)
    if group == "ibbench.estimators":  # adapters of installed peers only (ibbench.peers; docs/peers.md)
        from ibbench.peers import installed_peer_estimators

        for name, ref in installed_peer_estimators().items():
            table.setdefault(name, ref)
    kind = group.rpartition(".")[2].removesuffix("s")
    for ep in _plugins(group).values():
        if ep.name not in table:
            table[ep.name] = ep
            continue
        qualified = f"{_qualifiers(ep)[0]}/{ep.name}"
        table[qualified] = ep
        owner = "the built-in" if ep.name in builtins else "another plug-in's"
        warnings.warn(
            f"plug-in {kind} {ep.name!r} from {_origin(ep)} is shadowed by {owner} {kind} of that name; "
            f"select the plug-in's as {qualified!r}",
            PluginWarning,
            stacklevel=1,  # one location: the default filter shows each message once
        )
    return table


def _lookup(table: dict[str, Any], name: str, group: str) -> Any:
    """The table entry of ``name``, also for a qualified ``<distribution or module>/<name>`` of any plug-in."""
    if name in table:
        return table[name]
    prefix, slash, bare = name.rpartition("/")
    if slash:
        for ep in _plugins(group).values():
            if ep.name == bare and prefix in _qualifiers(ep):
                return ep
    return None


class LoadError(ValueError):
    """A registered estimator or task cannot be loaded (its module raises on import, or its entry
    point names a missing class). The message names it; the original exception is the cause."""


def _resolve(kind: str, name: str, group: str, builtins: dict[str, str]) -> Any:
    if name in _USER[group]:
        return _USER[group][name]
    if (group, name) in _UNLOADABLE:
        raise LoadError(f"{kind} {name!r} cannot be loaded in this process: {_UNLOADABLE[(group, name)]}")
    table = registry_table(group, builtins)
    ref = _lookup(table, name, group)
    if ref is None and ":" in name:  # module:Class of the user's own class (ValueError if it is none)
        from ibbench.specs import class_name, import_class

        cls = import_class(kind, name)
        class_name(kind, cls)  # recorded under its spec name, unless registered
        return cls
    if ref is None:
        from ibbench.peers import not_installed_hint

        hint = not_installed_hint(name) if group == "ibbench.estimators" else None
        if hint:
            raise ValueError(f"{kind} {name!r} is a peer adapter, {hint}")
        raise ValueError(f"unknown {kind} {name!r}; known: {', '.join(sorted(table))}")
    try:
        return _load(ref) if isinstance(ref, str) else ref.load()
    except Exception as exc:  # noqa: BLE001 - any failure of a plug-in's import is reported as one line
        where = ref if isinstance(ref, str) else ref.value
        raise LoadError(f"{kind} {name!r} ({where}) cannot be loaded: {type(exc).__name__}: {exc}") from exc


def class_path(name: str) -> str:
    """``"module:Class"`` of the estimator (or else task) registered as ``name``, plug-ins' qualified names included.

    ``ValueError`` naming the registered names if ``name`` is neither.
    """
    for group, builtins in (("ibbench.estimators", BUILTIN_ESTIMATORS), ("ibbench.tasks", BUILTIN_TASKS)):
        ref = _lookup(registry_table(group, builtins), name, group)
        if ref is not None:
            return ref if isinstance(ref, str) else f"{ref.module}:{ref.attr}"
    raise ValueError(
        f"{name!r} is no registered estimator or task (see `ibbench list estimators` / `ibbench list tasks`); "
        "give a registered name or module:Class"
    )


def list_estimators() -> list[str]:
    """Names of all registered estimators (built-ins, entry points and :func:`register_estimator`), sorted."""
    return sorted({*registry_table("ibbench.estimators", BUILTIN_ESTIMATORS), *_registered(USER_ESTIMATORS)})


def get_estimator_class(name: str) -> type[MIEstimator]:
    """The class registered under ``name`` (``ValueError`` if unknown)."""
    return _resolve("estimator", name, "ibbench.estimators", BUILTIN_ESTIMATORS)


def get_estimator(name: str, **params: Any) -> MIEstimator:
    """A fresh, unfitted estimator ``name`` built with ``params``."""
    return get_estimator_class(name)(**params)


def available_estimators(broken: dict[str, str] | None = None) -> list[str]:
    """Registered estimators that load and whose optional dependencies (tag ``requires``) import; ``all`` in the CLI.

    An estimator that cannot be loaded (a plug-in raising on import, an entry point to a missing
    class) is left out instead of failing the whole selection; pass a dict as ``broken`` to receive
    ``{name: reason}`` for those (estimators merely lacking an optional package are not broken).
    """
    names = []
    for name in list_estimators():
        try:
            cls = get_estimator_class(name)
            tags = cls.get_tags() if hasattr(cls, "get_tags") else {}
        except Exception as exc:  # noqa: BLE001 - a broken plug-in must not break "all"
            if broken is not None:
                broken[name] = str(exc)
            continue
        try:
            for package in tags.get("requires", ()):
                importlib.import_module(package)
        except Exception:  # noqa: BLE001 - optional dependency missing (or broken): not available
            continue
        names.append(name)
    return names


def list_tasks() -> list[str]:
    """Names of all registered tasks (built-ins, entry points and :func:`register_task`), sorted."""
    return sorted({*registry_table("ibbench.tasks", BUILTIN_TASKS), *_registered(USER_TASKS)})


def _registered(user: dict[str, type]) -> list[str]:
    """The names given to :func:`register_estimator` / :func:`register_task` (not the ``module:Class`` ones)."""
    return [name for name in user if ":" not in name]


def register_estimator(cls: type[MIEstimator], name: str | None = None) -> str:
    """Register your estimator class under ``name`` for this process (a notebook's or a script's class).

    The name then selects it like a built-in (``ibbench.run(estimators="my-est:k=3", ...)``,
    ``get_estimator``, ``list_estimators``); cell processes receive the class by value
    (cloudpickle). Its cell keys hold a hash of its source, as for an unregistered class
    (:func:`ibbench.identity.code_identity`). Registering the same class (or its new definition,
    a notebook cell run again) under its name again replaces it.

    Parameters
    ----------
    cls : subclass of MIEstimator
    name : str, optional
        Default: the ``name`` attribute the class itself sets, else its class name.

    Returns
    -------
    str
        The name.

    Raises
    ------
    ValueError
        ``name`` is taken by a built-in or plug-in estimator, or registered for another class
        (the message suggests another name), holds a space or one of ``: , ; = ( )``, or ``cls``
        is not an MIEstimator subclass.
    """
    from ibbench.specs import register

    return register("estimator", cls, name)


def register_task(cls: type[Task], name: str | None = None) -> str:
    """Register your task class under ``name`` for this process; see :func:`register_estimator`.

    Raises
    ------
    ValueError
        As :func:`register_estimator`, for tasks (``cls`` must subclass :class:`ibbench.Task`).
    """
    from ibbench.specs import register

    return register("task", cls, name)


def is_user_class(cls: type) -> bool:
    """True for a class registered at run time (:data:`USER_ESTIMATORS`, :data:`USER_TASKS`): its key holds its code."""
    return any(registered is cls for user in _USER.values() for registered in user.values())


_PAYLOADS: dict[tuple[str, str], tuple[type, bytes]] = {}


def user_class_payloads() -> dict[str, dict[str, bytes]]:
    """The run-time classes pickled with cloudpickle, ``{group: {name: bytes}}``, for cell processes.

    cloudpickle pickles a class of ``__main__`` (a script, a notebook) or one defined in a function
    by value, an importable one by reference. Pickled once per class.

    Raises
    ------
    ValueError
        A class cannot be pickled (it names the class and what to do).
    """
    import cloudpickle

    out: dict[str, dict[str, bytes]] = {}
    for group, user in _USER.items():
        for name, cls in user.items():
            cached = _PAYLOADS.get((group, name))
            if cached is None or cached[0] is not cls:
                try:
                    cached = (cls, cloudpickle.dumps(cls))
                except Exception as exc:  # noqa: BLE001 - whatever stops pickling, say which class
                    raise ValueError(
                        f"{name!r} cannot be sent to cell processes ({type(exc).__name__}: {exc}); define the class "
                        "at the top level of a module, or run with backend='inline' (ibbench run --inline)"
                    ) from exc
                _PAYLOADS[(group, name)] = cached
            out.setdefault(group, {})[name] = cached[1]
    return out


def load_user_classes(payloads: dict[str, dict[str, bytes]]) -> None:
    """Add classes pickled by :func:`user_class_payloads` (in the parent process) to this process's tables."""
    import pickle

    for group, classes in payloads.items():
        for name, payload in classes.items():
            try:
                _USER[group][name] = pickle.loads(payload)  # noqa: S301 - our own parent's classes
                _UNLOADABLE.pop((group, name), None)
            except Exception as exc:  # noqa: BLE001 - e.g. its module is not importable here: the cell says so
                _UNLOADABLE[(group, name)] = f"{type(exc).__name__}: {exc}"


#: run-time classes this (cell) process received but could not unpickle: (group, name) -> why
_UNLOADABLE: dict[tuple[str, str], str] = {}


def get_task_class(name: str) -> type[Task]:
    """The task class registered under ``name``."""
    return _resolve("task", name, "ibbench.tasks", BUILTIN_TASKS)


def get_task(name: str, **params: Any) -> Task:
    """Task ``name`` built with ``params`` (e.g. ``get_task("gaussian-dense", dim=5, mi=1.0)``).

    Parameters are validated and cast first (``Task.check_params``): ``ValueError`` naming the task
    and the parameter for an invalid value.
    """
    cls = get_task_class(name)
    check = getattr(cls, "check_params", None)
    return cls(**(check(params) if check is not None else params))


def parse_value(text: str) -> Any:
    """A CLI value: int, float, bool, None, a JSON list/dict, else the string itself."""
    import json

    lowered = text.strip()
    for convert in (int, float):
        try:
            return convert(lowered)
        except ValueError:
            pass
    if lowered.lower() in ("true", "false"):
        return lowered.lower() == "true"
    if lowered.lower() in ("none", "null"):
        return None
    if lowered[:1] in '[{"':
        try:
            return json.loads(lowered)
        except json.JSONDecodeError:
            pass
    return lowered


def parse_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """Parse ``"name:key=value;key=value"`` (or ``name:key=value,key=value`` without commas in
    values) into ``(name, params)``."""
    name, _, rest = spec.strip().partition(":")
    params: dict[str, Any] = {}
    if rest:
        for item in rest.replace(";", ",").split(","):
            if not item.strip():
                continue
            key, eq, value = item.partition("=")
            if not eq:
                raise ValueError(f"bad parameter {item!r} in {spec!r}: expected key=value")
            params[key.strip()] = parse_value(value)
    return name.strip(), params
