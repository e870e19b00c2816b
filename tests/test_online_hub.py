"""`--online` against a local stand-in for the Hugging Face Hub, over real HTTP.

A small HTTP server serves tiny real Llama checkpoints (made here with transformers) as the
repositories `acme/tiny-llama` (one model.safetensors) and `acme/tiny-llama-ft` (sharded, with an
index), answering the requests huggingface_hub makes as the Hub does: the model-info and tree APIs
(commit sha, siblings with sizes and LFS data), `resolve` URLs with X-Repo-Commit and ETag, and
for LFS files a redirect to a second "CDN" server (another origin, as on the Hub) carrying
X-Linked-Etag and X-Linked-Size, which serves the bytes with Range support. Unknown repositories get
the Hub's 404 with X-Error-Code: RepoNotFound.

The CLI runs in subprocesses, because huggingface_hub reads HF_ENDPOINT when it is imported.
Nothing of mergelint is mocked; the real huggingface_hub client does the HTTP.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("safetensors")
pytest.importorskip("huggingface_hub")

ROOT = Path(__file__).resolve().parents[1]
BASE, FT, MISSING = "acme/tiny-llama", "acme/tiny-llama-ft", "acme/no-such-model"
LAYERS = 4
FIRST_READ = 100_000  # merge_core.inspect.hub.FIRST_READ: what a header read may ask for
LFS_SUFFIXES = (".safetensors", ".bin")  # stored with LFS on the Hub: resolve redirects to the CDN


# -- the tiny models ------------------------------------------------------------------------------

def _make_llama(path: Path, seed: int, max_shard_size: str | None = None) -> None:
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_attention_heads=4,
                      num_key_value_heads=2, num_hidden_layers=LAYERS, max_position_embeddings=64)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(cfg)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():  # every tensor seeded and distinct, norms included
        for _, p in sorted(model.named_parameters()):
            p.copy_(torch.randn(p.shape, generator=g) * 0.1 + (1.0 if p.dim() == 1 else 0.0))
    kw = {"max_shard_size": max_shard_size} if max_shard_size else {}
    model.save_pretrained(path, **kw)


def _header_length(path: Path) -> int:
    with open(path, "rb") as f:
        return int.from_bytes(f.read(8), "little")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("hub-models")
    _make_llama(root / "tiny-llama", 1)
    _make_llama(root / "tiny-llama-ft", 2, max_shard_size="60KB")
    base, ft = root / "tiny-llama", root / "tiny-llama-ft"
    # A header longer than the first read (as a model with thousands of tensors has), so that the
    # checker needs a second Range request, one that does not start at 0.
    from safetensors.torch import load_file, save_file

    weights = base / "model.safetensors"
    save_file(load_file(str(weights)), str(weights), metadata={"format": "pt", "notes": "x" * (FIRST_READ + 20_000)})
    assert _header_length(weights) > FIRST_READ
    assert weights.stat().st_size > 8 + _header_length(weights) + FIRST_READ  # reading a header is not a download
    assert (ft / "model.safetensors.index.json").exists()
    return {BASE: base, FT: ft}


# -- the fake Hub ---------------------------------------------------------------------------------

def _git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Repo:
    def __init__(self, repo_id: str, files: dict[str, bytes]):
        self.id = repo_id
        self.files = files
        self.commit = hashlib.sha1(repo_id.encode() + b"".join(sorted(files.values()))).hexdigest()

    def lfs(self, name: str) -> dict | None:
        if not name.endswith(LFS_SUFFIXES):
            return None
        data = self.files[name]
        return {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}


class FakeHub:
    """Two servers on 127.0.0.1: the Hub (HF_ENDPOINT) and its CDN for LFS files (another origin)."""

    def __init__(self, repos: dict[str, dict[str, bytes]]):
        self.repos = {rid: Repo(rid, files) for rid, files in repos.items()}
        self.blobs = {r.lfs(n)["oid"]: (r.id, n) for r in self.repos.values() for n in r.files if r.lfs(n)}
        self.log: list[dict] = []
        self.lock = threading.Lock()
        self.hub = ThreadingHTTPServer(("127.0.0.1", 0), self._handler(self._hub))
        self.cdn = ThreadingHTTPServer(("127.0.0.1", 0), self._handler(self._cdn))
        self.endpoint = f"http://127.0.0.1:{self.hub.server_address[1]}"
        self.cdn_url = f"http://127.0.0.1:{self.cdn.server_address[1]}"
        self.threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (self.hub, self.cdn)]
        for t in self.threads:
            t.start()

    def stop(self) -> None:
        for s in (self.hub, self.cdn):
            s.shutdown()
            s.server_close()
        for t in self.threads:
            t.join(5)

    # what the server saw
    def requests(self, server: str | None = None, file: str | None = None, repo: str | None = None) -> list[dict]:
        with self.lock:
            return [e for e in self.log if (server is None or e["server"] == server)
                    and (file is None or e.get("file") == file) and (repo is None or e.get("repo") == repo)]

    def _handler(self, route):
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects; every answer has a Content-Length

            def do_GET(self):
                route(self, "GET")

            def do_HEAD(self):
                route(self, "HEAD")

            def log_message(self, *args):
                pass

            def reply(self, status: int, body: bytes = b"", headers: dict | None = None, method: str = "GET"):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, str(v))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if method == "GET" and body:
                    self.wfile.write(body)
                return len(body) if method == "GET" else 0

        return Handler

    def _record(self, server, method, handler, **extra):
        entry = {"server": server, "method": method, "path": handler.path, "range": handler.headers.get("Range"),
                 "sent": 0, **extra}
        with self.lock:
            self.log.append(entry)
        return entry

    def _json(self, handler, method, data, status=200):
        body = json.dumps(data).encode()
        return handler.reply(status, body, {"Content-Type": "application/json"}, method)

    def _error(self, handler, method, status, code, message):
        body = json.dumps({"error": message}).encode()
        return handler.reply(status, body, {"Content-Type": "application/json", "X-Error-Code": code,
                                            "X-Error-Message": message}, method)

    def _hub(self, handler, method):
        url = urlsplit(handler.path)
        parts = [unquote(p) for p in url.path.split("/")[1:]]
        query = parse_qs(url.query)
        if parts[:2] == ["api", "models"] and len(parts) >= 4:
            repo_id, rest = "/".join(parts[2:4]), parts[4:]
            entry = self._record("hub", method, handler, repo=repo_id)
            repo = self._repo(handler, method, repo_id, rest[1] if len(rest) > 1 else "main", entry)
            if repo is None:
                return
            if rest[:1] in ([], ["revision"]):  # model_info / repo_info
                blobs = query.get("blobs", ["false"])[0].lower() == "true"
                siblings = []
                for name, data in sorted(repo.files.items()):
                    s = {"rfilename": name}
                    if blobs:
                        s.update(size=len(data), blobId=_git_blob_sha(data))
                        lfs = repo.lfs(name)
                        if lfs:
                            s["lfs"] = {"sha256": lfs["oid"], "size": lfs["size"], "pointerSize": lfs["pointerSize"]}
                    siblings.append(s)
                entry["sent"] = self._json(handler, method, {
                    "_id": repo.commit[:24], "id": repo.id, "modelId": repo.id, "author": repo.id.split("/")[0],
                    "sha": repo.commit, "lastModified": "2024-01-01T00:00:00.000Z", "private": False,
                    "gated": False, "disabled": False, "library_name": "transformers", "tags": ["transformers"],
                    "siblings": siblings})
            elif rest[:1] == ["tree"]:  # list_repo_tree(recursive=True): one page, no Link header
                entries = []
                for name, data in sorted(repo.files.items()):
                    e = {"type": "file", "oid": _git_blob_sha(data), "size": len(data), "path": name}
                    if repo.lfs(name):
                        e["lfs"] = repo.lfs(name)
                    entries.append(e)
                entry["sent"] = self._json(handler, method, entries)
            else:
                self._error(handler, method, 404, "EntryNotFound", "Not found")
            return
        if len(parts) >= 5 and parts[2] == "resolve":  # /{org}/{name}/resolve/{revision}/{file}
            repo_id, name = "/".join(parts[:2]), "/".join(parts[4:])
            entry = self._record("hub", method, handler, repo=repo_id, file=name)
            repo = self._repo(handler, method, repo_id, parts[3], entry)
            if repo is None:
                return
            if name not in repo.files:
                self._error(handler, method, 404, "EntryNotFound", "Entry not found")
                return
            data = repo.files[name]
            lfs = repo.lfs(name)
            if lfs:  # the Hub redirects LFS files to its CDN, with the file's facts on the redirect
                handler.reply(302, b"", {"Location": f"{self.cdn_url}/cdn/{lfs['oid']}?token=signed",
                                         "X-Repo-Commit": repo.commit, "ETag": f'"{_git_blob_sha(data)}"',
                                         "X-Linked-Etag": f'"{lfs["oid"]}"', "X-Linked-Size": lfs["size"]}, method)
            else:
                entry["sent"] = handler.reply(200, data, {"X-Repo-Commit": repo.commit,
                                                          "ETag": f'"{_git_blob_sha(data)}"',
                                                          "Content-Type": "application/octet-stream",
                                                          "Accept-Ranges": "bytes"}, method)
            return
        self._record("hub", method, handler)
        self._error(handler, method, 404, "EntryNotFound", "Not found")

    def _repo(self, handler, method, repo_id, revision, entry) -> Repo | None:
        repo = self.repos.get(repo_id)
        if repo is None:
            entry["status"] = 404
            self._error(handler, method, 404, "RepoNotFound", "Repository not found")
            return None
        if revision not in ("main", repo.commit):
            entry["status"] = 404
            self._error(handler, method, 404, "RevisionNotFound", "Invalid rev id: " + revision)
            return None
        return repo

    def _cdn(self, handler, method):
        oid = urlsplit(handler.path).path.rsplit("/", 1)[-1]
        repo_id, name = self.blobs.get(oid, (None, None))
        entry = self._record("cdn", method, handler, repo=repo_id, file=name)
        if name is None:
            handler.reply(404, b"no such blob", {}, method)
            return
        data = self.repos[repo_id].files[name]
        status, headers, body = 200, {"Accept-Ranges": "bytes", "ETag": f'"{oid}"'}, data
        spec = handler.headers.get("Range")
        if spec:
            first, _, last = spec.removeprefix("bytes=").partition("-")
            start, end = int(first), min(int(last) if last else len(data) - 1, len(data) - 1)
            if start >= len(data):
                handler.reply(416, b"", {"Content-Range": f"bytes */{len(data)}"}, method)
                return
            status, body = 206, data[start:end + 1]
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        entry["sent"] = handler.reply(status, body, headers, method)


def _repo_files(folder: Path) -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    files["README.md"] = b"---\nlibrary_name: transformers\n---\n# tiny\n"
    files[".gitattributes"] = b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
    return files


@pytest.fixture(scope="module")
def hub(models):
    files = {rid: _repo_files(folder) for rid, folder in models.items()}
    # A pickle the Hub lists beside the safetensors: never to be downloaded without --allow-pickle.
    files[BASE]["pytorch_model.bin"] = b"\x80\x04not really a pickle" * 64
    server = FakeHub(files)
    yield server
    server.stop()


@pytest.fixture
def fresh(hub):
    with hub.lock:
        hub.log.clear()
    return hub


# -- running the CLI ------------------------------------------------------------------------------

def _env(tmp: Path, endpoint: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HF_", "HUGGINGFACE_", "TRANSFORMERS_", "MERGELINT_"))
           and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env.update(
        HF_ENDPOINT=endpoint,
        HF_HOME=str(tmp / "hf-home"),
        HF_HUB_CACHE=str(tmp / "hf-home" / "hub"),
        HF_HUB_OFFLINE="0",
        HF_HUB_DISABLE_XET="1",  # plain HTTP downloads (hf_xet is installed)
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        HF_HUB_DISABLE_IMPLICIT_TOKEN="1",
        MERGELINT_CACHE_DIR=str(tmp / "mergelint-cache"),
        XDG_CACHE_HOME=str(tmp / "xdg"),
        NO_PROXY="127.0.0.1,localhost",
        NO_COLOR="1",
        PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
    )
    return env


def mergelint(tmp: Path, endpoint: str, *args) -> subprocess.CompletedProcess:
    work = tmp / "work"
    work.mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-m", "mergelint", *map(str, args)], cwd=work, env=_env(tmp, endpoint),
                          capture_output=True, text=True, timeout=180)


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / "work" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def linear(*models: str) -> str:
    rows = ["merge_method: linear", "dtype: float32", "models:"]
    for m in models:
        rows += [f"  - model: {m}", "    parameters: {weight: 0.5}"]
    return "\n".join(rows) + "\n"


def cached_files(tmp: Path) -> list[Path]:
    return [p for p in (tmp / "hf-home").rglob("*") if p.is_file() or p.is_symlink()]


def load_tensors(folder: Path) -> dict:
    from safetensors.torch import load_file

    out = {}
    for f in sorted(folder.glob("*.safetensors")):
        out.update(load_file(str(f)))
    return out


# -- check --online -------------------------------------------------------------------------------

PAST_LAST_LAYER = f"""\
merge_method: passthrough
dtype: float32
slices:
  - sources:
      - model: {FT}
        layer_range: [0, {LAYERS}]
  - sources:
      - model: {BASE}
        layer_range: [{LAYERS - 1}, {LAYERS + 2}]
"""


def test_check_online_reads_facts_over_http(fresh, tmp_path, models):
    cfg = write(tmp_path, "merge.yml", PAST_LAST_LAYER)

    offline = mergelint(tmp_path, fresh.endpoint, "check", "--format", "json", cfg)
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert {d["rule"] for d in json.loads(offline.stdout)} == {"model-not-found"}
    assert fresh.requests() == []  # without --online, not one request

    result = mergelint(tmp_path, fresh.endpoint, "check", "--online", "--format", "json", cfg)
    assert result.returncode == 1, result.stdout + result.stderr  # an error was found
    assert "Traceback" not in result.stderr
    diagnostics = json.loads(result.stdout)
    rules = [d["rule"] for d in diagnostics]
    assert "model-not-found" not in rules, diagnostics
    assert "model-files-unreadable" not in rules, diagnostics
    ranges = [d for d in diagnostics if d["rule"] == "layer-range"]
    assert len(ranges) == 1 and ranges[0]["severity"] == "error", diagnostics
    assert ranges[0]["line"] == 9  # the base model's range, not the fine-tune's [0, 4]
    assert str(LAYERS) in ranges[0]["message"], ranges[0]

    # The facts came over HTTP: both repos listed, their config fetched, each weight header read
    for repo in (BASE, FT):
        api = [r for r in fresh.requests("hub", repo=repo) if r["path"].startswith("/api/models/")]
        assert api and all(r.get("status") is None for r in api), api
        assert any(r.get("file") == "config.json" for r in fresh.requests("hub", repo=repo) if r["method"] == "GET")
    shards = sorted(json.loads((models[FT] / "model.safetensors.index.json").read_text())["weight_map"].values())
    for repo, weights in ((BASE, ["model.safetensors"]), (FT, sorted(set(shards)))):
        for name in weights:
            assert fresh.requests("cdn", repo=repo, file=name), f"{repo}/{name}: header not read"

    # ... and no weight was downloaded: every weight read is a Range within the first read or the
    # header, and the long header of the base model took a second read that starts after its length
    weight_gets = [r for r in fresh.requests("cdn") if r["method"] == "GET"]
    assert weight_gets
    for r in weight_gets:
        assert r["range"] and r["range"].startswith("bytes="), r
        first, _, last = r["range"][6:].partition("-")
        header_end = 8 + _header_length(models[r["repo"]] / r["file"])
        assert last and int(last) < max(FIRST_READ, header_end), r
    base_weights = models[BASE] / "model.safetensors"
    base_reads = [r["range"] for r in fresh.requests("cdn", repo=BASE, file="model.safetensors")]
    assert base_reads == [f"bytes=0-{FIRST_READ - 1}", f"bytes=8-{8 + _header_length(base_weights) - 1}"]
    assert sum(r["sent"] for r in fresh.requests("cdn", repo=BASE)) < base_weights.stat().st_size
    assert not fresh.requests(file="pytorch_model.bin")
    cached = [p.name for p in cached_files(tmp_path)]
    assert "config.json" in cached
    assert not [n for n in cached if n.endswith((".safetensors", ".bin"))], cached
    big = [p for p in cached_files(tmp_path) if p.is_file() and not p.is_symlink() and p.stat().st_size > 50_000]
    assert not big, big

    # Later checks without --online find the facts in the caches: the same error, no request
    with fresh.lock:
        fresh.log.clear()
    again = mergelint(tmp_path, fresh.endpoint, "check", "--format", "json", cfg)
    assert again.returncode == 1, again.stdout + again.stderr
    assert json.loads(again.stdout) == diagnostics
    assert fresh.requests() == []

    # ... but `run` without --online does not take that cached config for a model folder
    out = tmp_path / "work" / "out"
    run = mergelint(tmp_path, fresh.endpoint, "run", write(tmp_path, "ok.yml", linear(BASE, FT)), out)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"model {BASE}: its weights are not in the Hugging Face cache (pass --online to download it)" in run.stderr
    assert "Traceback" not in run.stderr
    assert not out.exists() and fresh.requests() == []


def test_check_online_right_facts_no_diagnostics(fresh, tmp_path):
    cfg = write(tmp_path, "merge.yml", linear(BASE, FT))
    result = mergelint(tmp_path, fresh.endpoint, "check", "--online", "--format", "json", cfg)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == []
    assert fresh.requests("hub", repo=BASE) and fresh.requests("hub", repo=FT)


# -- run --online ---------------------------------------------------------------------------------

def test_run_online_downloads_and_matches_local_run(fresh, tmp_path, models):
    out = tmp_path / "work" / "out"
    result = mergelint(tmp_path, fresh.endpoint, "run", write(tmp_path, "hub.yml", linear(BASE, FT)), out, "--online")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr

    # The weights came from the server, whole, and the pickle beside them did not
    shards = set(json.loads((models[FT] / "model.safetensors.index.json").read_text())["weight_map"].values())
    for repo, names in ((BASE, {"model.safetensors"}), (FT, shards)):
        for name in names:
            full = [r for r in fresh.requests("cdn", repo=repo, file=name) if r["method"] == "GET" and not r["range"]]
            assert full and full[-1]["sent"] == (models[repo] / name).stat().st_size, (repo, name)
    assert not fresh.requests(file="pytorch_model.bin")
    snapshots = list((tmp_path / "hf-home" / "hub").glob("models--acme--tiny-llama/snapshots/*/model.safetensors"))
    assert len(snapshots) == 1

    local_out = tmp_path / "work" / "local-out"
    local_cfg = write(tmp_path, "local.yml", linear(str(models[BASE]), str(models[FT])))
    with fresh.lock:
        fresh.log.clear()
    local = mergelint(tmp_path, fresh.endpoint, "run", local_cfg, local_out)
    assert local.returncode == 0, local.stdout + local.stderr
    assert fresh.requests() == []

    # Once downloaded, the same config runs offline from the Hugging Face cache
    cached_out = tmp_path / "work" / "cached-out"
    cached = mergelint(tmp_path, fresh.endpoint, "run", tmp_path / "work" / "hub.yml", cached_out)
    assert cached.returncode == 0, cached.stdout + cached.stderr
    assert fresh.requests() == []

    ours, theirs = load_tensors(out), load_tensors(local_out)
    assert ours and set(ours) == set(theirs)
    assert set(load_tensors(cached_out)) == set(ours)
    for name, t in load_tensors(cached_out).items():
        assert torch.equal(ours[name], t), name
    for name, t in theirs.items():
        assert ours[name].dtype == t.dtype and torch.equal(ours[name], t), name
    # and it is a merge: neither input
    inputs = load_tensors(models[BASE])
    assert not torch.equal(ours["model.layers.0.mlp.up_proj.weight"], inputs["model.layers.0.mlp.up_proj.weight"])


def _leftovers(folder: Path) -> list[str]:
    return [n for n in os.listdir(folder) if ".partial-" in n or ".old-" in n]


def test_run_online_unknown_repo(fresh, tmp_path):
    out = tmp_path / "work" / "out"
    result = mergelint(tmp_path, fresh.endpoint, "run", write(tmp_path, "m.yml", linear(BASE, MISSING)), out,
                       "--online")
    assert result.returncode == 1, result.stdout + result.stderr  # a MergeError, as for any unusable input
    assert f"mergelint: model {MISSING}: cannot download: RepositoryNotFoundError" in result.stderr, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not out.exists() and not _leftovers(out.parent)
    assert any(r.get("status") == 404 for r in fresh.requests("hub", repo=MISSING))


def test_run_online_hub_down(models, tmp_path):
    down = FakeHub({BASE: _repo_files(models[BASE])})
    endpoint = down.endpoint
    down.stop()  # nothing listens there now: connections are refused
    out = tmp_path / "work" / "out"
    result = mergelint(tmp_path, endpoint, "run", write(tmp_path, "m.yml", linear(BASE, BASE + "-ft")), out,
                       "--online")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "could not reach the Hub (ConnectError)" in result.stderr  # the lint's note
    assert f"mergelint: model {BASE}: cannot download:" in result.stderr, result.stderr
    assert "ConnectError" in result.stderr.split("cannot download:", 1)[1], result.stderr
    assert not out.exists() and not _leftovers(out.parent)
