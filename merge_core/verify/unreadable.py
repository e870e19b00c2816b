"""## What it does
Reports a folder that cannot be verified at all (`unreadable-model`: not a folder, no
`config.json` or one that is not a JSON object, no weights, only pickled `.bin` weights,
a LoRA adapter instead of a model) and a weights file that cannot be read
(`unreadable-file`: empty, truncated, a header that lies about its tensors' sizes or offsets,
an unsupported dtype, an index naming a shard that is not there). Pickled weights are not
unpickled (loading a pickle runs whatever code it holds) unless `--allow-pickle` is given, and
then only by torch's weights_only loader: a pickle that builds anything but tensors is an
`unreadable-file`.

## Why is this bad?
Transformers fails to load such a folder, or loads it with random weights in place of the
unreadable ones. `mergelint verify` exits 2 on any of these, since the checks that read
tensors could not see the whole model.
"""

from .check import Check

UNREADABLE_MODEL = Check("MV001", "unreadable-model", "error", "The folder is not a model folder that can be read")
UNREADABLE_FILE = Check("MV002", "unreadable-file", "error",
                        "A weights or metadata file is empty, truncated or corrupt")
