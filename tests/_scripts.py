"""Load a file of ``scripts/`` (not a package) as a module, for tests of the scripts' functions."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def load_script(name: str, module_name: str) -> ModuleType:
    """``scripts/<name>.py`` imported as ``module_name`` (registered in ``sys.modules``, which dataclasses need)."""
    spec = importlib.util.spec_from_file_location(module_name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
