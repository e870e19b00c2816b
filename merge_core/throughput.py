"""How fast `mergelint run` merges on this machine, measured by `run` and remembered.

Each completed run records (bytes read + bytes written) / wall seconds of its merge step for
its device kind ("cpu" or "cuda") and method in `throughput.json` in mergelint's cache folder
($MERGELINT_CACHE_DIR, else $XDG_CACHE_HOME/mergelint, else ~/.cache/mergelint). The newest
figure is blended with the stored one (an even mix) so one odd run does not swing the
estimate. `plan` divides a merge's bytes by it (a method not run yet: the mean of the others); before
any run, DEFAULT is used.
"""

from __future__ import annotations

import json
import os
import time

from .inspect.hfcache import mergelint_cache

# bytes/s read + written by a CPU merge on a small shared machine (bench/bench_merge.py, 125M linear)
DEFAULT = {"cpu": 300e6, "cuda": 1e9}
FILE = "throughput.json"
MIN_BYTES = 64 << 20  # smaller merges are all start-up: not a measure of throughput


def _path(env=None) -> str:
    return os.path.join(mergelint_cache(env), FILE)


def _read(env=None) -> dict:
    try:
        with open(_path(env), encoding="utf-8") as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def kind(device: str) -> str:
    return "cuda" if str(device).startswith("cuda") else "cpu"


def _rate(entry) -> float | None:
    rate = entry.get("bytes_per_second") if isinstance(entry, dict) else None
    return float(rate) if isinstance(rate, (int, float)) and rate > 0 else None


def known(device: str, method: str, env=None) -> tuple[float, bool]:
    """(bytes per second, whether a run measured it here) for a method on a device: that method's
    figure, else the mean of the device's other methods', else DEFAULT."""
    entries = _read(env).get(kind(device))
    entries = entries if isinstance(entries, dict) else {}
    own = _rate(entries.get(method))
    if own is not None:
        return own, True
    others = [r for r in map(_rate, entries.values()) if r is not None]
    if others:
        return sum(others) / len(others), True
    return DEFAULT[kind(device)], False


def record(device: str, method: str, nbytes: int, seconds: float, env=None) -> None:
    """Remember a run's throughput; a cache folder that cannot be written is no reason to fail a merge."""
    if nbytes < MIN_BYTES or seconds <= 0:
        return
    measured = nbytes / seconds
    data = _read(env)
    entries = data.get(kind(device)) if isinstance(data.get(kind(device)), dict) else {}
    old = _rate(entries.get(method))
    entries[method] = {"bytes_per_second": (old + measured) / 2 if old else measured,
                       "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    data[kind(device)] = entries
    path = _path(env)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
        os.replace(tmp, path)
    except OSError:
        pass
