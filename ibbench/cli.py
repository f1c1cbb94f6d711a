"""The ``ibbench`` command line (typer + rich). It parses and prints; the library does the work."""

from __future__ import annotations

import re
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ibbench.store import DEFAULT_STORE

if TYPE_CHECKING:
    from ibbench.report.leaderboard import Leaderboard

#: -h as well as --help, on every command and sub-command
HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Benchmark mutual-information estimators on tasks with known MI.",
    context_settings=HELP_OPTIONS,
)
# user-derived text is printed through rich.markup.escape; emoji codes (":x:") stay literal too
console = Console(emoji=False)
err = Console(stderr=True, emoji=False)

STORE_OPTION = typer.Option(DEFAULT_STORE, "--store", help="SQLite results store.")


def _fail(message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(str(message))}", soft_wrap=True)  # one line, however long
    raise typer.Exit(2)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Warnings (e.g. a plug-in left out of ``all``) as one escaped line on stderr."""
    err.print(f"[yellow]warning:[/] {escape(str(message))}", soft_wrap=True)


def _check_timeout(value: float) -> float:
    """``--timeout``: 0 or inf = no limit (returned as 0), else seconds in (0, MAX_TIMEOUT]."""
    from ibbench.runner import MAX_TIMEOUT, check_timeout

    if value == 0:
        return 0.0
    try:
        return check_timeout(value) or 0.0
    except ValueError:
        _fail(
            f"--timeout must be a number of seconds in (0, {MAX_TIMEOUT:.0e}], or 0 / inf for no limit; got {value:g}"
        )


def _print_version(value: bool) -> None:
    if value:
        import ibbench

        console.print(f"ibbench {ibbench.__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Benchmark mutual-information estimators on tasks with known MI."""
    import warnings

    warnings.showwarning = _show_warning


def _parse_sizes(text: str) -> list[int]:
    """``--n 1000,5000`` as a list of ints (``1e3`` allowed); one clear error line otherwise."""
    sizes = []
    for item in text.split(","):
        try:
            value = float(item.strip())
            if not value.is_integer():
                raise ValueError
        except ValueError:
            _fail(f"--n expects comma-separated positive integers such as 1000,5000; got {text!r}")
        sizes.append(int(value))
    return sizes


def first_sentence(doc: str) -> str:
    """The first sentence of a docstring, whole (over several source lines if need be), without reST markup:
    ``code`` and :func:`name` become code and name."""
    paragraph = " ".join(doc.strip().split("\n\n")[0].split())
    paragraph = re.sub(r":[a-z]+:`~?([^`]+)`", r"\1", paragraph).replace("``", "")
    match = re.match(r"(.+?[.!?])(?:\s+(?=[A-Z(])|$)", paragraph)
    return match.group(1) if match else paragraph


@app.command("list")
def list_cmd(what: str = typer.Argument(..., help="estimators | tasks | suites | plots")) -> None:
    """List registered estimators, tasks, suites or plot kinds."""
    from ibbench import registry

    table = Table(show_header=True, header_style="bold")
    if what == "estimators":
        names = registry.list_estimators()
        table.add_column("name", no_wrap=True, min_width=max(map(len, names), default=4))
        table.add_column("class", overflow="fold")  # folded at the terminal's width, never cut
        table.add_column("accepts X / Y", overflow="fold")
        table.add_column("stochastic", overflow="fold")
        for name in names:
            try:
                cls = registry.get_estimator_class(name)
                tags = cls.get_tags()
                table.add_row(
                    escape(name),
                    escape(f"{cls.__module__}.{cls.__name__}"),
                    escape(f"{tags['accepts_x']} / {tags['accepts_y']}"),
                    escape(str(tags["stochastic"])),
                )
            except Exception as exc:  # noqa: BLE001 - show broken plug-ins instead of crashing
                table.add_row(escape(name), f"[red]cannot load: {escape(str(exc))}[/]", "", "")
        from ibbench.peers import PEER_ESTIMATORS, not_installed_hint

        for name in sorted(set(PEER_ESTIMATORS) - set(names)):  # adapters of peers not installed
            table.add_row(escape(name), f"[dim]{escape(not_installed_hint(name) or '')}[/]", "", "")
    elif what == "tasks":
        names = registry.list_tasks()
        # whole names and whole first sentences: the summary wraps (long words fold), nothing is cut
        table.add_column("name", no_wrap=True, min_width=max(map(len, names), default=4))
        table.add_column("family", overflow="fold")
        table.add_column("X / Y kinds", overflow="fold")
        table.add_column("summary", overflow="fold", ratio=1)
        for name in names:
            try:
                task_cls = registry.get_task_class(name)
            except Exception as exc:  # noqa: BLE001 - show broken plug-ins instead of crashing
                table.add_row(escape(name), f"[red]cannot load: {escape(str(exc))}[/]", "", "")
                continue
            summary = first_sentence(task_cls.__doc__ or "")
            table.add_row(*map(escape, (name, str(task_cls.family), f"{task_cls.x_kind} / {task_cls.y_kind}", summary)))
    elif what == "suites":
        from ibbench.suites import get_suite, list_suites

        for col in ("name", "version", "tasks", "n", "seeds", "estimators", "description"):
            table.add_column(col, overflow="fold")  # wrapped and folded, never cut
        for name in list_suites():
            s = get_suite(name)
            if s.parts:  # composite: its size is the sum of its parts'
                parts = [get_suite(p) for p in s.parts]
                table.add_row(
                    *map(
                        escape,
                        (
                            s.name,
                            s.version,
                            str(sum(len(p.tasks) for p in parts)),
                            "(parts)",
                            "(parts)",
                            "(parts)",
                            s.description,
                        ),
                    )
                )
                continue
            table.add_row(
                *map(
                    escape,
                    (
                        s.name,
                        s.version,
                        str(len(s.tasks)),
                        ",".join(map(str, s.n)),
                        str(s.seeds),
                        str(len(s.estimators)) if s.estimators else "all",
                        s.description,
                    ),
                )
            )
    elif what == "plots":
        from ibbench.report.plots import list_plot_kinds

        table.add_column("kind")
        for kind in list_plot_kinds():
            table.add_row(escape(kind))
    else:
        _fail(f"cannot list {what!r}; choose estimators, tasks, suites or plots")
    console.print(table)


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether option ``name`` was given on the command line (or by its environment variable), not defaulted.

    Compared by name: typer may vendor its own copy of click's ``ParameterSource`` enum."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT")


def _file_options(ctx: typer.Context, from_file: dict[str, Any]) -> dict[str, Any]:
    """The run file's values of the options not given on the command line (a given flag wins).

    ``store``, ``jobs`` and ``timeout`` count when the file has them (a ``timeout`` of None = no limit);
    the selections when they are set.
    """
    return {
        key: value
        for key, value in from_file.items()
        if (value is not None or key == "timeout") and not _given(ctx, key)
    }


@app.command()
def run(
    ctx: typer.Context,
    estimators: str | None = typer.Option(
        None,
        "--estimators",
        "-e",
        help='"all", names, or specs with params: "ksg:k=3,ksg:k=10,kl"; your own class as '
        '"module:Class" or "module:Class:k=3" (from the current directory or PYTHONPATH) '
        "(default: the suite's own estimators if it has them, else all).",
    ),
    suite: str | None = typer.Option(None, "--suite", "-s", help="Named suite (ibbench list suites)."),
    tasks: str | None = typer.Option(
        None,
        "--tasks",
        "-t",
        help='Task specs: "gaussian-dense:dim=3;mi=1.0,categorical"; your own as "module:Class[:key=value]".',
    ),
    n: str | None = typer.Option(None, "--n", help="Sample sizes, comma-separated (default: the suite's)."),
    seeds: int | None = typer.Option(None, "--seeds", help="Number of seeds 0..S-1 (default: the suite's)."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Cells run concurrently (one process each); at least 1."),
    timeout: float = typer.Option(
        600.0,
        "--timeout",
        callback=_check_timeout,
        help="Seconds before a cell's process is killed: at most 1e6; 0 or inf = no limit.",
    ),
    store: Path = STORE_OPTION,
    rerun_failed: bool = typer.Option(False, "--rerun-failed", help="Retry cells stored as error/timeout."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="dask.distributed scheduler address tcp://host:8786."
    ),
    dask_local: int | None = typer.Option(None, "--dask-local", help="Run on a local dask cluster of N workers."),
    config: Path | None = typer.Option(
        None,
        "--config",
        help="TOML run file (docs/run-files.md): selections, n, seeds, store, jobs, timeout; "
        "options given on the command line override the file's.",
    ),
    inline: bool = typer.Option(False, "--inline", help="Run cells in this process (debugging; no timeout)."),
    no_cache: bool = typer.Option(
        False,
        "--no-cache",
        help="Compute every cell's compression codes afresh and cache none (cold-cache "
        "runtimes; results and keys unchanged). The qnn tasks' trained networks "
        "are still cached: a task needs its network.",
    ),
    max_memory: str = typer.Option(
        "auto",
        "--max-memory",
        metavar="GIB",
        help="Memory limit per cell process in GiB (address space); a cell over it "
        "fails with 'exceeded memory limit'. auto = 75% of RAM; 0 or inf = none.",
    ),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 if any cell failed (error or timeout)."),
    uncertainty: str | None = typer.Option(
        None,
        "--uncertainty",
        metavar="METHOD",
        help="Also compute a resampling interval per cell: subsampling or jackknife (docs/uncertainty.md; "
        "replicates bounded by 5 plain fits of an n log n estimator). Part of the cells' keys.",
    ),
) -> None:
    """Run a benchmark grid; finished cells are stored at once and never recomputed.

    With --config, every option given on the command line overrides the run file's value of it.

    Exit codes:

    0 the run did its job (cells that failed are stored as error/timeout rows).

    1 every cell it ran failed, or cells could not be run (infrastructure failure: nothing stored), or any
      cell failed with --strict.

    2 invalid options.
    """
    import ibbench
    from ibbench.progress import RunProgress

    if timeout < 0:
        _fail(f"--timeout must be >= 0 seconds (0 = no limit), got {timeout:g}")
    memory_text = max_memory.strip().lower()
    memory: float | str | None = memory_text
    if memory_text != "auto":
        try:
            gib = float(memory_text)
        except ValueError:
            _fail(f"--max-memory must be a number of GiB, auto, or 0 / inf for no limit; got {max_memory!r}")
        if not gib >= 0:  # also rejects nan
            _fail(f"--max-memory must be a number of GiB >= 0 (0 or inf = no limit); got {max_memory!r}")
        memory = None if gib in (0, float("inf")) else gib
    options: dict[str, Any] = dict(
        estimators=estimators,
        suite=suite,
        tasks=tasks,
        n=_parse_sizes(n) if n else None,
        seeds=seeds,
        store=store,
        jobs=jobs,
        timeout=timeout or None,
    )
    run_config = None
    if config is not None:
        from ibbench.runfile import load_run_file

        try:
            from_file = load_run_file(config)
            run_config = {"run_file": str(config), "run_file_text": config.read_text()}  # kept in the runs table
        except OSError as exc:
            _fail(f"cannot read the run file {config}: {exc.strerror or exc}")
        except ValueError as exc:
            _fail(str(exc))
        options.update(_file_options(ctx, from_file))
    store, jobs = Path(options.pop("store")), options.pop("jobs")
    if jobs < 1:
        _fail(f"--jobs must be a positive number of concurrent cells (1 = one at a time); got {jobs}")
    if not options["suite"] and not options["tasks"]:
        _fail("give --suite or --tasks (see `ibbench list suites` / `ibbench list tasks`)")
    backend = "inline" if inline else "dask" if (scheduler or dask_local) else "local"
    progress = RunProgress(err, store=store)
    if str(Path.cwd()) not in sys.path:  # module:Class from the current directory (after installed packages)
        sys.path.append(str(Path.cwd()))

    started = time.monotonic()
    try:
        summary = ibbench.run(
            **options,
            store=store,
            jobs=jobs,
            rerun_failed=rerun_failed,
            backend=backend,
            scheduler=scheduler,
            dask_local=dask_local,
            progress=progress.on_cell,
            on_plan=progress.on_plan,
            command=shlex.join(["ibbench", *sys.argv[1:]]),
            config=run_config,
            cache=not no_cache,
            max_memory=memory,
            uncertainty=uncertainty,
        )
    except ValueError as exc:
        progress.stop()
        _fail(str(exc))
    progress.stop()
    counts = ", ".join(f"{k}: {v}" for k, v in sorted(summary.statuses.items())) or "nothing to do"
    err.print(escape(f"run {summary.run_id}: {counts} in {time.monotonic() - started:.1f} s → {store}"))
    problems = summary.problems(strict=strict)
    for problem in problems:
        err.print(f"[bold red]run failed:[/] {escape(problem)}", soft_wrap=True)
    if problems:
        raise typer.Exit(1)


@app.command()
def leaderboard(
    store: Path = STORE_OPTION,
    format: str = typer.Option("md,csv,json,html", "--format", "-f", help="Comma-separated: md, csv, json, html."),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Output folder (default leaderboards/<suite> if every run of the store ran one suite, "
        "else leaderboards/<store file stem>).",
    ),
    plots: bool = typer.Option(
        True, "--plots/--no-plots", help="Draw the standard plots into <out>/plots (curves, convergence, runtime)."
    ),
    show: bool = typer.Option(True, "--show/--no-show", help="Print the overall ranking."),
) -> None:
    """Score the store and write its whole leaderboard folder: tables (md, csv, json), the HTML page, the
    critical-difference diagrams and the plots, all from the same cells; prints the overall ranking."""
    from ibbench.report.leaderboard import build_leaderboard, default_folder, write_leaderboard

    try:
        with err.status("scoring the store (bootstrap CIs)"):
            board = build_leaderboard(store)
        out = default_folder(board, store) if out is None else out
        with err.status(escape(f"writing {out}")):
            formats = [f.strip() for f in format.split(",") if f.strip()]
            files = write_leaderboard(store, out, formats=formats, board=board, plots=plots)
    except (OSError, ValueError) as exc:  # a missing store, an --out that is a file or not writable
        _fail(str(exc))
    if show:
        _print_overall(board)
    err.print(escape(f"wrote {len(files)} file(s) to {out}: " + ", ".join(str(f.relative_to(out)) for f in files)))


def _print_overall(board: Leaderboard) -> None:
    """The overall ranking with short estimator labels (whole, never cut), their legend and the cell counts.

    ``configs`` is left out: every ranked estimator completed all of them (the title says how many)."""
    from ibbench.report.labels import console_table, estimator_labels, legend, legend_table
    from ibbench.report.leaderboard import OVERALL_COLUMNS, format_number

    labels = estimator_labels(board.cells)
    overall = board.overall
    shown = {c: h for c, h in OVERALL_COLUMNS.items() if c != "configs"}
    text = overall.assign(estimator_label=[labels.get(v, v) for v in overall["estimator_label"]])
    text = text.assign(**{c: [format_number(v) for v in text[c]] for c in shown if c != "estimator_label"})
    configs = len(board.rankings["overall"].configs) if "overall" in board.rankings else 0
    width = console.width
    console.print(
        console_table(
            text,
            shown,
            width=width,
            flexible="estimator_label",
            title=f"ibbench leaderboard (overall, {configs} configuration{'' if configs == 1 else 's'})",
            right=[c for c in shown if c != "estimator_label"],
        )
    )
    ranked = {str(v) for v in overall["estimator_label"]}
    explained = legend(board.cells, {k: v for k, v in labels.items() if k in ranked})
    explained = explained[explained["parameters"] != "defaults"]  # a bare name needs no legend
    if len(explained):
        console.print(legend_table(explained, width=width))
    counts = ", ".join(f"{status} {count}" for status, count in sorted(board.status_counts.items()))
    console.print(escape(f"cells: {counts or 'none'}"))


def _check_plot_options(kind: str, options: dict[str, Any]) -> None:
    """``ValueError`` naming any ``--option`` key that plot ``kind``'s function does not take, and the valid ones."""
    import importlib
    import inspect

    from ibbench.report.plots import PLOT_KINDS

    if kind not in PLOT_KINDS:
        return  # make_plot names the known kinds
    module, _, attr = PLOT_KINDS[kind].partition(":")
    parameters = inspect.signature(getattr(importlib.import_module(module), attr)).parameters.values()
    valid = sorted(
        p.name
        for p in parameters
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in ("store", "out", "cells")
    )
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ValueError(
            f"unknown --option {', '.join(unknown)} for --kind {kind}; valid: {', '.join(valid) or 'none'}"
        )


@app.command()
def plot(
    kind: str = typer.Option("curves", "--kind", "-k", help="Plot kind (ibbench list plots)."),
    store: Path = STORE_OPTION,
    out: Path = typer.Option(Path("plots"), "--out", "-o", help="Output directory."),
    option: list[str] = typer.Option([], "--option", help="Extra key=value options for the plot kind."),
) -> None:
    """Draw PNG plots from the store (or from tasks, for --kind tasks)."""
    from ibbench.registry import parse_spec
    from ibbench.report.plots import make_plot

    try:
        extra = parse_spec("x:" + ";".join(option))[1] if option else {}
        _check_plot_options(kind, extra)
        files = make_plot(kind, store=str(store), out=out, **extra)
    except (OSError, ValueError) as exc:
        _fail(str(exc))
    for f in files:
        console.print(escape(f"wrote {f}"))


@app.command()
def check(
    target: str = typer.Argument(
        ..., help="A registered estimator or task name (ksg, gaussian-dense), or module:Class of your own class."
    ),
    timeout: float = typer.Option(
        300.0,
        "--timeout",
        callback=_check_timeout,
        help="Seconds the whole suite may take (it runs in a separate process); "
        "a check still running then fails. At most 1e6; 0 or inf = no limit.",
    ),
) -> None:
    """Run the conformance suite on a registered estimator or task, or on your own class (module:Class),
    in a separate process with a time limit."""
    from ibbench.check_process import run_checks
    from ibbench.registry import class_path

    sys.path.insert(0, str(Path.cwd()))
    try:
        results = run_checks(target if ":" in target else class_path(target), timeout=timeout or None)
    except ValueError as exc:  # cannot import (missing module or class, SyntaxError, error raised on import)
        _fail(str(exc))
    table = Table(title=escape(f"conformance of {target}"), header_style="bold")
    table.add_column("check", overflow="fold")  # wrapped and folded, never cut
    table.add_column("result", overflow="fold")
    table.add_column("message", overflow="fold")
    for r in results:
        status = "[yellow]skip[/]" if r.skipped else "[green]pass[/]" if r.passed else "[red]FAIL[/]"
        table.add_row(escape(r.name), status, escape(r.message))
    console.print(table)
    if not all(r.passed for r in results):
        raise typer.Exit(1)


@app.command()
def export(
    store: Path = STORE_OPTION,
    format: str = typer.Option("csv", "--format", "-f", help="csv or parquet (parquet needs pyarrow)."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output file (default results.<format>); never the store itself."
    ),
    force: bool = typer.Option(
        False, "--force", help="Overwrite an existing --out file that is not a previous export."
    ),
) -> None:
    """Export every stored cell (long format, params expanded)."""
    from ibbench.store import export_results

    try:
        out, df = export_results(store, out, format=format, force=force)
    except (FileNotFoundError, ImportError, ValueError, OSError) as exc:
        _fail(str(exc))
    console.print(escape(f"wrote {len(df)} cells to {out}"))


@app.command("infoplane")
def infoplane_cmd(
    file: Path = typer.Argument(
        ..., help="Python file defining model, X, Y and optionally layers, train_fn, epochs, checkpoints."
    ),
    layers: str | None = typer.Option(None, "--layers", help="Comma list of module names (default: the file's)."),
    estimator: str | None = typer.Option(None, "--estimator", help="auto (default), or a registered estimator."),
    estimator_params: str | None = typer.Option(None, "--estimator-params", help="JSON params of --estimator."),
    epochs: int | None = typer.Option(None, "--epochs", help="Epochs to train (default: the file's epochs)."),
    n_points: int | None = typer.Option(None, "--n-points", help="Log-spaced capture epochs (default 30)."),
    quantize: int | None = typer.Option(None, "--quantize", help="Bin the layers into 2**BITS levels (exact MI)."),
    noise: float | None = typer.Option(None, "--noise", help="Measure T + N(0, NOISE^2) instead of T."),
    time_budget: float | None = typer.Option(None, "--time-budget", help="Seconds per fit for auto (default 1)."),
    seed: int | None = typer.Option(None, "--seed", help="random_state of the fits and noise (default: the file's)."),
    store: Path | None = typer.Option(None, "--store", help="Also write the rows to this results store."),
    out: Path = typer.Option(Path("infoplane.png"), "--out", "-o", help="PNG of the plane."),
    csv: Path | None = typer.Option(None, "--csv", help="Also write the tidy rows as CSV."),
) -> None:
    """Information plane of your own torch model: I(X;T), I(T;Y) per layer and epoch (docs/infoplane.md)."""
    import json
    import warnings

    from ibbench.information_plane.runfile import run_file

    try:
        params = json.loads(estimator_params) if estimator_params else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the summary below prints them
            result = run_file(
                file,
                layers=[name.strip() for name in layers.split(",")] if layers else None,
                estimator=estimator,
                estimator_params=params,
                epochs=epochs,
                n_points=n_points,
                quantize=quantize,
                noise=noise,
                time_budget=time_budget,
                random_state=seed,
                store=store,
            )
        written = result.plot(out)
        if csv is not None:
            result.frame.to_csv(csv, index=False)
    except (OSError, ValueError) as exc:  # JSONDecodeError is a ValueError
        _fail(str(exc))
    console.print(escape(result.summary()), soft_wrap=True)
    console.print(escape(f"wrote {written}" + (f" and {csv}" if csv is not None else "")))


study_app = typer.Typer(
    no_args_is_help=True,
    help="Run a study: compute and store analysis results that plots read.",
    context_settings=HELP_OPTIONS,
)
app.add_typer(study_app, name="study")


class _StudyProgress:
    """A rich progress display on stderr, called as ``progress(description, done, total)`` by a study."""

    def __init__(self) -> None:
        from rich.progress import TaskID

        from ibbench.progress import progress_bar

        self.display = progress_bar(err)
        self.bars: dict[str, TaskID] = {}

    def __call__(self, description: str, done: int, total: int) -> None:
        if description not in self.bars and total == 0:
            self.display.console.print(escape(f"{description}: already stored (skipped)"))
            return
        if description not in self.bars:
            self.bars[description] = self.display.add_task(escape(description), total=total)
        self.display.update(self.bars[description], completed=done, total=total)


def _study_lists(activation: str, bits: str) -> tuple[list[str], list[int]]:
    try:
        return [a.strip() for a in activation.split(",") if a.strip()], [int(b) for b in bits.split(",") if b.strip()]
    except ValueError:
        _fail(f"--bits expects comma-separated integers such as 4,8; got {bits!r}")
        raise  # unreachable: _fail exits


def _run_study(run_study: Callable[..., str], out: Path | None, *, store: str, **options: Any) -> None:
    """Run a study with a progress display; print its markdown or write it to ``out``."""
    report = _StudyProgress()
    try:
        with report.display:
            text = run_study(store, progress=report, **options)
    except (OSError, ValueError) as exc:
        _fail(str(exc))
    _study_output(text, out)


def _study_output(text: str, out: Path | None) -> None:
    from ibbench.studies.common import write_markdown

    if out is None:
        console.print(text, markup=False, highlight=False, soft_wrap=True)
    else:
        err.print(escape(f"wrote {write_markdown(text, out)}"))


@study_app.command("info-planes")
def study_info_planes(
    store: Path = STORE_OPTION,
    dataset: str = typer.Option("szt", "--dataset", help="szt or digits."),
    activation: str | None = typer.Option(None, "--activation", help="Comma list (default tanh,relu; digits: relu)."),
    bits: str = typer.Option("4,8", "--bits", help="Comma list of quantization bits."),
    epochs: int = typer.Option(1000, "--epochs"),
    n_snapshots: int = typer.Option(40, "--n-snapshots"),
    seeds: int = typer.Option(3, "--seeds", help="Training repetitions 0 .. seeds-1."),
    min_accuracy: float | None = typer.Option(
        None, "--min-accuracy", help="Leave out runs whose final training accuracy is lower."
    ),
    estimator: str | None = typer.Option(None, "--estimator", help="Also estimate the plane with this estimator."),
    estimator_params: str | None = typer.Option(None, "--estimator-params", help="JSON params of --estimator."),
    every: int = typer.Option(1, "--every", help="Estimate every k-th snapshot (and always the last)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Markdown file of the phase tables (default: print)."),
) -> None:
    """Train quantized networks and store their exact (and estimated) information planes."""
    import json

    from ibbench.studies.info_planes import default_activations, run_study

    activations, bit_list = _study_lists(activation or ",".join(default_activations(dataset)), bits)
    try:
        params = json.loads(estimator_params) if estimator_params else None
    except json.JSONDecodeError as exc:
        _fail(f"--estimator-params must be a JSON object: {exc}")
    _run_study(
        run_study,
        out,
        store=str(store),
        dataset=dataset,
        activations=activations,
        bits=bit_list,
        epochs=epochs,
        n_snapshots=n_snapshots,
        n_seeds=seeds,
        min_accuracy=min_accuracy,
        estimator=estimator,
        estimator_params=params,
        every=every,
    )


@study_app.command("binning-vs-exact")
def study_binning_vs_exact(
    store: Path = STORE_OPTION,
    dataset: str = typer.Option("szt", "--dataset", help="szt or digits."),
    activation: str = typer.Option("tanh,relu", "--activation", help="Comma list."),
    bits: str = typer.Option("4,8", "--bits", help="Comma list of quantization bits."),
    epochs: int = typer.Option(1000, "--epochs"),
    n_snapshots: int = typer.Option(40, "--n-snapshots"),
    seeds: int = typer.Option(3, "--seeds", help="Training repetitions 0 .. seeds-1."),
    n_bins: str = typer.Option("30,100,256", "--n-bins", help="Comma list of bin counts."),
    epoch: int | None = typer.Option(None, "--epoch", help="Snapshot epoch (default: the last)."),
    min_accuracy: float | None = typer.Option(
        None, "--min-accuracy", help="Leave out runs whose final training accuracy is lower."
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="Markdown file of the tables (default: print)."),
) -> None:
    """Store binning of the unquantized activations against the exact MI of the quantized layers."""
    from ibbench.studies.binning_vs_exact import run_study

    activations, bit_list = _study_lists(activation, bits)
    _, bin_list = _study_lists("", n_bins)
    _run_study(
        run_study,
        out,
        store=str(store),
        dataset=dataset,
        activations=activations,
        bits=bit_list,
        epochs=epochs,
        n_snapshots=n_snapshots,
        n_seeds=seeds,
        n_bins=bin_list,
        epoch=epoch,
        min_accuracy=min_accuracy,
    )


peers_app = typer.Typer(
    no_args_is_help=True,
    help="Peer implementations (bmi, latentmi, ...) in their own virtual environments (docs/peers.md).",
    context_settings=HELP_OPTIONS,
)
app.add_typer(peers_app, name="peers")


@peers_app.command("list")
def peers_list() -> None:
    """List the peers: installed or not, where, their recorded versions and adapter estimators."""
    from ibbench.peers import PEER_ESTIMATORS
    from ibbench.peers.envs import PEERS, env_dir, installed_versions, is_installed

    table = Table(show_header=True, header_style="bold")
    for col in ("peer", "status", "location", "versions", "estimators"):
        table.add_column(col, overflow="fold")
    for name in PEERS:
        adapters = ", ".join(sorted(a for a, (peer, _) in PEER_ESTIMATORS.items() if peer == name)) or "-"
        installed = is_installed(name)
        versions = ", ".join(f"{d} {v}" for d, v in installed_versions(name).items())
        status = "installed" if installed else f"not installed (ibbench peers install {name})"
        table.add_row(*map(escape, (name, status, str(env_dir(name)), versions or "-", adapters)))
    console.print(table)


@peers_app.command("install")
def peers_install(
    name: str = typer.Argument(..., help="Peer name (see `ibbench peers list`)."),
    force: bool = typer.Option(False, "--force", help="Reinstall even if installed."),
) -> None:
    """Create the peer's virtual environment (same Python, pinned requirements) under $IBBENCH_PEERS."""
    from ibbench.peers.envs import env_dir, install, is_installed, peer_spec

    try:
        spec = peer_spec(name)
    except ValueError as exc:
        _fail(str(exc))
    if is_installed(name) and not force:
        err.print(escape(f"{name} is already installed in {env_dir(name)} (--force reinstalls)"))
        return
    err.print(escape(f"installing {name} into {env_dir(name)}: {' '.join((*spec.first, *spec.requirements))}"))
    try:
        data = install(name, force=force)
    except RuntimeError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from exc
    versions = ", ".join(f"{d} {v}" for d, v in data.get("versions", {}).items())
    err.print(escape(f"installed {name} in {data.get('install_seconds', 0):.0f} s: {versions}"))


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
