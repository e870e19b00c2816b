"""The Hugging Face hub cache, read from its on-disk layout (no huggingface_hub import).

Layout: `<cache>/models--<org>--<name>/refs/<revision>` holds a commit hash;
`snapshots/<commit>/` holds the files (symbolic links into `blobs/`). The cache
folder is `HF_HUB_CACHE`, else `HUGGINGFACE_HUB_CACHE`, else `HF_HOME/hub`, else
`$XDG_CACHE_HOME/huggingface/hub` (default `~/.cache/huggingface/hub`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from .files import FileProblem, os_problem, stat_regular

COMMIT = re.compile(r"[0-9a-f]{40}")
# huggingface_hub's repo-id rule: [org/]name of word characters, '-' and '.', no '--' or '..'.
REPO_ID = re.compile(r"(?:[\w\-.]+/)?[\w\-.]+")


def cache_dir(env=None) -> str:
    env = os.environ if env is None else env
    for key in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if env.get(key):
            return os.path.expanduser(env[key])
    home = env.get("HF_HOME")
    if not home:
        xdg = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        home = os.path.join(xdg, "huggingface")
    return os.path.join(os.path.expanduser(home), "hub")


def mergelint_cache(env=None) -> str:
    """mergelint's own cache folder: $MERGELINT_CACHE_DIR, else $XDG_CACHE_HOME/mergelint."""
    env = os.environ if env is None else env
    xdg = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return env.get("MERGELINT_CACHE_DIR") or os.path.join(xdg, "mergelint")


def valid_repo_id(text: str) -> bool:
    return (
        len(text) <= 96
        and REPO_ID.fullmatch(text) is not None
        and "--" not in text
        and ".." not in text
        and not text.startswith(("-", "."))
        and not text.endswith(("-", "."))
    )


def repo_folder(cache: str, repo_id: str) -> str:
    return os.path.join(cache, "models--" + repo_id.replace("/", "--"))


@dataclass
class Snapshot:
    directory: str
    commit: str


def find_snapshot(cache: str, repo_id: str, revision: str | None) -> Snapshot | None:
    """The cached snapshot folder for a revision, or None. Raises FileProblem for a broken cache entry."""
    repo = repo_folder(cache, repo_id)
    if not os.path.isdir(repo):
        return None
    revision = revision or "main"
    if COMMIT.fullmatch(revision):
        commit = revision
    else:
        if ".." in revision.split("/") or revision.startswith("/"):
            return None
        ref = os.path.join(repo, "refs", revision)
        if not os.path.lexists(ref):
            return _only_snapshot(repo) if revision == "main" else None
        try:
            stat_regular(ref)
            with open(ref, "rb") as f:
                commit = f.read(100).decode("ascii", "replace").strip()
        except FileProblem as e:
            raise FileProblem(f"{ref}: {e.message}") from None
        except OSError as e:
            raise FileProblem(f"{ref}: {os_problem(e)}") from None
        if not COMMIT.fullmatch(commit):
            raise FileProblem(f"{ref}: does not hold a commit hash")
    directory = os.path.join(repo, "snapshots", commit)
    try:
        os.stat(directory)
    except OSError as e:
        if os.path.lexists(directory):
            raise FileProblem(f"{directory}: {os_problem(e)}") from None
        return None
    if not os.path.isdir(directory):
        raise FileProblem(f"{directory}: not a folder")
    return Snapshot(directory, commit)


def _only_snapshot(repo: str) -> Snapshot | None:
    """No refs/main (a cache filled by hand or by commit hash): use the snapshot if it is the only one."""
    try:
        names = [n for n in os.listdir(os.path.join(repo, "snapshots")) if COMMIT.fullmatch(n)]
    except OSError:
        return None
    if len(names) != 1:
        return None
    directory = os.path.join(repo, "snapshots", names[0])
    return Snapshot(directory, names[0]) if os.path.isdir(directory) else None
