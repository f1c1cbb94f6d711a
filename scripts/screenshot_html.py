#!/usr/bin/env python3
"""Render an HTML leaderboard in headless chromium and save a full-page-ish screenshot.

Usage: ``python scripts/screenshot_html.py leaderboards/quick/leaderboard.html [out.png] [height]``

Needs Debian's ``chromium`` (``apt-get install chromium``). Look at the PNG after regenerating a
leaderboard: the tables, CIs, failure counts and embedded plots should all be visible.
``tests/test_reports.py`` runs the same browser check automatically when chromium is installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[2])
        return 2
    page = Path(sys.argv[1]).resolve()
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else page.with_suffix(".png")
    height = int(sys.argv[3]) if len(sys.argv) > 3 else 6000
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        print("chromium not found; install it with: apt-get install chromium", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size=1300,{height}",
                f"--screenshot={out.resolve()}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
