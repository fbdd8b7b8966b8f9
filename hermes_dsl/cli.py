"""The `hermes` command.

Exit codes: 0 when every file is clean (warnings allowed), 1 when a spec has errors, 2 for
usage errors (unknown options, missing files), 3 for an internal error (a bug in hermes; the
message says how to report it and HERMES_DEBUG=1 shows the Python traceback).
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import click

from hermes_dsl import __version__
from hermes_dsl.diagnostics import render_text, to_json


def _parse_params(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(
                f"`{item}`: write NAME=VALUE, e.g. rate=30req/s", param_hint="-p"
            )
        out[name.strip()] = value.strip()
    return out


_common = [
    click.option(
        "-p",
        "--param",
        "params",
        multiple=True,
        metavar="NAME=VALUE",
        help="Override a param, e.g. -p rate=30req/s.",
    ),
    click.option(
        "--path",
        "paths",
        multiple=True,
        type=click.Path(file_okay=False),
        help="Another folder to import modules from.",
    ),
    click.option(
        "--data",
        "data",
        multiple=True,
        type=click.Path(file_okay=False),
        help="A folder to look for trace files in (also $HERMES_DATA).",
    ),
]


def common_options(fn):  # type: ignore[no-untyped-def]
    for opt in reversed(_common):
        fn = opt(fn)
    return fn


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hermes")
def cli() -> None:
    """hermes: specify, check, draw and simulate multi-stage LLM inference pipelines."""


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@common_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    help="Diagnostics as text with carets, or JSON for tools.",
)
@click.option("--color/--no-color", default=None, help="Color the output (default: on a terminal).")
@click.option(
    "--info", "show_info", is_flag=True, help="Also print KV capacity and transfer paths."
)
def check(files, params, paths, data, fmt, color, show_info) -> None:  # type: ignore[no-untyped-def]
    """Check specs; report every problem found, with its code and place."""
    from hermes_dsl.compiler import check_file

    overrides = _parse_params(params)
    color = sys.stdout.isatty() if color is None else color
    errors = 0
    all_diags = []
    for f in files:
        if not Path(f).is_file():
            raise click.UsageError(f"no such file: {f}")
        res = check_file(f, overrides, tuple(map(Path, paths)), tuple(map(Path, data)))
        all_diags.extend(res.diagnostics)
        errors += sum(d.is_error for d in res.diagnostics)
        if fmt == "text" and res.diagnostics:
            click.echo(render_text(res.diagnostics, res.sources, color=color))
        if fmt == "text" and show_info:
            for item in res.info:
                click.echo(f"info: {item.message}")
    warnings = sum(not d.is_error for d in all_diags)
    if fmt == "json":
        click.echo(to_json(all_diags))
    else:
        noun = "file" if len(files) == 1 else "files"
        summary = f"checked {len(files)} {noun}: {errors} error{'s' * (errors != 1)}"
        summary += f", {warnings} warning{'s' * (warnings != 1)}"
        click.echo(summary, err=True)
    sys.exit(1 if errors else 0)


def _report(diagnostics, sources, fmt: str = "text") -> int:  # type: ignore[no-untyped-def]
    errors = sum(d.is_error for d in diagnostics)
    if fmt == "json":
        click.echo(to_json(diagnostics))
    elif diagnostics:
        click.echo(render_text(diagnostics, sources, color=sys.stderr.isatty()), err=True)
    return errors


@cli.command()
@click.argument("spec", type=click.Path(exists=True, dir_okay=False))
@common_options
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Where to write the module (default: generated/<spec>.py).",
)
def compile(spec, params, paths, data, out) -> None:  # type: ignore[no-untyped-def]
    """Compile a spec into a runnable Python module."""
    from hermes_dsl.lower.codegen import lower_file

    lowered = lower_file(
        spec, _parse_params(params), tuple(map(Path, paths)), tuple(map(Path, data))
    )
    if _report(lowered.diagnostics, lowered.sources) or lowered.source is None:
        sys.exit(1)
    target = Path(out) if out else Path("generated") / (Path(spec).stem + ".py")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(lowered.source, encoding="utf-8")
    click.echo(
        f"wrote {target} ({lowered.points} experiment point{'s' * (lowered.points != 1)})", err=True
    )


@cli.command(context_settings={"ignore_unknown_options": False})
@click.argument("spec", type=click.Path(exists=True, dir_okay=False))
@common_options
@click.option("--seed", type=int, default=None, help="Random seed (default: the spec's).")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for tables, summary.json, the Chrome trace and plots.",
)
@click.option("--experiment", "experiments", multiple=True, help="Run only these experiments.")
@click.option("--quiet", is_flag=True, help="No progress bar or table.")
@click.option("--no-plots", is_flag=True, help="Skip the plots.")
@click.option(
    "--workers",
    type=int,
    default=1,
    show_default=True,
    help="Run experiment points in this many processes.",
)
def run(spec, params, paths, data, seed, out, experiments, quiet, no_plots, workers) -> None:  # type: ignore[no-untyped-def]
    """Compile (cached) and simulate a spec; print the reported metrics and SLO verdicts."""
    from hermes_dsl.lower.cache import compiled_module

    if data:  # the generated module finds trace files through HERMES_DATA
        extra = os.pathsep.join(str(Path(d).resolve()) for d in data)
        old = os.environ.get("HERMES_DATA")
        os.environ["HERMES_DATA"] = extra + (os.pathsep + old if old else "")
    module, lowered = compiled_module(
        Path(spec), _parse_params(params), tuple(map(Path, paths)), tuple(map(Path, data))
    )
    if module is None:
        _report(lowered.diagnostics, lowered.sources)
        sys.exit(1)
    if lowered.diagnostics and not quiet:  # warnings: the run goes ahead
        _report(lowered.diagnostics, lowered.sources)
    argv: list[str] = []
    if seed is not None:
        argv += ["--seed", str(seed)]
    if out:
        argv += ["--out", out]
    for e in experiments:
        argv += ["--experiment", e]
    if quiet:
        argv.append("--quiet")
    if no_plots:
        argv.append("--no-plots")
    if workers != 1:
        argv += ["--workers", str(workers)]
    sys.exit(module.main(module.POINTS, module.SPEC, module.SPEC_SHA256, argv))


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@common_options
@click.option(
    "-o", "--out", type=click.Path(file_okay=False), default="diagrams", help="Output folder."
)
@click.option("--expand", is_flag=True, help="Draw every device and group, collapsing nothing.")
def diagram(spec, params, paths, data, out, expand) -> None:  # type: ignore[no-untyped-def]
    """Draw the hardware, each pipeline's dataflow and its placement (DOT, SVG, PNG)."""
    from hermes_dsl.compiler import check_file
    from hermes_dsl.render import write_diagrams

    if not Path(spec).is_file():
        raise click.UsageError(f"no such file: {spec}")
    res = check_file(spec, _parse_params(params), tuple(map(Path, paths)), tuple(map(Path, data)))
    errors = _report(res.diagnostics, res.sources)
    if res.program is None or res.graphs is None:
        sys.exit(1)
    files = write_diagrams(res.program, res.graphs, Path(out), Path(spec).stem, expand)  # type: ignore[arg-type]
    for w in files.warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo(f"wrote {len(files.dot)} DOT and {len(files.images)} image files to {out}", err=True)
    sys.exit(1 if errors else 0)


@cli.command()
@click.argument("code")
def explain(code: str) -> None:
    """Print the long explanation of a diagnostic code, e.g. E0302."""
    from hermes_dsl.explanations import EXPLANATIONS
    from hermes_dsl.explanations import explain as long_form

    text = long_form(code)
    if text is None:
        known = ", ".join(sorted(EXPLANATIONS))
        raise click.UsageError(f"no diagnostic `{code}`; codes are: {known}")
    click.echo(text)


def main() -> None:
    """Entry point: never lets a Python traceback reach a user unless asked to."""
    try:
        cli.main(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as err:
        if os.environ.get("HERMES_DEBUG"):
            traceback.print_exc()
        click.echo(
            f"internal error: {type(err).__name__}: {err}\n"
            "this is a bug in hermes, not in your spec; run again with HERMES_DEBUG=1 and "
            "report the output",
            err=True,
        )
        sys.exit(3)


if __name__ == "__main__":
    main()
