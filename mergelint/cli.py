"""The `mergelint` command line.

Exit codes of `check`: 0 no error, 1 an error was found (a YAML syntax error
included), 2 usage errors, unreadable or binary input, internal errors. Over
several files the highest code wins.
"""

from __future__ import annotations

import os
import sys

import click

from merge_core.language import FLOAT_DTYPES
from merge_core.moe.language import ALLOW_ALL_SAME_FLAG
from merge_core.schemas import PUBLISHED
from merge_core.tools import Tool

from . import __version__
from .mergekit_flags import mergekit_options
from .option_hints import HintingCommand

SCHEMA_TOOLS = [tool.value for tool in PUBLISHED]


def _fail(message: str) -> None:
    click.echo(f"mergelint: {message}", err=True)


def _internal_error(e: Exception, where: str = "") -> None:
    """An unexpected error said in one line; MERGELINT_DEBUG=1 raises it again, with its traceback."""
    if os.environ.get("MERGELINT_DEBUG"):
        raise e
    prefix = f"{where}: " if where else ""
    _fail(f"{prefix}internal error: {type(e).__name__}: {e} (set MERGELINT_DEBUG=1 for details)")


def _needs_merge_extra(e: ImportError) -> str:
    return f"merging needs the `merge` extra (pip install 'mergelint[merge]'): {e}"


class _Main(click.Group):
    """The command group; a command whose reader went away (`mergelint rules | head -1`) ends
    quietly with exit code 1, whatever it was writing: the rest of its output, and Python's
    flush at exit, go to the null device (the Python documentation's recipe for SIGPIPE)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mergelint")
def main() -> None:
    """Lint mergekit merge configs before anything is downloaded."""


main.command_class = HintingCommand  # "did you mean" only for a near spelling of a real option


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github", "sarif"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--fix", is_flag=True, help="Apply each diagnostic's preferred safe fix, in place; fixes of one key are one "
              "decision (a typo renamed, not a value invented beside it); says how many fixes remain, if any.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix, apply preferred unsafe fixes too: they may change what the "
              "merge does (a layer_range end, a LoRA's base, a tokenizer_source), so review the result.")
@click.option("--select", multiple=True, metavar="RULE", help="Report only these rules (names or codes, repeatable or comma-separated).")
@click.option("--ignore", multiple=True, metavar="RULE", help="Do not report these rules.")
@click.option("--online", is_flag=True, default=None, help="Allow reading model metadata from the network.")
@click.option("--stdin-filename", default=None, help="Path to report for input read from '-'.")
@click.option("--color/--no-color", default=None, help="Colour text output (default: when writing to a terminal).")
@click.option("--configs-only", is_flag=True, help="Skip named files that do not look like merge configs (for pre-commit).")
@click.option("--strict", is_flag=True,
              help="Exit 1 on a warning too (a typo like `densty:` is a warning: mergekit ignores it and merges).")
def check(paths, fmt, fix, unsafe_fixes, select, ignore, online, stdin_filename, color, configs_only, strict) -> None:
    """Check merge configs. PATHS are files, directories (walked for merge configs) or '-'."""
    from .output import WRITERS
    from .settings import rule_names

    if unsafe_fixes and not fix:
        raise click.UsageError("--unsafe-fixes only says which fixes --fix applies: add --fix")

    select, ignore = rule_names(select), rule_names(ignore)
    if color is None:
        color = fmt == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    # Each file's diagnostics are written once it is checked: memory stays that of one file.
    report = WRITERS[fmt](_Echo(color), color=color)
    try:
        code = _check_paths(report, paths, fix, select, ignore, online, stdin_filename, configs_only, strict, unsafe_fixes)
    finally:
        report.close()
    sys.exit(code)


class _Echo:
    """A text stream that writes with click.echo; `--color` keeps the colour in a pipe too."""

    def __init__(self, color: bool):
        self.color = color

    def write(self, text: str) -> None:
        click.echo(text, nl=False, color=self.color)


def _check_paths(report, paths, fix, select, ignore, online, stdin_filename, configs_only, strict, unsafe_fixes) -> int:
    from .check_context import CheckContext
    from .checker import MAX_BYTES, InputError, check, decode, read_source, unknown_rule_names
    from .discover import is_merge_config_file, walk
    from .fixing import apply_fixes, write_atomically
    from .settings import SettingsError, load

    code = 0
    for path in _expand(paths, walk):
        if configs_only and path != "-" and os.path.isfile(path) and not is_merge_config_file(path):
            continue
        try:
            if path == "-":
                if fix:
                    raise InputError("--fix cannot rewrite standard input")
                # one byte past the limit is enough to refuse it: an endless pipe is never held
                source = decode(sys.stdin.buffer.read(MAX_BYTES + 1), stdin_filename or "<stdin>")
                directory = os.path.dirname(stdin_filename) if stdin_filename else "."
            else:
                if not os.path.exists(path):
                    raise InputError(f"{path}: no such file or directory")
                source = read_source(path)
                directory = os.path.dirname(os.path.abspath(path))
            settings = load(directory).merged(select, ignore, online)
            unknown = unknown_rule_names(settings)
            if unknown:
                _fail(f"unknown rule(s): {', '.join(unknown)} (see `mergelint rules`)")
                sys.exit(2)
            context = CheckContext(source, settings)  # relative model paths from here, as mergekit reads them
            if fix:
                fixed, diagnostics, applied = apply_fixes(context, unsafe=unsafe_fixes)
                if applied:
                    write_atomically(path, fixed.text)
                    click.echo(f"{path}: applied {applied} fix{'es' if applied != 1 else ''}", err=True)
                _tell_remaining(path, diagnostics, unsafe_fixes)
                source = fixed
            else:
                diagnostics = check(context)
        except (InputError, SettingsError) as e:
            _fail(str(e))
            code = 2
            continue
        except Exception as e:  # never a traceback for the user; the details on request
            _internal_error(e, path)
            code = 2
            continue
        report.add(source, diagnostics)
        failing = ("error", "warning") if strict else ("error",)
        if any(d.severity in failing for d in diagnostics):
            code = max(code, 1)
    return code


def _tell_remaining(path: str, diagnostics, unsafe_fixes: bool) -> None:
    """--fix never stops silently: the fixes it left, and the unsafe ones it was not asked for."""
    from .fixing import MAX_ROUNDS, remaining

    left = remaining(diagnostics, unsafe_fixes)
    if left:
        it = "they" if left != 1 else "it"
        click.echo(f"{path}: {left} fix{'es' if left != 1 else ''} not applied: {it} would undo another fix, or need more "
                   f"than {MAX_ROUNDS} rounds of fixes (run --fix again; `mergelint check` lists them)", err=True)
    unsafe = 0 if unsafe_fixes else remaining(diagnostics, True) - left
    if unsafe:
        click.echo(f"{path}: {unsafe} unsafe fix{'es' if unsafe != 1 else ''} not applied (--unsafe-fixes applies "
                   f"{'them' if unsafe != 1 else 'it'})", err=True)


def _expand(paths, walk):
    for path in paths:
        if path != "-" and os.path.isdir(path):
            yield from walk(path)
        else:
            yield path


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
              help="markdown: the documentation page (docs/rules.md; with --verify, the checks' entries of docs/verify.md).")
@click.option("--verify", "of_verify", is_flag=True, help="List `mergelint verify`'s checks (MVxxx) instead.")
def rules(fmt, of_verify) -> None:
    """List every rule: code, name, default severity and summary (--verify: verify's checks)."""
    import json

    from merge_core.verify import CHECKS  # light: torch is imported only when a tensor is read
    from merge_core.verify.docs import render as render_checks

    from .rules import RULES
    from .rules_page import render
    from .suppressions import UNUSED

    every = CHECKS if of_verify else [*RULES, UNUSED]
    if fmt == "markdown":
        click.echo(render_checks(every) if of_verify else render(every), nl=False)
        return
    if fmt == "json":
        click.echo(json.dumps([
            {"code": r.code, "name": r.name, "severity": r.severity, "summary": r.summary,
             "aliases": list(getattr(r, "aliases", ()))}
            for r in every
        ], indent=2))
        return
    for r in every:
        click.echo(f"{r.code}  {r.name:<28} {r.severity:<8} {r.summary}")


@main.command()
@click.argument("rule")
def explain(rule) -> None:
    """Print a rule's or a `verify` check's documentation (by name or code)."""
    from merge_core.verify import CHECKS

    from .rule import Rule
    from .rules import lookup
    from .suppressions import UNUSED

    found = lookup(rule) or next((c for c in [UNUSED, *CHECKS] if rule in (c.name, c.code, c.code.lower())), None)
    if found is None:
        _fail(f"unknown rule {rule!r} (see `mergelint rules`)")
        sys.exit(2)
    link = f"\n\nDocumentation: {found.url}" if isinstance(found, Rule) else ""  # (verify's: docs/verify.md)
    click.echo(f"# {found.name} ({found.code})\n\nDefault severity: {found.severity}. {found.summary}.\n\n{found.docs}{link}")


@main.command()
@click.option("--tcp", metavar="HOST:PORT", default=None, help="Listen on TCP instead of stdio (for debugging).")
@click.option("--stdio", is_flag=True, help="Use standard input and output (the default).")
def lsp(tcp, stdio) -> None:
    """Start the language server (stdio, or --tcp HOST:PORT)."""
    from lsp.server import run  # the only place mergelint reaches into lsp

    run(tcp)


@main.command()
@click.option("--write", is_flag=True, help="Update every schema/*.schema.json (or --output) instead of printing.")
@click.option("--output", default=None, help="The file --write updates with mergekit-yaml's schema.")
@click.option("--tool", "tool_name", type=click.Choice(SCHEMA_TOOLS), default="yaml", show_default=True,
              help="Whose schema to print: mergekit-yaml's or another mergekit command's.")
def schema(write, output, tool_name) -> None:
    """Print the JSON Schema generated from the merge method registry (or another command's words)."""
    from .schema_file import render, write_schema

    if write:
        for path in write_schema(output):
            click.echo(f"wrote {path}", err=True)
    else:
        click.echo(render(Tool(tool_name)), nl=False)


def _size_or_exit(option: str, text: str | None) -> int | None:
    from merge_core.write import parse_size

    if text is None:
        return None
    try:
        return parse_size(text)
    except ValueError as e:
        _fail(f"{option}: {e}")
        sys.exit(2)


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True,
              help="Where `run` would do the math: estimates GPU memory with cuda.")
@click.option("--out-shard-size", default="5GB", show_default=True, help="As `run`'s: the output's shards.")
@click.option("--tensors", "list_tensors", is_flag=True, help="Text format: list every output tensor too.")
@click.option("--online", is_flag=True, default=None, help="Allow reading model metadata from the network.")
@click.option("--plot", "plot_file", metavar="FILE", default=None,
              help="Also draw the plan into FILE: .png or .svg (matplotlib), .html (plotly, zoom and hover): "
              "each parameter's value per output layer and model, and the layer map of slices.")
@click.option("--intermediate-dir", "-I", default=None, type=click.Path(file_okay=False),
              help="A mergekit-multi stream: where its stages are merged (a stage that reads one merged there is "
              "planned from it).")
def plan(config, fmt, device, out_shard_size, list_tensors, online, plot_file, intermediate_dir) -> None:
    """Show what `run` would do with CONFIG, from headers alone (no weight is read): every output
    tensor with its sources and resolved parameters, and totals (bytes read and written, peak memory,
    disk, time). Exit 1 when CONFIG fails the checker; models not found: unknown totals, exit 0."""
    import json

    from merge_core.errors import MergeError
    from merge_core.plan_plot import PlotError, plot_format, write
    from merge_core.plan_report import make
    from merge_core.plan_text import render
    from merge_core.run import Options

    from .checker import source_tool
    from .multi_run import plans, show_plans

    try:
        if plot_file is not None:
            plot_format(plot_file)  # a usage error before any planning
    except PlotError as e:
        _fail(str(e))
        sys.exit(2)
    source, settings = _read_for_run(config, online)
    _lint(source, settings, for_run=False, refusing="no plan")  # a missing model: a plan of what is known
    shard_size = _size_or_exit("--out-shard-size", out_shard_size)
    options = Options(device=device, out_shard_size=shard_size, online=bool(online))
    try:
        if source_tool(source, settings) is Tool.MULTI:
            if plot_file is not None:
                raise click.UsageError("--plot draws one merge: plot a stage's config on its own")
            found = plans(source.text, intermediate_dir, options)
            show_plans(found, fmt, lambda r: render(r, device=device, tensors=list_tensors))
            return
        report = make(source.text, options)
    except MergeError as e:
        _fail(f"{config}: {e}")
        sys.exit(1)
    except ImportError as e:  # planning needs torch for dtype promotion
        _fail(_needs_merge_extra(e))
        sys.exit(2)
    except Exception as e:  # never a traceback for the user; the details on request
        _internal_error(e, config)
        sys.exit(2)
    if fmt == "json":
        click.echo(json.dumps(report.as_json(), indent=2, default=str))
    else:
        click.echo(render(report, device=device, tensors=list_tensors))
    for note in report.notes:
        click.echo(f"mergelint: note: {note}", err=True)
    if plot_file is not None:
        try:
            write(report, plot_file)
        except PlotError as e:
            _fail(str(e))
            sys.exit(2)
        if report.missing:
            _fail(f"{plot_file}: the plot shows nothing: models not found")


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.argument("out", type=click.Path(), required=False)
@click.option("--intermediate-dir", "-I", default=None, type=click.Path(file_okay=False),
              help="A mergekit-multi stream: where each named stage is merged (INTERMEDIATE_DIR/NAME).")
@click.option("--lazy/--no-lazy", default=True, show_default=True,
              help="A mergekit-multi stream: skip a stage whose folder is a complete output of the same config.")
@click.option("--device", default=None, help="Where the math runs: cpu (the default), cuda, cuda:N or auto.")
@click.option("--dtype", type=click.Choice(FLOAT_DTYPES), default=None,
              help="Override the config's `dtype` (inputs are cast to it when read).")
@click.option("--out-dtype", type=click.Choice(FLOAT_DTYPES), default=None,
              help="Override the config's `out_dtype` (the saved tensors' dtype).")
@click.option("--seed", type=int, default=None, help="Seed for the random methods (dare, della, arcee_fusion).")
@click.option("--dry-run", is_flag=True, help="Print the plan (tensors, sources, parameters, bytes) and stop.")
@click.option("--force", is_flag=True,
              help="Replace OUT if it is an empty folder or an earlier mergelint output (never anything else).")
@click.option("--out-shard-size", default="5GB", show_default=True,
              help="Largest shard in bytes: mergekit's 5B (5e9), 500M, or 5GB, 2GiB; 0: one shard.")
@click.option("--allow-crimes/--no-allow-crimes", default=False, help="Merge models of different architectures.")
@click.option("--online", is_flag=True, default=None, help="Allow downloading models from the Hugging Face Hub.")
@click.option("--allow-pickle", is_flag=True, help="Accept pytorch_model.bin inputs (loaded with weights_only=True).")
@click.option("--unsafe-truncate-embeddings/--no-unsafe-truncate-embeddings", default=False,
              help="Cut vocabulary weights of different sizes to the smallest (as mergekit's flag of that name).")
@click.option("--mergekit-sort", is_flag=True,
              help="Break exact magnitude ties in ties/breadcrumbs sparsification as mergekit does "
                   "(sorts every tensor; slower). By default ties go to the lowest index.")
@click.option("--json-progress", is_flag=True, help="Report progress as JSON lines on stdout.")
@click.option("--allow-nonfinite", is_flag=True,
              help="Publish OUT although its tensors hold NaN or Inf (the output is verified before publishing).")
@click.option("--no-preflight", is_flag=True, help="Merge without first checking that the plan fits the machine's "
              "memory, disk at OUT and GPU memory.")
@click.option("--max-memory", metavar="SIZE", default=None,
              help="Preflight: the memory the merge may use (default: what the system has available).")
@click.option("--max-disk", metavar="SIZE", default=None,
              help="Preflight: the disk OUT may use (default: the free space where OUT will be).")
@click.option(ALLOW_ALL_SAME_FLAG, "allow_all_same", is_flag=True,
              help="mergekit-moe configs: allow every expert to be the same model (to train the result).")
@mergekit_options
def run(config, out, intermediate_dir, lazy, device, dtype, out_dtype, seed, dry_run, force, out_shard_size,
        allow_crimes, online, allow_pickle, unsafe_truncate_embeddings, mergekit_sort, json_progress, allow_nonfinite,
        no_preflight, max_memory, max_disk, allow_all_same, **mergekit) -> None:
    """Lint CONFIG, then merge it into the folder OUT (needs the `merge` extra: torch, safetensors).
    A mergekit-moe config is built as mergekit-moe builds it (the MoE needs transformers too).

    A mergekit-multi stream needs --intermediate-dir; OUT only when it has an unnamed final merge.
    mergekit-yaml's options are accepted too (see mergelint/mergekit_flags.py)."""
    from .checker import source_tool
    from .mergekit_flags import resolve
    from .multi_run import StreamRunner

    source, settings = _read_for_run(config, online)
    tool = source_tool(source, settings)
    if tool is Tool.EVOLVE:  # a search that merges many candidates, each scored by lm-eval
        _fail(f"{config} is a mergekit-evolve config: mergekit-evolve runs its search; `mergelint check` checks it, "
              "and `run` merges a mergekit-yaml, mergekit-moe or mergekit-multi config")
        sys.exit(2)
    moe, stream = tool is Tool.MOE, tool is Tool.MULTI
    if moe and out_dtype:  # mergekit-moe has one dtype for everything
        _fail("--out-dtype has no effect on a mergekit-moe config (--dtype sets its dtype)")
    if stream and intermediate_dir is None:
        raise click.UsageError("a mergekit-multi stream needs --intermediate-dir DIR (where its stages are merged)")
    if not stream and (out is None or intermediate_dir is not None):
        raise click.UsageError("Missing argument 'OUT'." if out is None else
                               "--intermediate-dir is for mergekit-multi streams; CONFIG is one merge")
    compat = resolve(mergekit, device, seed)
    for line in [] if compat.quiet else compat.ignored:
        _fail(line)
    # The user has accepted what these rules report: the flags that make mergekit go ahead anyway.
    accepted = [rule for rule, flag in (("vocab-mismatch", unsafe_truncate_embeddings),
                                        ("moe-identical-experts", allow_all_same)) if flag]
    if accepted:
        settings = settings.merged((), accepted, online)
    _lint(source, settings, compat.quiet)
    # OpenMP threads that spin while waiting compete with the reader/writer threads on small
    # machines, but sleeping at once makes every small op of a chunked loop wake them up:
    # spin briefly, then sleep (libgomp's default spins 30x longer; set before torch loads)
    if "OMP_WAIT_POLICY" not in os.environ:
        os.environ.setdefault("GOMP_SPINCOUNT", "10000")
    try:
        from merge_core.run import Options
        import safetensors  # noqa: F401  (merge_core imports them only when merging starts)
        import torch  # noqa: F401
    except ImportError as e:
        _fail(_needs_merge_extra(e))
        sys.exit(2)
    shard_size = _size_or_exit("--out-shard-size", out_shard_size)
    if compat.num_threads:
        torch.set_num_threads(compat.num_threads)
    options = Options(device=compat.device, dtype=dtype, out_dtype=out_dtype, seed=compat.seed,
                      out_shard_size=shard_size, force=force, allow_crimes=allow_crimes, online=bool(online),
                      allow_pickle=allow_pickle, unsafe_truncate_embeddings=unsafe_truncate_embeddings,
                      mergekit_sort=mergekit_sort, copy_tokenizer=compat.copy_tokenizer,
                      write_model_card=compat.write_model_card, allow_nonfinite=allow_nonfinite,
                      preflight=not no_preflight, max_memory=_size_or_exit("--max-memory", max_memory),
                      max_disk=_size_or_exit("--max-disk", max_disk))
    stages = StreamRunner(intermediate_dir, lazy, compat.quiet) if stream else None
    _merge(source.text, out, options, compat, dry_run, json_progress, _moe_runner(allow_all_same) if moe else None,
           stages)


def _moe_runner(allow_all_same: bool):
    """`run`'s merge for a mergekit-moe config: the MoE build (or its --dry-run), with mergekit-moe's flag."""
    from types import SimpleNamespace

    from merge_core.moe.build import describe, run_moe

    return SimpleNamespace(
        run=lambda text, out, options, on_progress: run_moe(text, out, options, allow_all_same=allow_all_same,
                                                            on_progress=on_progress),
        describe=lambda text, options: describe(text, options, allow_all_same))


def _read_for_run(config: str, online):
    """The config's text and the settings of its folder; exit 2 where either cannot be used."""
    from .checker import InputError, read_source
    from .settings import SettingsError, load

    try:
        return read_source(config), load(os.path.dirname(os.path.abspath(config))).merged((), (), online)
    except (InputError, SettingsError) as e:
        _fail(str(e))
        sys.exit(2)


def _lint(source, settings, quiet: bool = False, *, for_run: bool = True, refusing: str = "not merging") -> None:
    """`check`'s findings; for `run`, judged as a merge about to run here (a missing local model is
    an error, as is an adapter the engine cannot apply); exit 1 on any error."""
    from .check_context import CheckContext
    from .checker import check
    from .output import FORMATS

    diagnostics = check(CheckContext(source, settings, for_run=for_run))
    shown = [d for d in diagnostics if not (quiet and d.severity == "info")]
    if shown:
        click.echo(FORMATS["text"]([(source, shown)], color=sys.stderr.isatty()), err=True)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        _fail(f"{source.path}: {len(errors)} error{'s' if len(errors) != 1 else ''}; {refusing}")
        sys.exit(1)


def _merge(text: str, out: str | None, options, compat, dry_run: bool, json_progress: bool, moe=None,
           stages=None) -> None:
    """The plan (--dry-run: printed) or the merge into OUT, with each way it can end said truthfully;
    `moe`: the mergekit-moe build (run, describe) that replaces the plan and the merge; `stages`: a
    mergekit-multi stream's merges (multi_run.StreamRunner), in place of the one merge."""
    import signal

    from merge_core.errors import MergeError
    from merge_core.multi.run import OutRequired
    from merge_core.output_dir import Interrupted, OutputRefused
    from merge_core.progress import Bar, JsonLines
    from merge_core.plan_report import from_plan, make as make_report
    from merge_core.plan_text import render, totals_lines
    from merge_core.run import run_merge

    def notes(plan):
        if compat.quiet:
            return
        for note in plan.notes:
            click.echo(f"mergelint: note: {note}", err=True)
        if compat.verbosity:  # -v the plan's totals, -vv all of it
            report = from_plan(plan, device=options.device, shard_size=options.out_shard_size)
            click.echo(render(report, device=options.device, tensors=True) if compat.verbosity > 1
                       else "\n".join(totals_lines(report, options.device)), err=True)

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous_sigterm = signal.signal(signal.SIGTERM, stop)
    result = None
    try:
        if dry_run and moe is not None:  # the MoE's architecture and tensors, from headers
            click.echo("\n".join(moe.describe(text, options)))
            return
        if dry_run and stages is not None:
            stages.dry_run(text, options, lambda r: render(r, device=options.device, tensors=True))
            return
        if dry_run:  # the same report as `mergelint plan`, with every tensor listed
            report = make_report(text, options)
            click.echo(render(report, device=options.device, tensors=True))
            for note in [] if compat.quiet else report.notes:
                click.echo(f"mergelint: note: {note}", err=True)
            return
        progress = JsonLines() if json_progress else (Bar() if sys.stderr.isatty() and not compat.quiet else None)
        if moe is not None:
            result = moe.run(text, out, options, progress)
            for note in [] if compat.quiet else result.notes:
                click.echo(f"mergelint: note: {note}", err=True)
        else:
            result = (stages or run_merge)(text, out, options, on_progress=progress, on_plan=notes)
        if result is None:  # every stage of a stream was up to date
            return
        if not compat.quiet:
            findings = _verified(result)
            click.echo(f"mergelint: wrote {result.tensors} tensors ({result.bytes_written / 1e9:.2f} GB) "
                       f"in {len(result.files)} shard(s) to {result.out}, verified"
                       + (f" ({findings} finding(s) above)" if findings else ""), err=True)
    except (OutputRefused, OutRequired) as e:  # an OUT that cannot be used (or is missing) is unusable input
        _fail(str(e))
        sys.exit(2)
    except MergeError as e:
        _fail(str(e))
        sys.exit(1)
    except KeyboardInterrupt as e:  # say truthfully what OUT holds
        if isinstance(e, Interrupted):
            _fail(e.message)
        else:
            _fail(f"interrupted; the new merge is in place in {out}" if result is not None
                  else "interrupted; nothing was written to OUT")
        sys.exit(130)
    except Exception as e:  # never a traceback for the user; the details on request
        if isinstance(e, BrokenPipeError):
            raise  # (a closed stdout ends the command quietly: _Main)
        if isinstance(e, ModuleNotFoundError):  # peft or transformers, imported for some configs only
            _fail(_needs_merge_extra(e))
        else:
            _internal_error(e)
        sys.exit(2)
    finally:  # the command is over: a late SIGTERM no longer raises (a traceback at exit, in a caller)
        signal.signal(signal.SIGTERM, previous_sigterm)


@main.command()
@click.argument("folder", type=click.Path(file_okay=True, dir_okay=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github", "sarif"]), default="text",
              show_default=True, help="Output format.")
@click.option("--strict", is_flag=True, help="Exit 1 on a warning too (a norm outlier is a warning).")
@click.option("--color/--no-color", default=None, help="Colour text output (default: when writing to a terminal).")
@click.option("--compare", "reference", metavar="REF_DIR", default=None,
              help="Also compare every tensor with this model folder's (names, shapes, largest differences).")
@click.option("--atol", type=float, default=0.0, show_default=True,
              help="With --compare: differences up to this are not reported.")
@click.option("--allow-pickle", is_flag=True,
              help="Read pytorch_model*.bin weights (with torch's weights_only loader, which builds only tensors).")
def verify(folder, fmt, strict, color, reference, atol, allow_pickle) -> None:
    """Check a model FOLDER (a merge output, any Hugging Face model) tensor by tensor: NaN/Inf, missing
    layers, the head against tie_word_embeddings, vocabulary and shapes against config.json, norm
    outliers, the index. Exit 0 clean, 1 a problem found, 2 not a model folder or unreadable."""
    try:  # torch reads the tensors: imported here only, never by `check`
        from merge_core.verify import CHECKS, verify as verify_folder
    except ImportError as e:
        _fail(f"verify needs the `merge` extra (pip install 'mergelint[merge]'): {e}")
        sys.exit(2)
    from .output import FORMATS, as_sarif
    from .verify_report import as_results

    try:
        report = verify_folder(folder, compare=reference, atol=atol, allow_pickle=allow_pickle)
    except Exception as e:  # never a traceback for the user; the details on request
        _internal_error(e, folder)
        sys.exit(2)
    results = as_results(report)
    if color is None:
        color = fmt == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    text = {"text": lambda r: FORMATS["text"](r, color=color), "sarif": lambda r: as_sarif(r, CHECKS)}.get(
        fmt, FORMATS[fmt])(results)
    if text:
        click.echo(text)
    failing = ("error", "warning") if strict else ("error",)
    problems = sum(f.severity in failing for f in report.findings)
    if report.usable:
        counts = [f"{n} {s}{'s' if n != 1 else ''}" for s in ("error", "warning")
                  for n in [sum(f.severity == s for f in report.findings)] if n]
        outcome = ", ".join(counts) or "no problem found"
        click.echo(f"mergelint: verified {report.tensors} tensors ({report.bytes_read / 1e9:.2f} GB) in {folder}: "
                   + outcome, err=True)
    sys.exit(2 if not report.usable else 1 if problems else 0)


@main.command()
@click.argument("sweep_file", metavar="SWEEP.yml", type=click.Path(dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False),
              help="Folder for results.jsonl, best.yml and kept models.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Trials at once (embedded Ray: its CPUs, default 1; --address: default the cluster's CPUs).")
@click.option("--address", default=None, metavar="HOST:PORT|auto",
              help="Run the trials on an existing Ray cluster (RAY_AUTH_TOKEN carries a token-auth cluster's token).")
@click.option("--keep", type=click.Choice(["none", "best", "all"]), default="none", show_default=True,
              help="Merged models to keep under OUT/models.")
@click.option("--resume", is_flag=True, help="Keep OUT's finished trials and run only the missing ones.")
def sweep(sweep_file, out, workers, address, keep, resume) -> None:
    """Search merge parameters as SWEEP.yml says: each sampled config is checked, merged with the bundled
    engine and scored, trials in parallel as Ray tasks (needs the `sweep` extra; docs/sweep.md).
    Exit 0 with a best trial, 1 when every trial failed, 2 unusable input (nothing run), 130 interrupted."""
    try:
        from sweep.driver import sweep as run_sweep  # the only place mergelint reaches into sweep
        from sweep.errors import SweepError
    except ImportError as e:
        _fail(f"sweep needs the `sweep` extra (pip install 'mergelint[sweep]'): {e}")
        sys.exit(2)
    try:
        results = run_sweep(sweep_file, out, workers=workers, address=address, keep=keep, resume=resume,
                            stream=sys.stderr)
    except SweepError as e:
        _fail(str(e))
        sys.exit(2)
    except KeyboardInterrupt:
        _fail(f"interrupted; finished trials are in {out}/results.jsonl (--resume runs the rest)")
        sys.exit(130)
    best = results.best()
    if best is None:
        _fail(f"every trial failed (their errors are in {out}/results.jsonl)")
        sys.exit(1)
    click.echo(f"mergelint: best trial {best['trial']}: objective {best['objective']:.6g}; "
               f"its config is {os.path.join(out, 'best.yml')}", err=True)


def _verified(result) -> int:
    """Print what verifying `run`'s output found (at the published path); how many findings."""
    from .output import FORMATS
    from .verify_report import as_results

    report = result.verification
    if report is None or not report.findings:
        return 0
    report.folder = result.out  # it was verified in the temporary folder, before the rename
    click.echo(FORMATS["text"](as_results(report), color=sys.stderr.isatty()), err=True)
    return len(report.findings)
