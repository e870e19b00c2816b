"""Hostile input: bounded output, time and memory, and a plain one-line error (never "internal
error") for what cannot be checked or written. Real subprocesses where the claim is about the
process (its memory, its exit code, a pipe, a FIFO)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from mergelint.checker import InputError, check_source
from mergelint.diagnostics import Diagnostic
from mergelint.document import Position, Range, Source
from mergelint.fixing import write_atomically
from mergelint.output import SNIPPET_MARGIN, as_text
from mergelint.settings import SettingsError, load

ENV = {k: v for k, v in os.environ.items() if k != "MERGELINT_DEBUG"}


def measured(*args, cwd) -> tuple[subprocess.CompletedProcess, float]:
    """`python -m mergelint ARGS` and its peak memory in MB, measured by a parent of its own (the
    children's ru_maxrss of this process would be the largest child any test ever ran)."""
    code = (
        "import json, resource, subprocess, sys\n"
        "r = subprocess.run([sys.executable, '-m', 'mergelint', *sys.argv[1:]], capture_output=True)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps([r.returncode, r.stdout.decode(), r.stderr.decode(), peak]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=ENV)
    rc, stdout, stderr, peak = json.loads(out.stdout)
    return subprocess.CompletedProcess(args, rc, stdout, stderr), peak


# Text output: a long line is shown as a window around the caret, and the output is streamed.


def test_one_long_line_with_many_diagnostics_prints_a_bounded_report(tmp_path):
    # A minified config: 59 KB on one line, an unknown key every 8 bytes (about 7,000 warnings).
    keys = ", ".join(f"k{i}: 1" for i in range(8000))
    text = "{merge_method: linear, models: [{model: org/a, parameters: {weight: 1}}], " + keys
    text = text[:59_000].rsplit(",", 1)[0] + "}\n"
    (tmp_path / "long.yml").write_text(text)
    result, peak = measured("check", "--ignore", "model-not-found", "long.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr  # warnings only
    # Before: 530 MB of output and a 1.6 GB peak (the whole line printed for each warning).
    assert result.stdout.count("warning[unknown-key]") > 6000
    assert len(result.stdout) < 5_000_000
    assert peak < 200


@pytest.mark.parametrize("fmt, first", [("text", "a.yml:3:12: error"), ("json", "[")], ids=["text", "json"])
def test_each_file_is_reported_before_the_next_is_read(tmp_path, fmt, first):
    (tmp_path / "a.yml").write_text(FIXABLE)
    proc = subprocess.Popen([sys.executable, "-m", "mergelint", "check", "--format", fmt, "--ignore", "model-not-found",
                             "a.yml", "-"], cwd=tmp_path, env=ENV, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = []
    reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(60)  # standard input, the second file, is still open: nothing is held back for it
    try:
        assert lines and lines[0].startswith(first)
    finally:
        proc.communicate(FIXABLE, timeout=60)
    assert proc.returncode == 1


def _diagnostic(line: int, start: int, end: int) -> Diagnostic:
    return Diagnostic("ML004", "unknown-key", "warning", "unknown key", Range.of(line, start, line, end))


def _snippet_lines(text: str, d: Diagnostic) -> tuple[str, str]:
    out = as_text([(Source(text, "c.yml"), [d])]).split("\n")
    return out[2].split(" | ", 1)[1], out[3].split(" | ", 1)[1]


def test_long_line_is_cut_around_the_caret_which_stays_under_its_text():
    line = "".join(f"k{i:05d}: 1, " for i in range(2000))  # 20,000 columns
    column = line.index("k01000")
    shown, caret = _snippet_lines("{" + line + "}\n", _diagnostic(0, column + 1, column + 7))
    assert shown.startswith("...") and shown.endswith("...")
    assert len(shown) <= 2 * SNIPPET_MARGIN + 6 + 6
    at = caret.index("^")
    assert caret[at:] == "^" * 6 and shown[at : at + 6] == "k01000"


def test_short_lines_and_line_starts_are_shown_whole_or_cut_on_one_side():
    shown, caret = _snippet_lines("output_dir: ./out\n", _diagnostic(0, 0, 10))
    assert (shown, caret) == ("output_dir: ./out", "^" * 10)
    long_tail = "output_dir: " + "x" * 500 + "\n"
    shown, caret = _snippet_lines(long_tail, _diagnostic(0, 0, 10))
    assert shown == long_tail[: 10 + SNIPPET_MARGIN] + "..." and caret == "^" * 10


def test_a_span_longer_than_the_window_has_a_bounded_underline():
    text = "a: [" + ", ".join(["1"] * 5000) + "]\n"
    shown, caret = _snippet_lines(text, _diagnostic(0, 3, len(text) - 1))
    assert caret == " " * 3 + "^" * (2 * SNIPPET_MARGIN)
    assert shown.startswith("a: [1, 1") and shown.endswith("...") and len(shown) < 4 * SNIPPET_MARGIN


# What a YAML constructor rejects is a diagnostic on its node.


@pytest.mark.parametrize(
    "text, value",
    [("!!int\n", "!!int"), ("!!float\n", "!!float"), ("!!timestamp\n", "!!timestamp"), ("a: !!int\nb: 1\n", "!!int")],
    ids=["int-alone", "float-alone", "timestamp-alone", "int-without-value"],
)
def test_an_explicit_tag_without_a_value_is_a_yaml_error_on_it(text, value):
    (d,) = [d for d in check_source(Source(text, "c.yml")) if d.rule == "yaml-syntax"]
    assert d.message == f"'' cannot be read as {value}"
    assert d.range.start == Position(0, text.index("!!"))


# Size limits: what the limit is and why, and memory proportional to the input.


def test_a_config_of_125k_models_is_refused_for_its_size_in_bounded_memory(tmp_path):
    entry = "  - model: org/model-{:06d}\n    parameters:\n      weight: 1.0\n"
    text = "merge_method: linear\nmodels:\n" + "".join(entry.format(i) for i in range(125_000))
    (tmp_path / "big.yml").write_text(text)
    result, peak = measured("check", "big.yml", cwd=tmp_path)
    assert result.returncode == 1
    assert "error[yaml-syntax] the file has more than 200,000 YAML nodes: keys, values and list items " \
           "(mergelint's limit, which keeps the time and memory of a check bounded)" in result.stdout
    assert "alias" not in result.stdout
    # Before: 1.04 GB for this 7.75 MB text, the whole tree composed and built before it was counted.
    assert peak < 250


def test_the_alias_limit_holds_for_the_whole_file_not_each_document():
    # Each document expands to 170,000 nodes from 262 bytes: checked one by one, 2,000 of them
    # took a minute and a half.
    doc = (
        "merge_method: linear\na: &a [1,1,1,1,1,1,1,1,1,1]\n"
        + "".join(f"{k}: &{k} [{', '.join(['*' + p] * 10)}]\n" for p, k in zip("abc", "bcd"))
        + f"e: [{', '.join(['*d'] * 16)}]\nmodels: [{{model: a, parameters: {{weight: 1}}}}]\n"
    )
    diagnostics = check_source(Source("---\n".join([doc] * 2000), "c.yml"))
    (d,) = [d for d in diagnostics if d.rule == "yaml-syntax"]
    assert d.message.startswith("the file expands to more than 200,000 nodes through aliases (mergelint's limit")
    assert d.document == 1


# FIFOs and devices: skipped in a directory walk, a plain error when named, never a hang.

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
CONFIG = "merge_method: linear\nmodels:\n  - model: org/a\n    parameters: {weight: 1.0}\n"


def mergelint(*args, cwd, input=None):
    return subprocess.run([sys.executable, "-m", "mergelint", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, env=ENV, input=input)


@needs_fifo
def test_directory_walk_skips_a_fifo_named_like_a_config(tmp_path):
    (tmp_path / "a.yml").write_text(CONFIG)
    os.mkfifo(tmp_path / "pipe.yml")  # opened for reading, it waits for a writer: forever
    result = mergelint("check", "--ignore", "model-not-found", ".", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@needs_fifo
@pytest.mark.parametrize("command", [["check"], ["check", "--configs-only"], ["run"]], ids=["check", "configs-only", "run"])
def test_a_fifo_named_on_the_command_line_is_a_plain_error(tmp_path, command):
    os.mkfifo(tmp_path / "pipe.yml")
    result = mergelint(*command, "pipe.yml", *(["out"] if command == ["run"] else []), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "mergelint: pipe.yml: a FIFO (named pipe), not a file to check (standard input is read with '-')\n"


def test_a_device_is_a_plain_error(tmp_path):
    result = mergelint("check", os.devnull, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == f"mergelint: {os.devnull}: a character device, not a file to check (standard input is read with '-')\n"


# Settings files that are not UTF-8 or not TOML: a plain error naming the file (and the line).


@pytest.mark.parametrize(
    "name, content, message, line",
    [
        (".mergelint.toml", b'ignore = ["unknown-key"]\n# caf\xe9\n',
         "not UTF-8 text (invalid byte at line 2, offset 30); TOML files are UTF-8", 2),
        ("pyproject.toml", b"[project]\nname = 'caf\xe9'\n", "not UTF-8 text (invalid byte at line 2, offset 21); TOML files are UTF-8", 2),
        (".mergelint.toml", b"online = false\nselect = [1,\nignore = []\n", "not valid TOML: Invalid value (at line 3, column 1)", 3),
        ("pyproject.toml", b"[tool]\nmergelint = 1\n", "tool.mergelint must be a table of settings ([tool.mergelint])", None),
    ],
    ids=["mergelint-not-utf8", "pyproject-not-utf8", "not-toml", "not-a-table"],
)
def test_a_broken_settings_file_is_a_plain_error_naming_it(tmp_path, name, content, message, line):
    (tmp_path / name).write_bytes(content)
    (tmp_path / "c.yml").write_text(CONFIG)
    result = mergelint("check", "c.yml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"mergelint: {tmp_path / name}: {message}") and result.stderr.count("\n") == 1
    with pytest.raises(SettingsError) as raised:  # what the language server shows, apart
        load.__wrapped__(str(tmp_path))
    assert (raised.value.path, raised.value.line) == (str(tmp_path / name), line)


# --fix where the file cannot be written: a plain error naming it, exit 2.

FIXABLE = "merge_method: linear\nmodels:\n  - model: org/a\n"  # weight: 1.0 is added


@pytest.fixture
def unwritable_folder(tmp_path):
    """A folder in which creating a file really fails, for root too (chmod does not stop root)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "c.yml").write_text(FIXABLE)
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0:
        yield folder
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    elif os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
    else:
        pytest.skip("running as root without chattr +i: no folder here refuses root a new file")


def test_fix_in_a_folder_that_cannot_be_written_is_a_plain_error(unwritable_folder, tmp_path):
    result = mergelint("check", "--fix", "locked/c.yml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("mergelint: locked/c.yml: cannot write the fixed file: ")
    assert result.stderr.endswith(f"(--fix writes a new file in {unwritable_folder} and renames it over the old one: "
                                  "that folder must be writable)\n")
    assert result.stderr.count("\n") == 1
    assert (unwritable_folder / "c.yml").read_text() == FIXABLE


def test_write_errors_become_input_errors_and_leave_no_temporary_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"^gone/c.yml: cannot write the fixed file: No such file or directory \(--fix"):
        write_atomically("gone/c.yml", FIXABLE)  # the folder does not exist
    (tmp_path / "dir.yml").mkdir()
    (tmp_path / "dir.yml" / "inside").write_text("")
    with pytest.raises(InputError, match=r"dir.yml: cannot write the fixed file: Is a directory"):
        write_atomically(str(tmp_path / "dir.yml"), FIXABLE)  # os.replace refuses
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.yml"]


# A reader that goes away (`| head -1`): the command ends quietly.


@pytest.mark.parametrize("args", [["rules"], ["check", "long.yml"], ["check", "--format", "json", "long.yml"]],
                         ids=["rules", "check", "check-json"])
def test_output_into_a_closed_pipe_ends_quietly(tmp_path, args):
    (tmp_path / "long.yml").write_text("{" + ", ".join(f"k{i}: 1" for i in range(3000)) + "}\n")
    proc = subprocess.Popen([sys.executable, "-m", "mergelint", *args], cwd=tmp_path, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # before the first line is written: `head -1` gone at once
    _, stderr = proc.communicate(timeout=60)
    assert (proc.returncode, stderr) == (1, b"")


# `run` without the merge extra says what to install.


def test_run_without_torch_says_to_install_the_merge_extra(tmp_path):
    # A torch that fails to import exactly as a missing one does.
    (tmp_path / "no-torch" / "torch").mkdir(parents=True)
    (tmp_path / "no-torch" / "torch" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n")
    (tmp_path / "cache").mkdir()
    (tmp_path / "merge.yml").write_text(CONFIG + "  - model: org/b\n    parameters: {weight: 1.0}\n")
    env = {**ENV, "PYTHONPATH": str(tmp_path / "no-torch"), "HF_HUB_CACHE": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-m", "mergelint", "run", "merge.yml", "out"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "mergelint: merging needs the `merge` extra (pip install 'mergelint[merge]'): No module named 'torch'")
    assert not (tmp_path / "out").exists()


# Time linear in the input: thousands of unknown keys in one mapping.


def test_thousands_of_unknown_keys_are_located_in_linear_time(tmp_path):
    # Each unknown key was found by scanning every pair of its mapping: 10,000 keys took 15 s,
    # 40,000 about four minutes; now a few seconds (the timeout guards against that, nothing more).
    text = CONFIG + "".join(f"k{i:06d}: 1\n" for i in range(40_000))
    (tmp_path / "many.yml").write_text(text)
    result = subprocess.run([sys.executable, "-m", "mergelint", "check", "--format", "json", "--select", "unknown-key",
                             "many.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=60, env=ENV)
    found = json.loads(result.stdout)
    assert len(found) == 40_000 and found[-1]["line"] == 40_004 and found[-1]["message"].startswith("unknown key 'k039999'")


def test_endless_standard_input_is_refused_in_bounded_memory(tmp_path):
    # `yes | mergelint check -`: was read to the end (never, here) before its size was judged.
    code = (
        "import resource, subprocess, sys\n"
        "yes = subprocess.Popen(['yes', 'merge_method: linear'], stdout=subprocess.PIPE)\n"
        "r = subprocess.run([sys.executable, '-m', 'mergelint', 'check', '-'], stdin=yes.stdout, capture_output=True)\n"
        "yes.kill()\n"
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)\n"
        "sys.stdout.write(r.stderr.decode())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60, env=ENV)
    first, stderr = out.stdout.split("\n", 1)
    rc, peak = map(int, first.split())
    assert rc == 2 and stderr == "mergelint: <stdin>: 10 MB is too large for a merge config (limit 10 MiB)\n"
    assert peak < 200


def test_ten_megabytes_of_empty_lines_take_memory_in_proportion(tmp_path):
    (tmp_path / "blank.yml").write_text("merge_method: linear\n" + "\n" * (10 * 2**20 - 100))
    result, peak = measured("check", "blank.yml", cwd=tmp_path)
    assert result.returncode == 1 and "exactly one of models, slices or modules" in result.stdout
    assert peak < 350  # was 600 MB: the line table as a list of Python ints


def test_a_control_character_in_a_file_name_never_reaches_the_terminal(tmp_path):
    name = "red\x1b[31m.yml"
    (tmp_path / name).write_text(FIXABLE)
    result = mergelint("check", "--color", "--ignore", "model-not-found", name, cwd=tmp_path)
    assert result.returncode == 1
    assert "\x1b[1m" in result.stdout  # --color in a pipe: colour, but none from the name
    assert "\x1b[31m." not in result.stdout and "red\ufffd[31m.yml" in result.stdout
