"""Packaging: every package directory is listed in pyproject, so `pip install .` ships it."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_directory_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    mapping = config["package-dir"]
    found = set()
    for package, folder in mapping.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            found.add(".".join([package, *rel.parts]) if rel.parts else package)
    missing = found - listed
    assert not missing, f"package directories missing from pyproject [tool.setuptools] packages: {sorted(missing)}"
    assert not (listed - found), f"listed packages without a directory: {sorted(listed - found)}"


def test_installed_package_exposes_mapped_subpackages():
    import ibbench.estimators
    import ibbench.tasks

    assert Path(ibbench.estimators.__file__).parent.name in ("estimators",)
    assert Path(ibbench.tasks.__file__).parent.name in ("tasks",)


def test_the_version_is_written_in_one_place():
    """pyproject reads ``ibbench.__version__``; CITATION.cff must quote the same version."""
    import ibbench

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "ibbench.__version__"}
    citation = (ROOT / "CITATION.cff").read_text()
    assert f"\nversion: {ibbench.__version__}\n" in citation


def test_changelog_records_the_current_version():
    import ibbench

    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog and f"## [{ibbench.__version__}]" in changelog


def _private_imports_across_modules(source: str, module: str) -> list[str]:
    """``from ibbench.M import _name`` (or ``import ibbench._m``) in ``module`` where M is not ``module``."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ibbench"):
            if any(part.startswith("_") for part in node.module.split(".")):
                found.append(f"from {node.module} import ...")
            elif node.module != module:
                found += [f"from {node.module} import {a.name}" for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Import):
            found += [
                f"import {a.name}"
                for a in node.names
                if a.name.startswith("ibbench") and any(p.startswith("_") for p in a.name.split("."))
            ]
    return found


def test_private_import_check_catches_examples():
    assert _private_imports_across_modules("from ibbench.runner import _label", "ibbench.cli")
    assert _private_imports_across_modules("import ibbench._math.random", "ibbench.cli")
    assert _private_imports_across_modules("from ibbench._serial import jsonable", "ibbench.cli")
    assert not _private_imports_across_modules("from ibbench.runner import _label", "ibbench.runner")
    assert not _private_imports_across_modules("from ibbench.runner import run", "ibbench.cli")


def test_no_private_names_imported_across_ibbench_modules():
    """ruff's PLC2701 does not look inside one top-level package; this does, for the installed layout."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    offenders = []
    for package, folder in config["package-dir"].items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            module = ".".join([package, *parts])
            offenders += [
                f"{path.relative_to(ROOT)}: {imp}" for imp in _private_imports_across_modules(path.read_text(), module)
            ]
    for path in sorted((ROOT / "benchmarks").glob("*.py")) + sorted((ROOT / "scripts").glob("*.py")):
        offenders += [
            f"{path.relative_to(ROOT)}: {imp}" for imp in _private_imports_across_modules(path.read_text(), "")
        ]
    assert not offenders, "private names imported across modules (give them a public home):\n" + "\n".join(offenders)
