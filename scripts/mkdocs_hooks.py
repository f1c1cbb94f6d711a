"""mkdocs hooks (``hooks:`` in mkdocs.yml): the docs site also serves the committed files the pages link to.

The pages in ``docs/`` link to repository files outside ``docs/`` (the leaderboards, the example
run file) with paths that work when the repository is browsed, such as
``../leaderboards/quick/leaderboard.md``. :func:`on_files` adds the files of :data:`SERVED` to the
site under their repository paths (markdown files become pages, the others are copied), and
:func:`on_page_markdown` rewrites every relative link that leaves ``docs/`` to the site's copy, so
the same links work in the repository and on the site, and ``mkdocs build --strict`` checks them:
a link to a file that is neither in ``docs/`` nor served stays as written and fails the build.

The docstrings cross-reference with Sphinx roles (``:func:`ibbench.run```), which Markdown renders
as the role's name followed by code. :func:`on_page_content` turns each into a cross-reference that
mkdocs-autorefs resolves when the object is in the API reference (else it stays plain code).
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

#: repository folders served beside docs/, under their own paths
SERVED = ("leaderboards", "examples")

#: ``](target)`` of a markdown link or image; the target up to ``)``, a space or ``#``
_LINK = re.compile(r"\]\((?P<target>[^)\s#]+)(?P<rest>[^)]*)\)")

#: a Sphinx role as rendered by Markdown: ``:func:<code>~ibbench.run</code>``
_ROLE = re.compile(r":(?:func|class|meth|attr|data|mod|exc|obj):<code>~?(?P<target>[\w.]+)(?P<call>\(\))?</code>")

_served: set[str] = set()


def _root(config: Any) -> Path:
    return Path(config["config_file_path"]).resolve().parent


def on_files(files: Files, config: Any) -> Files:
    """Add every file of the :data:`SERVED` folders, keyed by its repository path."""
    root = _root(config)
    _served.clear()
    for folder in SERVED:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file():
                uri = path.relative_to(root).as_posix()
                files.append(File.generated(config, uri, abs_src_path=str(path)))
                _served.add(uri)
    return files


def _site_uri(repo_path: str, docs_dir: str) -> str | None:
    """The site path of a repository file: ``docs/x.md`` → ``x.md``; a served file keeps its path."""
    if repo_path.startswith(docs_dir + "/"):
        return repo_path[len(docs_dir) + 1 :]
    return repo_path if repo_path in _served else None


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    """Rewrite relative links whose repository target is outside the page's folder tree to the site copy."""
    root = _root(config)
    docs_dir = Path(config["docs_dir"]).resolve().relative_to(root).as_posix()
    uri = page.file.src_uri
    page_dir = posixpath.dirname(uri if uri in _served else f"{docs_dir}/{uri}")
    site_dir = posixpath.dirname(uri) or "."

    def rewrite(match: re.Match[str]) -> str:
        target = match.group("target")
        if "://" in target or target.startswith(("/", "mailto:")):
            return match.group(0)
        repo_path = posixpath.normpath(posixpath.join(page_dir, target))
        site = _site_uri(repo_path, docs_dir)
        if site is None:
            return match.group(0)  # left for mkdocs to resolve (or to report)
        return f"]({posixpath.relpath(site, site_dir)}{match.group('rest')})"

    return _LINK.sub(rewrite, markdown)


def on_page_content(html: str, page: Any, config: Any, files: Files) -> str:
    """Sphinx roles of the rendered docstrings → optional autorefs cross-references."""

    def reference(match: re.Match[str]) -> str:
        target = match.group("target")
        return f'<autoref identifier="{target}" optional><code>{target}{match.group("call") or ""}</code></autoref>'

    return _ROLE.sub(reference, html)
