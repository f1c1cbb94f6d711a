#!/usr/bin/env python3
"""Write or check the golden outputs of the built-in estimators and tasks (``ibbench.golden``).

Usage::

    python scripts/golden_outputs.py --check   # exit 1 and list the differences if any
    python scripts/golden_outputs.py --write   # regenerate tests/golden/golden_outputs.json
    python scripts/golden_outputs.py --write --add-platform   # also accept this CPU's torch outputs

The file pins, per ``name@version``, each built-in estimator's estimate on a fixed input and each
built-in task's true MI and sample statistics; ``tests/test_golden.py`` checks it. Regenerate it
after bumping a version. ``--write`` refuses to overwrite an output that changed under an
unchanged version (bump the version instead) unless ``--force`` is given, for changes that do not
come from ibbench (a new numpy, torch or BLAS beyond the tolerance). Torch-based outputs depend on
the CPU (``ibbench.golden``'s notes): ``--add-platform`` keeps the stored outputs and records this
CPU's torch-based outputs beside them, so the check passes on both. Runs use a private temporary
``$IBBENCH_CACHE``, so cached training runs or compression codes cannot hide a code change.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "tests" / "golden" / "golden_outputs.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="regenerate the golden file")
    mode.add_argument("--check", action="store_true", help="compare the current code with the golden file")
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH, help=f"golden file (default {DEFAULT_PATH})")
    parser.add_argument(
        "--force", action="store_true", help="with --write: overwrite outputs that changed under an unchanged version"
    )
    parser.add_argument(
        "--add-platform",
        action="store_true",
        help="with --write: record this CPU's torch-based outputs beside the stored ones instead of refusing",
    )
    args = parser.parse_args(argv)
    if args.add_platform and not args.write:
        parser.error("--add-platform only goes with --write")

    from ibbench import golden
    from ibbench.registry import BUILTIN_ESTIMATORS, BUILTIN_TASKS

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ibbench-golden-cache-") as cache:
        os.environ["IBBENCH_CACHE"] = cache
        current = golden.golden_outputs(sorted(BUILTIN_ESTIMATORS), sorted(BUILTIN_TASKS))
    seconds = time.perf_counter() - t0
    stored = golden.load(args.path) if args.path.exists() else {}
    problems = golden.compare(stored, current) if stored else []

    if args.write:
        unversioned = [p for p in problems if p.kind == "changed"]
        if args.add_platform:  # CPU differences of torch-based outputs become this CPU's recorded outputs
            unversioned = [
                p
                for p in unversioned
                if not any(
                    golden.platform_recordable(stored, section, p.key, current[section][p.key])
                    for section in ("estimators", "tasks")
                    if p.key in current[section]
                )
            ]
        if unversioned and not args.force:
            print(f"refusing to write {args.path}: outputs changed under an unchanged version", file=sys.stderr)
            for p in unversioned:
                print(f"- {p.key}: {p.message}", file=sys.stderr)
            print("bump those versions, or pass --force if the change does not come from ibbench", file=sys.stderr)
            return 1
        args.path.parent.mkdir(parents=True, exist_ok=True)
        args.path.write_text(golden.dumps(golden.written_document(stored, current)))
        print(
            f"wrote {len(current['estimators'])} estimators and {len(current['tasks'])} tasks to {args.path} "
            f"({seconds:.1f} s)"
        )
        return 0

    if not stored:
        print(f"no golden file at {args.path}: create it with --write", file=sys.stderr)
        return 1
    if problems:
        print(f"{len(problems)} golden-output problem(s) against {args.path}:", file=sys.stderr)
        for p in problems:
            print(f"- [{p.kind}] {p.key}: {p.message}", file=sys.stderr)
        return 1
    print(
        f"golden outputs match: {len(current['estimators'])} estimators, {len(current['tasks'])} tasks "
        f"({seconds:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
