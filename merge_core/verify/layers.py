"""## What it does
Compares the layers the tensors hold with the config: the layer count (`num_hidden_layers`,
or `text_config.num_hidden_layers`) against the layer indices present in the decoder's
stack (layers missing, or layers past the count), and each layer against its siblings: a
layer that lacks a tensor (`mlp.down_proj.weight`) that the usual layer of that stack has.
A model whose layers differ by design (attention and recurrent layers, dense and expert
layers) is not reported: only a layer whose tensors are a strict subset of the usual set is.

## Why is this bad?
Transformers fills a missing weight with random values (with a warning that is easy to
miss) and ignores tensors past the layer count: the model loads and produces noise. A
frankenmerge whose slices skip or repeat the wrong range, or an output written from an
interrupted merge, look exactly like this.
"""

from ..language import MODEL_CONFIG
from .check import Check, Finding
from .layout import main_stack, stacks

CHECK = Check("MV102", "missing-tensors", "error", "Layers or tensors are missing against config.json")


def _spans(indices: list[int]) -> str:
    out, start = [], None
    for i, n in enumerate(indices):
        if start is None:
            start = n
        if i + 1 == len(indices) or indices[i + 1] != n + 1:
            out.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ", ".join(out)


def run(folder, stats):
    if not folder.complete:  # an unreadable shard is reported already; its tensors are not "missing"
        return
    stack, count, key = main_stack(folder.config, folder.tensors)
    if stack is not None and count is not None:
        present = sorted(stack.layers)
        missing = sorted(set(range(count)) - set(present))
        extra = [i for i in present if i >= count]
        if missing:
            yield Finding(CHECK, MODEL_CONFIG, f"{key} is {count} but the tensors hold no {stack.prefix}N for "
                          f"layer(s) {_spans(missing)} (present: {_spans(present)}): transformers would fill them "
                          "with random weights", key=key)
        if extra:
            yield Finding(CHECK, MODEL_CONFIG, f"{key} is {count} but the tensors hold layer(s) {_spans(extra)} of "
                          f"{stack.prefix}N too: transformers ignores them", key=key)
    for st in stacks(folder.tensors):
        if len(st.layers) < 2:
            continue
        usual = st.common()
        for index, layer in sorted(st.layers.items()):
            have = set(layer)
            if have < usual:
                lacking = sorted(usual - have)
                others = sum(1 for v in st.layers.values() if usual <= set(v))
                first = next(iter(layer.values()))
                yield Finding(CHECK, folder.shard_of(first),
                              f"layer {st.prefix}{index} lacks {', '.join(lacking)}, which {others} other layer(s) of "
                              "that stack have")
