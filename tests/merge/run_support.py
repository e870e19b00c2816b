"""Helpers of the `mergelint run` safety and fault tests: the command as a real subprocess,
hashes of every input file, and the partial or set-aside folders a run may leave."""

import hashlib
import os
import subprocess
import sys


def hashes(*folders) -> dict:
    """Every file under the folders (links followed) -> its sha256."""
    out = {}
    for folder in folders:
        for root, _, files in os.walk(folder, followlinks=True):
            for name in files:
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    out[path] = hashlib.sha256(f.read()).hexdigest()
    return out


def leftovers(folder) -> list[str]:
    return sorted(n for n in os.listdir(folder) if ".partial-" in n or ".old-" in n)


def command(*args, patch: str = "") -> list[str]:
    """`mergelint run ARGS`, with `patch` (Python) run first in the same process where a fault
    must land at an exact point."""
    code = patch + "\nimport sys\nfrom mergelint.cli import main\nmain(['run', *sys.argv[1:]])\n"
    return [sys.executable, "-c", code, *map(str, args)]


def environment(**extra) -> dict:
    return {**os.environ, "HF_HUB_OFFLINE": "1", **extra}


def run(*args, patch: str = "", cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args, patch=patch), env=environment(**(env or {})), cwd=cwd,
                          capture_output=True, text=True, timeout=300)
