"""The documentation site: mkdocs.yml's nav and its link hook (the strict build itself runs in .ci/run)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from _scripts import load_script

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
SERVED = ("leaderboards", "examples")  # repository folders the hook serves beside docs/


def _config() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


def _nav_files(nav: Any) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [f for item in nav for f in _nav_files(item)]
    if isinstance(nav, dict):
        return [f for value in nav.values() for f in _nav_files(value)]
    raise AssertionError(f"unexpected nav entry {nav!r}")


def _source(page: str) -> Path:
    """A nav entry's file: under docs/, or a served repository file under its own path."""
    return ROOT / page if page.split("/")[0] in SERVED else ROOT / _config()["docs_dir"] / page


def test_every_nav_entry_is_an_existing_file():
    pages = _nav_files(_config()["nav"])
    assert "index.md" in pages and "which-estimator.md" in pages and "api.md" in pages
    missing = [p for p in pages if not _source(p).is_file()]
    assert not missing, f"mkdocs.yml nav names missing files: {missing}"
    assert len(pages) == len(set(pages)), "a page is listed twice in the nav"


def test_every_page_in_docs_is_in_the_nav():
    """A page left out of the nav would only be found through a link."""
    pages = set(_nav_files(_config()["nav"]))
    docs = ROOT / _config()["docs_dir"]
    orphans = [p for p in sorted(f.relative_to(docs).as_posix() for f in docs.rglob("*.md")) if p not in pages]
    assert not orphans, f"add these pages to the nav of mkdocs.yml: {orphans}"


def test_the_hook_and_the_served_folders_exist():
    config = _config()
    assert config["hooks"] == ["scripts/mkdocs_hooks.py"]
    assert config["theme"]["font"] is False  # no Google fonts fetched by the reader's browser
    hooks = _hooks()
    assert tuple(hooks.SERVED) == SERVED


def _hooks():
    pytest.importorskip("mkdocs")
    return load_script("mkdocs_hooks", "mkdocs_hooks")


def test_links_leaving_docs_point_at_the_served_copies():
    hooks = _hooks()
    hooks._served.clear()
    hooks._served.update({"leaderboards/quick/leaderboard.md", "leaderboards/README.md", "examples/run.toml"})
    config = {"config_file_path": str(ROOT / "mkdocs.yml"), "docs_dir": str(ROOT / "docs")}

    def render(markdown: str, src_uri: str) -> str:
        page = SimpleNamespace(file=SimpleNamespace(src_uri=src_uri))
        return hooks.on_page_markdown(markdown, page, config, files=None)

    # a page of docs/: the repository path (works on GitHub) becomes the site path
    assert render("[q](../leaderboards/quick/leaderboard.md#x)", "which-estimator.md") == (
        "[q](leaderboards/quick/leaderboard.md#x)"
    )
    assert render("[r](../examples/run.toml)", "run-files.md") == "[r](examples/run.toml)"
    # a served page linking back into docs/
    assert render("[d](../docs/distributed.md)", "leaderboards/README.md") == "[d](../distributed.md)"
    # within docs/, external, and unknown targets stay as written (mkdocs reports the unknown one)
    for untouched in ("[a](api.md#ibbench.run)", "[w](https://example.org/x.md)", "[n](../nowhere.md)", "[h](#top)"):
        assert render(untouched, "index.md") == untouched


def test_sphinx_roles_of_docstrings_become_optional_cross_references():
    hooks = _hooks()
    html = "see :func:<code>~ibbench.run</code> and :data:<code>MAX_TIMEOUT</code>"
    out = hooks.on_page_content(html, page=None, config=None, files=None)
    assert ":func:" not in out and ":data:" not in out
    assert '<autoref identifier="ibbench.run" optional><code>ibbench.run</code></autoref>' in out
