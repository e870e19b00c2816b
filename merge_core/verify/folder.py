"""A model folder opened for verification: its config, tokenizer size and weight shards.

Only headers and small JSON files are read here (each checked before it is trusted, by the
readers the checker uses); tensors are read later, one at a time. Anything that makes the
folder unusable is a Finding of `unreadable.py`, never an exception.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..checkpoint import PickleFile, SafetensorsFile, TensorInfo
from ..errors import ModelError
from ..language import ADAPTER_CONFIG, MODEL_CONFIG, SHARD_INDEX, SINGLE_SHARD
from ..inspect.files import FileProblem, read_json, stat_regular
from .check import Finding
from .unreadable import UNREADABLE_FILE, UNREADABLE_MODEL



@dataclass
class ModelFolder:
    path: str
    config: dict
    shards: list[SafetensorsFile | PickleFile] = field(default_factory=list)
    tensors: dict[str, TensorInfo] = field(default_factory=dict)
    weight_map: dict[str, str] | None = None  # the index's tensor -> shard, if there is an index
    index_metadata: dict = field(default_factory=dict)
    listed: list[str] = field(default_factory=list)  # shard names the folder's weights are (index or files)
    complete: bool = True  # every shard could be read: checks of what is missing can trust the tensors
    duplicates: list[tuple[str, str, str]] = field(default_factory=list)  # (tensor, first shard, second shard)

    def shard_of(self, tensor: str) -> str:
        return os.path.basename(self.tensors[tensor].file.path)

    def json(self, name: str, findings: list[Finding]) -> dict | None:
        """A small JSON file of the folder, or None when absent; unreadable: a finding."""
        path = os.path.join(self.path, name)
        if not os.path.lexists(path):
            return None
        try:
            return read_json(path)
        except FileProblem as e:
            findings.append(Finding(UNREADABLE_FILE, name, f"{name} cannot be read: {_why(path, e.message)}"))
            return None

    def close(self) -> None:
        for shard in self.shards:
            shard.close()


def _why(path: str, message: str) -> str:
    try:
        if os.path.isfile(path) and os.path.getsize(path) == 0:
            return "the file is empty (0 bytes)"
    except OSError:
        pass
    return message


def open_folder(path: str, allow_pickle: bool = False) -> tuple[ModelFolder | None, list[Finding]]:
    """The folder and what is wrong with its files; None when it is not a readable model folder.
    Pickled weights (pytorch_model*.bin) are read only with `allow_pickle`, and then with torch's
    weights_only loader, which refuses a pickle that builds anything but tensors."""
    findings: list[Finding] = []
    if not os.path.isdir(path):
        what = "does not exist" if not os.path.lexists(path) else "is not a folder"
        return None, [Finding(UNREADABLE_MODEL, "", f"{path} {what}: verify takes a model folder")]
    names = _names(path)
    config_path = os.path.join(path, MODEL_CONFIG)
    if MODEL_CONFIG not in names:
        adapter = " (it holds a LoRA adapter: verify the model it was merged into)" \
            if ADAPTER_CONFIG in names else ""
        return None, [Finding(UNREADABLE_MODEL, "", f"{path} has no config.json: not a Hugging Face model folder"
                              + adapter)]
    try:
        config = read_json(config_path)
    except FileProblem as e:
        why = _why(config_path, e.message)
        return None, [Finding(UNREADABLE_MODEL, MODEL_CONFIG, f"{MODEL_CONFIG} cannot be read: {why}")]
    folder = ModelFolder(path, config)
    if SHARD_INDEX in names:
        index = folder.json(SHARD_INDEX, findings)
        weight_map = index.get("weight_map") if index is not None else None
        if index is not None and not (isinstance(weight_map, dict)
                                      and all(isinstance(v, str) for v in weight_map.values())):
            findings.append(Finding(UNREADABLE_FILE, SHARD_INDEX,
                                    f"{SHARD_INDEX} has no weight_map of tensor names to shards"))
        if index is None or findings:
            return None, findings
        folder.weight_map = weight_map
        folder.index_metadata = index.get("metadata") if isinstance(index.get("metadata"), dict) else {}
        folder.listed = sorted(set(weight_map.values()))
    elif SINGLE_SHARD in names:
        folder.listed = [SINGLE_SHARD]
    else:
        folder.listed = [n for n in names if n.endswith(".safetensors") and not n.startswith("adapter_model")]
    kind = SafetensorsFile
    if not folder.listed and allow_pickle:
        folder.listed, kind = [n for n in names if n.startswith("pytorch_model") and n.endswith(".bin")], PickleFile
    if not folder.listed:
        pickles = [n for n in names if n.endswith((".bin", ".pt", ".pth"))]
        if pickles and allow_pickle:
            message = (f"{path} holds pickled weights ({', '.join(pickles)}) but no pytorch_model*.bin, the names "
                       "transformers loads")
        elif pickles:
            message = (f"{path} holds only pickled weights ({', '.join(pickles)}), which mergelint never unpickles "
                       "without --allow-pickle (loading a pickle can run code): convert them to safetensors, or "
                       "pass --allow-pickle to read them with torch's weights_only loader")
        else:
            message = f"{path} has no weights (no model.safetensors, no safetensors shards)"
        return None, [Finding(UNREADABLE_MODEL, "", message)]
    for name in folder.listed:
        _add_shard(folder, name, findings, kind)
    return folder, findings


def _names(path: str) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def _add_shard(folder: ModelFolder, name: str, findings: list[Finding], kind=SafetensorsFile) -> None:
    path = os.path.join(folder.path, name)
    try:
        stat_regular(path)
        shard = kind(path)
    except FileProblem as e:
        where = f" (listed in {SHARD_INDEX})" if folder.weight_map is not None else ""
        findings.append(Finding(UNREADABLE_FILE, name, f"{name}{where}: {e.message}"))
        folder.complete = False
        return
    except ModelError as e:
        reason = str(e).removeprefix(f"{path}: ")
        findings.append(Finding(UNREADABLE_FILE, name, f"{name} cannot be read: {_why(path, reason)}"))
        folder.complete = False
        return
    folder.shards.append(shard)
    for tensor, info in shard.tensors.items():
        if tensor in folder.tensors:
            folder.duplicates.append((tensor, folder.shard_of(tensor), name))
            continue
        folder.tensors[tensor] = info
