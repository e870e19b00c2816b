"""Facts about a model or adapter WITHOUT loading a weight.

`Inspector.resolve(path)` finds what a model reference names, in mergekit's
order: a local folder (relative paths against `base_dir`, as mergekit resolves
them against its working directory), then a snapshot in the Hugging Face cache,
then, only when network use is allowed, the Hub's metadata. It reads
config.json, adapter_config.json, the safetensors index and the safetensors
headers, as data: no code from a model repository is run and no pickle is
opened. Results are cached per file by (path, size, mtime_ns).

This package imports nothing from mergelint, and neither torch, transformers nor
peft; huggingface_hub is imported only to go online.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..references import ModelPath, is_absolute
from . import hfcache, hub
from .describe import describe
from .folder_facts import AdapterFacts, ModelFacts, file_facts, read_folder
from .files import FileProblem, os_problem
from .adapter_fit import LoraFit, lora_fit
from .safetensors import TensorInfo, human_bytes

__all__ = [
    "AdapterFacts",
    "Inspector",
    "LoraFit",
    "ModelFacts",
    "Resolution",
    "TensorInfo",
    "describe",
    "human_bytes",
    "looks_like_path",
    "lora_fit",
]

OK = "ok"


def looks_like_path(text: str) -> bool:
    """A reference that can only be a local path: /x, ./x, ../x, ~/x, C:\\x, a\\b, or a/b/c."""
    return (
        text.startswith(("/", "./", "../", "~", "\\", ".\\", "..\\"))
        or text in (".", "..")
        or is_absolute(text)
        or "\\" in text
        or text.count("/") > 1
    )


@dataclass
class Resolution:
    """What a model path resolved to.

    status: "ok" (facts set), "missing" (a local path that does not exist),
    "not-a-model" (exists, but holds no model), "invalid" (neither a folder nor a
    valid repo id), "not-cached" (a repo id not in the cache, offline),
    "not-found" (the Hub has no such repository or revision), "unreachable"
    (the Hub could not be asked), "unreadable" (a broken folder or cache entry).
    """

    path: ModelPath
    status: str
    facts: ModelFacts | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


class Inspector:
    """Resolves model paths to facts. Cheap to create: the caches live at module level."""

    def __init__(
        self,
        base_dir: str | None = None,
        online: bool = False,
        *,
        hub_cache: str | None = None,
        cache_dir: str | None = None,
        hub_client=None,
        env=None,
    ):
        env = os.environ if env is None else env
        self.base_dir = os.path.abspath(base_dir or os.getcwd())
        self.offline_env = _truthy(env.get("HF_HUB_OFFLINE"))
        self.online = bool(online) and not self.offline_env
        self.hub_cache = hub_cache or hfcache.cache_dir(env)
        self.cache_dir = cache_dir or hfcache.mergelint_cache(env)
        self._client = hub_client

    @property
    def client(self):
        if self._client is None:
            self._client = hub.HubClient(self.hub_cache)
        return self._client

    def resolve(self, path: ModelPath | str) -> Resolution:
        mpath = ModelPath(path) if isinstance(path, str) else path
        try:
            return self._resolve(mpath)
        except FileProblem as e:
            return Resolution(mpath, "unreadable", message=e.message)

    def _resolve(self, mpath: ModelPath) -> Resolution:
        text = mpath.path
        candidate = text if is_absolute(text) else os.path.join(self.base_dir, text)
        shown = os.path.normpath(candidate)
        try:
            st = os.stat(candidate)
        except OSError as e:
            st = None
            if os.path.lexists(candidate):
                return Resolution(mpath, "unreadable", message=f"{shown}: {os_problem(e)}")
        except ValueError:
            return Resolution(mpath, "invalid", message="the path contains a NUL character")
        if st is not None:
            if os.path.isdir(candidate):
                facts = read_folder(candidate, shown, "local")
                if not (facts.is_model or facts.adapter is not None or facts.problems):
                    return Resolution(mpath, "not-a-model", facts, "the folder has no config.json, adapter_config.json or model weights")
                return Resolution(mpath, OK, facts)
            if candidate.lower().endswith(".gguf"):
                return Resolution(mpath, OK, file_facts(candidate, shown))
            return Resolution(mpath, "not-a-model", message="a file, but mergekit needs a model folder")
        if text.startswith("~"):
            expanded = os.path.expanduser(text)
            hint = f"; write the full path {expanded}" if os.path.exists(expanded) else ""
            return Resolution(mpath, "missing", message=f"mergekit does not expand '~', so it looks for {shown}{hint}")
        if looks_like_path(text):
            return Resolution(mpath, "missing", message=f"no such folder: {shown}")
        if not hfcache.valid_repo_id(text):
            return Resolution(mpath, "invalid", message="neither an existing folder nor a valid Hugging Face repo id (org/name)")
        return self._from_hub(mpath)

    def _from_hub(self, mpath: ModelPath) -> Resolution:
        repo, revision = mpath.path, mpath.revision
        location = str(mpath)
        snapshot = hfcache.find_snapshot(self.hub_cache, repo, revision)
        if snapshot is not None:
            facts = self._snapshot_facts(repo, location, snapshot.directory, snapshot.commit, "cache")
            if facts.has_weights or facts.adapter is not None or not self.online:
                return Resolution(mpath, OK, facts)
        if not self.online:
            why = " and HF_HUB_OFFLINE is set" if self.offline_env else ""
            return Resolution(mpath, "not-cached", message=f"not in the Hugging Face cache ({self.hub_cache}){why}")
        try:
            commit, _files = hub.fetch(self.client, self.cache_dir, repo, revision)
        except hub.HubError as e:
            return Resolution(mpath, e.kind, message=e.message)
        directory = os.path.join(hfcache.repo_folder(self.hub_cache, repo), "snapshots", commit)
        return Resolution(mpath, OK, self._snapshot_facts(repo, location, directory, commit, "hub"))

    def _snapshot_facts(self, repo: str, location: str, directory: str, commit: str, where: str) -> ModelFacts:
        sidecar = hub.load_sidecar(self.cache_dir, repo, commit)
        remote, key = sidecar if sidecar is not None else (None, None)
        return read_folder(directory if os.path.isdir(directory) else None, location, where, commit, remote, key)
