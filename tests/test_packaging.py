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
