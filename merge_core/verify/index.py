"""## What it does
Checks model.safetensors.index.json against the shards: every tensor it maps is in the
shard it names, every tensor of a listed shard is in the map, no tensor is in two shards,
and no `.safetensors` file in the folder is left out of the index. `metadata.total_size` is
not compared: writers disagree on what it counts (tensor bytes, or file sizes with their
headers), and loading does not use it.

## Why is this bad?
Transformers loads each tensor from the shard the index names: a tensor the index does not
list is never loaded (its weight is random), a tensor listed in the wrong shard fails the
load, and a shard left out of the index is dead weight on every download.
"""

import os

from .check import Check, Finding
from ..language import SHARD_INDEX

CHECK = Check("MV107", "index-mismatch", "error", "The safetensors index disagrees with the shards")


def run(folder, stats):
    for tensor, first, second in folder.duplicates:
        yield Finding(CHECK, second, f"{tensor} is stored in both {first} and {second}")
    if folder.weight_map is None:
        return
    held = {}
    for shard in folder.shards:
        for tensor in shard.tensors:
            held.setdefault(os.path.basename(shard.path), set()).add(tensor)
    readable = set(held)
    wrong = [(t, s) for t, s in folder.weight_map.items() if s in readable and t not in held[s]]
    if wrong:
        t, s = wrong[0]
        yield Finding(CHECK, SHARD_INDEX, f"{SHARD_INDEX} maps {len(wrong)} tensor(s) to shards that do not hold "
                      f"them, e.g. {t} to {s}")
    unlisted = sorted(t for s, ts in held.items() for t in ts if t not in folder.weight_map)
    if unlisted:
        yield Finding(CHECK, SHARD_INDEX, f"{SHARD_INDEX} does not list {len(unlisted)} tensor(s) its shards "
                      f"hold, e.g. {unlisted[0]}: transformers never loads them")
    strays = sorted(n for n in os.listdir(folder.path) if n.endswith(".safetensors") and n not in folder.listed
                    and not n.startswith("adapter_model"))
    for name in strays:
        yield Finding(CHECK, name, f"{name} is not in {SHARD_INDEX}: transformers never reads it", severity="warning")
