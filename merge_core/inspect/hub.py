"""Model facts from the Hugging Face Hub, only when the user allows network use.

The small JSON files (config.json, adapter_config.json, the safetensors index)
are downloaded with huggingface_hub into the ordinary Hugging Face cache, so
later offline checks find them there. Safetensors headers are read with HTTP
range requests (the first 100 kB, more only when the header is longer) and kept
in mergelint's own cache, one JSON file per repository commit, beside the
file sizes the Hub listed. Nothing else of a repository is downloaded.

huggingface_hub is imported here, lazily, and only by `HubClient`; tests pass
their own client with the same three methods.
"""

from __future__ import annotations

import json
import os
import time

from ..language import ADAPTER_CONFIG, MODEL_CONFIG, SHARD_INDEX, SINGLE_SHARD
from .folder_facts import Remote
from .files import FileProblem, read_json, stat_regular
from .safetensors import HeaderError, header_length

FIRST_READ = 100_000
_REVISIONS: dict[tuple[str, str], tuple[float, str, dict]] = {}
REVISION_TTL = 300.0
# After the Hub could not be reached, do not try again for a while: a check of a config
# naming ten models, or an editor re-checking on each keystroke, should not wait ten times.
RETRY_AFTER = 60.0
_down: tuple[float, str] | None = None


class HubError(Exception):
    """kind: "not-found" (no such repository or revision, or no access) or "unreachable"."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


class HubClient:
    """The three Hub operations mergelint needs, through huggingface_hub."""

    def __init__(self, hub_cache: str, timeout: float = 10.0):
        self.hub_cache = hub_cache
        self.timeout = timeout

    def _call(self, fn):
        from huggingface_hub import errors

        try:
            return fn()
        except errors.GatedRepoError:
            raise HubError("not-found", "a gated repository: accept its terms on the Hub and set HF_TOKEN") from None
        except errors.RepositoryNotFoundError:
            raise HubError("not-found", "no such repository on the Hub (or it is private and no token is set)") from None
        except errors.RevisionNotFoundError:
            raise HubError("not-found", "no such revision in the repository") from None
        except tuple(getattr(errors, n) for n in ("EntryNotFoundError", "RemoteEntryNotFoundError") if hasattr(errors, n)):
            raise HubError("not-found", "a file the repository lists could not be fetched") from None
        except errors.HfHubHTTPError as e:
            raise HubError("unreachable", f"the Hub answered {str(e).splitlines()[0][:120]}") from None
        except Exception as e:  # connection errors and timeouts, whatever the installed HTTP client calls them
            raise HubError("unreachable", f"could not reach the Hub ({type(e).__name__})") from None

    def repo_files(self, repo_id: str, revision: str | None) -> tuple[str, dict[str, int | None]]:
        def call():
            from huggingface_hub import HfApi

            info = HfApi().model_info(repo_id, revision=revision, files_metadata=True, timeout=self.timeout)
            return info.sha, {s.rfilename: s.size for s in (info.siblings or [])}

        return self._call(call)

    def download(self, repo_id: str, filename: str, revision: str | None) -> str:
        def call():
            from huggingface_hub import hf_hub_download

            return hf_hub_download(repo_id, filename, revision=revision, cache_dir=self.hub_cache, etag_timeout=self.timeout)

        return self._call(call)

    def read_range(self, repo_id: str, filename: str, commit: str, start: int, end: int) -> bytes:
        def call():
            from huggingface_hub import hf_hub_url
            from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

            url = hf_hub_url(repo_id, filename, revision=commit)
            response = get_session().get(url, headers={**build_hf_headers(), "range": f"bytes={start}-{end}"}, timeout=self.timeout)
            hf_raise_for_status(response)
            return response.content[: end - start + 1]

        return self._call(call)


def sidecar_path(cache_dir: str, repo_id: str, commit: str) -> str:
    return os.path.join(cache_dir, "hub", repo_id.replace("/", "--"), f"{commit}.json")


def load_sidecar(cache_dir: str, repo_id: str, commit: str) -> tuple[Remote, object] | None:
    """The cached Hub listing and headers of one commit, with a key for the facts cache."""
    path = sidecar_path(cache_dir, repo_id, commit)
    try:
        st = stat_regular(path)
        data = read_json(path)
    except FileProblem:
        return None
    files, headers = data.get("files"), data.get("headers")
    if not isinstance(files, dict) or not isinstance(headers, dict):
        return None
    files = {k: v if isinstance(v, int) else None for k, v in files.items() if isinstance(k, str)}
    headers = {k: v for k, v in headers.items() if isinstance(k, str) and isinstance(v, str)}
    return Remote(files, headers), (path, st.st_size, st.st_mtime_ns)


def fetch(client, cache_dir: str, repo_id: str, revision: str | None) -> tuple[str, dict[str, int | None]]:
    """List a repository, download its small JSON files into the HF cache, cache its headers.

    Returns (commit, files). Raises HubError.
    """
    global _down
    key = (repo_id, revision or "main")
    now = time.monotonic()
    hit = _REVISIONS.get(key)
    if hit is not None and now - hit[0] < REVISION_TTL:
        return hit[1], hit[2]
    if _down is not None and now - _down[0] < RETRY_AFTER:
        raise HubError("unreachable", _down[1])
    try:
        commit, files = client.repo_files(repo_id, revision)
    except HubError as e:
        if e.kind == "unreachable":
            _down = (now, e.message)
        raise
    paths = {}
    for name in (MODEL_CONFIG, ADAPTER_CONFIG, SHARD_INDEX):
        if name in files:
            paths[name] = client.download(repo_id, name, revision or commit)
    if load_sidecar(cache_dir, repo_id, commit) is None:
        headers = {}
        for name in _weight_files(files, paths.get(SHARD_INDEX)):
            raw = _remote_header(client, repo_id, name, commit, files.get(name))
            if raw is not None:
                headers[name] = raw
        _write_json(sidecar_path(cache_dir, repo_id, commit), {"repo": repo_id, "commit": commit, "files": files, "headers": headers})
    _REVISIONS[key] = (time.monotonic(), commit, files)
    return commit, files


def reset() -> None:
    """Forget remembered revisions and outages (tests, or a user who just went online)."""
    global _down
    _REVISIONS.clear()
    _down = None


def _weight_files(files: dict, index_path: str | None) -> list[str]:
    names: list[str] = []
    if index_path is not None:
        try:
            weight_map = read_json(index_path).get("weight_map")
        except FileProblem:
            weight_map = None
        if isinstance(weight_map, dict):
            names = sorted({v for v in weight_map.values() if isinstance(v, str) and v in files})
    elif SINGLE_SHARD in files:
        names = [SINGLE_SHARD]
    else:
        names = [n for n in files if n.endswith(".safetensors") and "/" not in n and not n.startswith("adapter_model")]
    if "adapter_model.safetensors" in files:
        names.append("adapter_model.safetensors")
    return names


def _remote_header(client, repo_id: str, name: str, commit: str, size: int | None) -> str | None:
    try:
        first = client.read_range(repo_id, name, commit, 0, FIRST_READ - 1)
        n = header_length(first[:8], size)
        raw = first[8 : 8 + n]
        if len(raw) < n:
            raw = client.read_range(repo_id, name, commit, 8, 8 + n - 1)
        if len(raw) < n:
            return None
        return raw.decode("utf-8")
    except (HeaderError, UnicodeDecodeError, HubError):
        return None  # read_folder reports the header as not fetched


def _write_json(path: str, data: dict) -> None:
    import tempfile

    directory = os.path.dirname(path)
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f)
        os.replace(tmp, path)
    except OSError:
        pass  # an unwritable cache only costs a refetch next time
