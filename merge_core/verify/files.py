"""## What it does
When the folder is a merge output whose merge config was written into it
(`mergekit_config.yml`, as mergekit and `mergelint run` write it) and the merged models can
be found (local folders, paths as the config wrote them, from the current directory; else
Hub ids in the Hugging Face cache, `HF_HUB_CACHE` or `HF_HOME`, at their revision), compares
the files beside the weights with theirs: a tokenizer (`tokenizer.json` or `tokenizer.model`),
`generation_config.json` and a chat template (tokenizer_config.json's `chat_template`,
chat_template.jinja) that an input had and the output lacks. Models that cannot be found
are skipped, as is a folder with no merge config.

## Why is this bad?
Without a tokenizer the output cannot be used at all; without generation_config.json it
generates with the library's defaults (another EOS token, no sampling settings); without
the chat template a chat model is prompted with plain text. The merge succeeded, and
users find out after uploading.

Use instead: copy the file from the model it should come from (or keep mergekit's
`--copy-tokenizer` on and set `chat_template:` in the merge config).
"""

import os

from ..inspect.files import FileProblem, stat_regular
from ..inspect.hfcache import cache_dir, find_snapshot, valid_repo_id
from ..inspect.tokenizer import read_tokenizer
from ..language import SAVED_CONFIG, TOKENIZER_JSON
from .check import Check, Finding

CHECK = Check("MV108", "files-lost", "warning",
              "A tokenizer, generation config or chat template of the inputs is missing")
MAX_CONFIG = 4 * 1024 * 1024


def saved_config(folder) -> str | None:
    """The merge config `run` (or mergekit) wrote into the output, or None when absent, too large or unreadable."""
    path = os.path.join(folder.path, SAVED_CONFIG)
    try:
        if stat_regular(path).st_size > MAX_CONFIG:
            return None
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except (FileProblem, OSError, ValueError):  # UnicodeDecodeError is a ValueError
        return None


def _inputs(folder) -> list[str]:
    """Local folders of the merged models, from the merge config in the output."""
    import yaml

    from ..config import parse_config
    from ..errors import MergeError

    text = saved_config(folder)
    try:
        refs = list(parse_config(yaml.safe_load(text)).referenced_models()) if text is not None else []
    except (ValueError, yaml.YAMLError, MergeError):
        return []  # not a config mergelint can read: nothing to compare with
    found = []
    for ref in refs:
        p = _local(ref.model)
        if p is not None and os.path.realpath(p) != os.path.realpath(folder.path) and p not in found:
            found.append(p)
    return found


def _local(model) -> str | None:
    """A merged model's folder: a local path, else its Hub id's snapshot in the Hugging Face cache."""
    if os.path.isdir(model.path):
        return model.path
    if not valid_repo_id(model.path):
        return None
    try:
        snapshot = find_snapshot(cache_dir(), model.path, model.revision)
    except FileProblem:
        return None  # a broken cache entry: `mergelint check` reports it
    return snapshot.directory if snapshot is not None else None


def _has(directory: str, *names: str) -> bool:
    return any(os.path.isfile(os.path.join(directory, n)) for n in names)


def run(folder, stats):
    inputs = _inputs(folder)
    if not inputs:
        return
    out_template = read_tokenizer(folder.path).chat_template
    wants = (
        ("tokenizer", (TOKENIZER_JSON, "tokenizer.model"), "the output cannot be used without one"),
        ("generation_config.json", ("generation_config.json",), "it generates with the library's defaults"),
    )
    for what, names, why in wants:
        had = [p for p in inputs if _has(p, *names)]
        if had and not _has(folder.path, *names):
            yield Finding(CHECK, "", f"{had[0]} has a {what} but the output has none: {why}")
    if out_template is None:
        had = [p for p in inputs if read_tokenizer(p).chat_template is not None]
        if had:
            yield Finding(CHECK, "", f"{had[0]} has a chat template but the output has none: a chat model would be "
                          "prompted with plain text")
