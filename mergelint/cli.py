"""The `mergelint` command line.

Exit codes of `check`: 0 no error, 1 an error was found (a YAML syntax error
included), 2 usage errors, unreadable or binary input, internal errors. Over
several files the highest code wins.
"""

from __future__ import annotations

import os
import sys

import click

from . import __version__


def _fail(message: str) -> None:
    click.echo(f"mergelint: {message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mergelint")
def main() -> None:
    """Lint mergekit merge configs before anything is downloaded."""


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
@click.option("--fix", is_flag=True, help="Apply each diagnostic's preferred safe fix, in place.")
@click.option("--select", multiple=True, metavar="RULE", help="Report only these rules (names or codes, repeatable or comma-separated).")
@click.option("--ignore", multiple=True, metavar="RULE", help="Do not report these rules.")
@click.option("--online", is_flag=True, default=None, help="Allow reading model metadata from the network.")
@click.option("--stdin-filename", default=None, help="Path to report for input read from '-'.")
@click.option("--color/--no-color", default=None, help="Colour text output (default: when writing to a terminal).")
@click.option("--configs-only", is_flag=True, help="Skip named files that do not look like merge configs (for pre-commit).")
def check(paths, fmt, fix, select, ignore, online, stdin_filename, color, configs_only) -> None:
    """Check merge configs. PATHS are files, directories (walked for merge configs) or '-'."""
    from .checker import InputError, check_source, decode, read_source, unknown_rule_names
    from .discover import looks_like_merge_config, walk
    from .fixing import fix_source, write_atomically
    from .output import FORMATS
    from .settings import SettingsError, load

    select = [n.strip() for s in select for n in s.split(",") if n.strip()]
    ignore = [n.strip() for s in ignore for n in s.split(",") if n.strip()]
    code = 0
    results = []
    for path in _expand(paths, walk):
        if configs_only and path != "-" and os.path.isfile(path) and not looks_like_merge_config(path):
            continue
        try:
            if path == "-":
                if fix:
                    raise InputError("--fix cannot rewrite standard input")
                source = decode(sys.stdin.buffer.read(), stdin_filename or "<stdin>")
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
            if fix:
                fixed, diagnostics, applied = fix_source(source, settings)
                if applied:
                    write_atomically(path, fixed.text)
                    click.echo(f"{path}: applied {applied} fix{'es' if applied != 1 else ''}", err=True)
                source = fixed
            else:
                diagnostics = check_source(source, settings)
        except (InputError, SettingsError) as e:
            _fail(str(e))
            code = 2
            continue
        except Exception as e:  # never a traceback for the user; the details on request
            if os.environ.get("MERGELINT_DEBUG"):
                raise
            _fail(f"{path}: internal error: {type(e).__name__}: {e} (set MERGELINT_DEBUG=1 for details)")
            code = 2
            continue
        results.append((source, diagnostics))
        if any(d.severity == "error" for d in diagnostics):
            code = max(code, 1)
    if color is None:
        color = fmt == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    text = FORMATS[fmt](results, color=color) if fmt == "text" else FORMATS[fmt](results)
    if text:
        click.echo(text)
    sys.exit(code)


def _expand(paths, walk):
    for path in paths:
        if path != "-" and os.path.isdir(path):
            yield from walk(path)
        else:
            yield path


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules(fmt) -> None:
    """List every rule: code, name, default severity and summary."""
    import json

    from .rules import RULES
    from .suppressions import UNUSED

    every = [*RULES, UNUSED]
    if fmt == "json":
        click.echo(json.dumps([
            {"code": r.code, "name": r.name, "severity": r.severity, "summary": r.summary, "aliases": list(r.aliases)}
            for r in every
        ], indent=2))
        return
    for r in every:
        click.echo(f"{r.code}  {r.name:<28} {r.severity:<8} {r.summary}")


@main.command()
@click.argument("rule")
def explain(rule) -> None:
    """Print a rule's documentation (by name or code)."""
    from .rules import lookup
    from .suppressions import UNUSED

    found = lookup(rule) or (UNUSED if rule in (UNUSED.code, UNUSED.name) else None)
    if found is None:
        _fail(f"unknown rule {rule!r} (see `mergelint rules`)")
        sys.exit(2)
    click.echo(f"# {found.name} ({found.code})\n\nDefault severity: {found.severity}. {found.summary}.\n\n{found.docs}")


@main.command()
@click.option("--write", is_flag=True, help="Update schema/mergekit-config.schema.json instead of printing.")
@click.option("--output", default=None, help="The file --write updates.")
def schema(write, output) -> None:
    """Print the JSON Schema generated from the merge method registry."""
    from .schema_file import render, write_schema

    if write:
        click.echo(f"wrote {write_schema(output)}", err=True)
    else:
        click.echo(render(), nl=False)
