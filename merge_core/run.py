"""`mergelint run`: check OUT, resolve the models, plan, execute, and publish the output folder.

What OUT may be, how it is published and what an interrupt leaves is merge_core.output_dir's
business: OUT is checked against every input before any model is read, the output is
assembled in a hidden folder beside OUT and swapped into place only when complete.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from typing import Callable

import yaml

from . import arch as arch_mod
from . import throughput
from .checkpoint import Checkpoint, locate, read_json
from .config import MergeConfig, parse_config
from .errors import ConfigError, MergeError, ModelError
from .inspect.hfcache import cache_dir, repo_folder, valid_repo_id
from .language import (
    BUILTIN_CHAT_TEMPLATES, MODEL_CONFIG, SAVED_CONFIG, TOKENIZER_CONFIG, TOKENIZER_JSON, UNION, is_tokenizer_keyword,
)
from .lora import load_adapter
from .output_dir import Interrupted, Output
from .plan import Model, Plan, Planner
from .references import ModelReference, ModelReferenceError, reference_from_value
from .verify import Watch, before_publishing

TOKENIZER_FILES = (
    TOKENIZER_CONFIG, "special_tokens_map.json", TOKENIZER_JSON, "tokenizer.model", "added_tokens.json",
    "merges.txt", "vocab.json", "chat_template.jinja", "chat_template.json", "video_preprocessor_config.json",
)
TAGALONG_FILES = ("generation_config.json", "preprocessor_config.json", "processor_config.json")


@dataclass
class Options:
    device: str = "cpu"
    dtype: str | None = None  # overrides the config's `dtype`
    out_dtype: str | None = None  # overrides the config's `out_dtype`
    seed: int | None = None
    out_shard_size: int = 5 * 10**9
    force: bool = False
    allow_crimes: bool = False
    online: bool = False
    allow_pickle: bool = False
    unsafe_truncate_embeddings: bool = False
    copy_tokenizer: bool = True
    write_model_card: bool = True
    mergekit_sort: bool = False  # break sparsification ties by sorting, exactly as mergekit does
    allow_nonfinite: bool = False  # publish an output whose tensors hold NaN or Inf
    preflight: bool = True  # refuse a merge whose plan does not fit the machine (merge_core.preflight)
    max_memory: int | None = None  # preflight's memory, instead of what the kernel says is available
    max_disk: int | None = None  # preflight's free disk at OUT, instead of the filesystem's


@dataclass
class Result:
    out: str
    files: list[str]
    tensors: int
    bytes_written: int
    notes: list[str] = field(default_factory=list)
    verification: object = None  # the verify.Report of the output, made before it was published


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("mergelint")
    except Exception:  # noqa: BLE001
        return "0"


def recipe(config_text: str, options: Options) -> str:
    """What an output was made from: the config and the options that change what it holds (its
    marker keeps it, so that mergekit-multi's lazy skip can tell a stale stage output)."""
    import hashlib

    made_with = (options.dtype, options.out_dtype, options.seed, options.unsafe_truncate_embeddings,
                 options.mergekit_sort, options.allow_crimes, options.copy_tokenizer, options.write_model_card)
    return hashlib.sha256(json.dumps([config_text, made_with]).encode()).hexdigest()


def load_models(cfg: MergeConfig, options: Options) -> dict[ModelReference, Model]:
    models: dict[ModelReference, Model] = {}
    for ref in cfg.referenced_models():
        folder = locate(ref.model, "model", online=options.online, allow_pickle=options.allow_pickle)
        cfg_path = os.path.join(folder, MODEL_CONFIG)
        config = read_json(cfg_path) if os.path.exists(cfg_path) else {}
        if ref.override_architecture:
            config = {**config, "architectures": [ref.override_architecture]}
        checkpoint = Checkpoint(folder, str(ref.model), allow_pickle=options.allow_pickle)
        shapes = {k: v.shape for k, v in checkpoint.tensors.items()}
        layout = arch_mod.infer_layout(config, shapes)
        adapter = None
        if ref.lora is not None:
            lora_folder = locate(ref.lora, "LoRA adapter", online=options.online)
            adapter = load_adapter(lora_folder, str(ref.lora), options.allow_pickle)
            missing = sorted(n for n in adapter.patches if n not in checkpoint.tensors)
            if missing:
                raise ModelError(
                    f"LoRA adapter {ref.lora} changes tensors that {ref.model} does not have "
                    f"({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}): it was trained on another model"
                )
        models[ref] = Model(ref, folder, config, checkpoint, layout, adapter)
    return models


def check_architectures(models: dict[ModelReference, Model], donor: Model, allow_crimes: bool) -> list[str]:
    notes = []
    for m in models.values():
        a, b = m.layout.architecture, donor.layout.architecture
        if a and b and a != b:
            msg = (f"{m.label} is a {a} but {donor.label} is a {b}: models of different architectures "
                   "cannot be merged")
            if not allow_crimes:
                raise ConfigError(msg + " (pass --allow-crimes to try anyway)")
            notes.append(msg + "; going on because of --allow-crimes")
    return notes


def read_config(config_text: str, options: Options) -> MergeConfig:
    try:
        documents = [d for d in yaml.safe_load_all(config_text) if d is not None]
    except yaml.YAMLError as e:
        raise ConfigError(f"not valid YAML: {e}") from None
    if len(documents) != 1:
        raise ConfigError("several YAML documents (a mergekit-multi file): run one document at a time"
                          if documents else "the config is empty")
    cfg = parse_config(documents[0])
    if options.dtype:
        cfg.dtype = options.dtype
    if options.out_dtype:
        cfg.out_dtype = options.out_dtype
    return cfg


def input_folders(cfg: MergeConfig) -> list[tuple[str, str]]:
    """(label, path) of everything the merge reads, found without reading it: a local folder (and
    the targets of the links in it), else the Hugging Face cache folder a Hub id is kept in."""
    refs = list(cfg.referenced_models())
    source = cfg.tokenizer_source if cfg.tokenizer is None else cfg.tokenizer.get("source")
    if source is not None and not is_tokenizer_keyword(source):
        try:
            refs.append(source if isinstance(source, ModelReference) else reference_from_value(source))
        except ModelReferenceError:
            pass  # build_plan reports it
    return reference_folders(refs)


def reference_folders(refs: list[ModelReference]) -> list[tuple[str, str]]:
    """(label, path) of the folders `refs` are read from (see input_folders); mergekit-moe's run shares it."""
    found = []
    for ref in refs:
        for p in (ref.model, ref.lora):
            if p is None:
                continue
            if os.path.isdir(p.path):
                found.append((str(p), p.path))
                try:
                    with os.scandir(p.path) as entries:
                        found.extend((str(p), os.path.realpath(e.path)) for e in entries if e.is_symlink())
                except OSError:
                    pass  # an unreadable model folder: load_models reports it
            elif valid_repo_id(p.path):
                found.append((str(p), repo_folder(cache_dir(), p.path)))
    return found


def build_plan(config_text: str, options: Options) -> Plan:
    cfg = read_config(config_text, options)
    models = load_models(cfg, options)
    try:
        donor = models[cfg.referenced_models()[0]]
        notes = check_architectures(models, donor, options.allow_crimes)
        tokenizer = None
        tok_source = cfg.tokenizer_source
        if cfg.tokenizer is not None:
            tok_source = cfg.tokenizer.get("source", UNION)
        if tok_source is not None:
            from .tokenizer_build import build_vocabulary

            tokenizer = build_vocabulary(cfg, models, tok_source, options)
        plan = Planner(cfg, models, unsafe_truncate_embeddings=options.unsafe_truncate_embeddings,
                       tokenizer=tokenizer).plan()
    except BaseException:
        for m in models.values():
            m.close()
        raise
    plan.notes[:0] = notes + (tokenizer.notes if tokenizer is not None else [])
    if cfg.base is None and len({str(r) for r in cfg.referenced_models()}) > 1:
        plan.notes.insert(0, f"no base_model: config.json and the tokenizer come from the first model, "
                             f"{donor.label} (mergekit would pick one in an unstable order)")
    return plan


def run_merge(config_text: str, out: str, options: Options, *,
              on_progress: Callable | None = None, on_plan: Callable[[Plan], None] | None = None) -> Result:
    """Merge into OUT. Ctrl-C or SIGTERM comes out as output_dir.Interrupted, saying what OUT holds."""
    output = Output(out, input_folders(read_config(config_text, options)), options.force)
    try:
        return _merge(config_text, output, options, on_progress, on_plan)
    except KeyboardInterrupt as e:
        raise (e if isinstance(e, Interrupted) else output.interrupted()) from None


def _merge(config_text: str, output: Output, options: Options, on_progress, on_plan) -> Result:
    from .execute import Engine
    from .write import Entry, ShardWriter

    stale = output.clean_stale()
    plan = build_plan(config_text, options)
    plan.notes[:0] = stale
    try:
        if on_plan is not None:
            on_plan(plan)
        if options.preflight:
            _preflight(plan, output.path, options)
        folder = output.create()
        try:
            writer = ShardWriter(folder, [Entry(t.name, t.shape, t.dtype) for t in plan.tasks],
                                 options.out_shard_size)
            watch = Watch()
            engine = Engine(plan, device=options.device, seed=options.seed, on_progress=on_progress,
                            mergekit_sort=options.mergekit_sort, watch=watch)
            started = time.monotonic()
            try:
                engine.run(writer)
            finally:
                writer.abort()
            throughput.record(options.device, plan.method.name, plan.read_bytes + plan.write_bytes,
                              time.monotonic() - started)
            files = writer.finish({"mergelint_version": _version()})
            finish_folder(plan, folder, config_text, output.path, options)
            verification = before_publishing(folder, watch, options.allow_nonfinite)
            output.publish(_version(), recipe=recipe(config_text, options))
        except OSError as e:  # a full disk or a folder gone while writing the output files
            output.discard()
            if isinstance(e, BrokenPipeError):  # the reader of --json-progress went away: the CLI ends quietly
                raise
            raise MergeError(f"{e.filename or output.path}: {e.strerror or e}; {output.left_as_it_was()}") from None
        except BaseException:
            output.discard()
            raise
    finally:
        for m in plan.models.values():
            m.close()
    return Result(output.path, files, len(plan.tasks), plan.write_bytes, plan.notes, verification)


def _preflight(plan: Plan, out: str, options: Options) -> None:
    from . import preflight
    from .estimate import estimate

    totals, _ = estimate(plan, device=options.device, shard_size=options.out_shard_size)
    preflight.check(totals, out=out, device=options.device, models=len(plan.models),
                    max_memory=options.max_memory, max_disk=options.max_disk)


# -- the files beside the weights ------------------------------------------------------------


def _set_key(config: dict, dotted: str, value) -> None:
    parts = dotted.split(".")
    node = config
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


def output_config(plan: Plan) -> dict:
    cfg = plan.config
    config = json.loads(json.dumps(plan.donor.config))
    dtype = cfg.out_dtype or cfg.dtype
    if dtype:
        config["dtype"] = dtype
        if "torch_dtype" in config:
            config["torch_dtype"] = dtype
    if plan.out_layers is not None:
        key = plan.donor.layout.layer_key
        if key:
            _set_key(config, key, plan.out_layers)
        else:
            plan.notes.append("the donor config has no layer-count key: set the output's layer count by hand")
    for key, count in plan.module_layers:
        _set_key(config, key, count)
    if plan.tokenizer is not None:
        key = plan.donor.layout.vocab_key or "vocab_size"
        _set_key(config, key, plan.tokenizer.out_size)
    return config


def finish_folder(plan: Plan, folder: str, config_text: str, out: str, options: Options) -> None:
    with open(os.path.join(folder, MODEL_CONFIG), "w", encoding="utf-8") as f:
        json.dump(output_config(plan), f, indent=2, sort_keys=True)
        f.write("\n")
    donor = plan.donor.folder
    for name in TAGALONG_FILES:
        src = os.path.join(donor, name)
        if os.path.isfile(src):
            shutil.copyfile(src, os.path.join(folder, name))
    if plan.tokenizer is not None:
        plan.tokenizer.save(folder)
        if plan.config.chat_template:
            _write_chat_template(plan, folder)
    elif options.copy_tokenizer:
        has = lambda n: os.path.isfile(os.path.join(donor, n))  # noqa: E731
        if has(TOKENIZER_CONFIG) and (has(TOKENIZER_JSON) or has("tokenizer.model")):
            for name in TOKENIZER_FILES:
                if has(name):
                    shutil.copyfile(os.path.join(donor, name), os.path.join(folder, name))
            if plan.config.chat_template:
                _write_chat_template(plan, folder)
        else:
            plan.notes.append(f"{plan.donor.label} has no tokenizer files to copy")
    if options.write_model_card:
        with open(os.path.join(folder, SAVED_CONFIG), "w", encoding="utf-8") as f:
            f.write(config_text)
        with open(os.path.join(folder, "README.md"), "w", encoding="utf-8") as f:
            f.write(model_card(plan, config_text, os.path.basename(out)))


def _model_templates(plan: Plan) -> list[str]:
    found = []
    for m in plan.models.values():
        text = None
        jinja = os.path.join(m.folder, "chat_template.jinja")
        if os.path.isfile(jinja):
            with open(jinja, encoding="utf-8") as f:
                text = f.read()
        else:
            tc = os.path.join(m.folder, TOKENIZER_CONFIG)
            if os.path.isfile(tc):
                value = read_json(tc).get("chat_template")
                if isinstance(value, list):
                    value = next((e.get("template") for e in value if e.get("name") == "default"), None)
                text = value if isinstance(value, str) else None
        if text and text.strip():
            found.append(text.strip())
    return found


def resolve_chat_template(plan: Plan) -> str | None:
    value = plan.config.chat_template
    if value == "auto":
        from collections import Counter

        templates = _model_templates(plan)
        return Counter(templates).most_common(1)[0][0] if templates else None
    if isinstance(value, str) and len(value) < 256 and "\n" not in value and "{" not in value:
        try:
            from importlib import resources

            data = resources.files("mergekit._data.chat_templates").joinpath(value + ".jinja")
            if data.is_file():
                return data.read_text()
        except (ModuleNotFoundError, FileNotFoundError):
            pass
        if value in BUILTIN_CHAT_TEMPLATES:
            raise ConfigError(
                f"chat_template: {value!r} names one of mergekit's built-in templates, which ship with mergekit "
                "(not installed here); paste the template text instead"
            )
    if not isinstance(value, str) or len(value) < 20 or "{" not in value:
        raise ConfigError(f"Invalid chat template: {value}")
    return value


def _write_chat_template(plan: Plan, folder: str) -> None:
    template = resolve_chat_template(plan)
    if template is None:
        return
    with open(os.path.join(folder, "chat_template.jinja"), "w", encoding="utf-8") as f:
        f.write(template)
    tc = os.path.join(folder, TOKENIZER_CONFIG)
    if os.path.isfile(tc):
        data = read_json(tc)
        if "chat_template" in data:
            del data["chat_template"]
            with open(tc, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=2, ensure_ascii=False)
    legacy = os.path.join(folder, "chat_template.json")
    if os.path.exists(legacy):
        os.unlink(legacy)


_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def _hub_id(path: str) -> bool:
    return bool(_HUB_ID.match(path)) and not os.path.exists(path)


def model_card(plan: Plan, config_text: str, name: str) -> str:
    cfg = plan.config
    refs = cfg.referenced_models()
    hub = []
    for r in refs:
        for p in (r.model, r.lora):
            if p is not None and _hub_id(p.path) and p.path not in hub:
                hub.append(p.path)
    front = {"base_model": hub, "library_name": "transformers", "tags": ["mergekit", "merge", "mergelint"]}
    if not hub:
        del front["base_model"]

    def show(r: ModelReference) -> str:
        def one(p):
            return f"[{p.path}](https://huggingface.co/{p.path})" if _hub_id(p.path) else p.path
        return one(r.model) + (f" + {one(r.lora)}" if r.lora else "")

    method = plan.method
    link = f"[{method.pretty_name}]({method.reference_url})" if method.reference_url else method.pretty_name
    base = ""
    if cfg.base is not None and method.name != "slerp":
        base = f", with {show(cfg.base)} as the base"
    others = [r for r in refs if r != cfg.base or method.name == "slerp"]
    listing = "\n".join(f"* {show(r)}" for r in others)
    return (
        "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n"
        f"# {name}\n\n"
        "This is a merge of pre-trained language models, made with `mergelint run` from a "
        "[mergekit](https://github.com/arcee-ai/mergekit) configuration.\n\n"
        "## Merge details\n\n"
        f"This model was merged using the {link} merge method{base}.\n\n"
        f"The following models were included in the merge:\n\n{listing}\n\n"
        "## Configuration\n\nThe following YAML configuration was used to produce this model:\n\n"
        f"```yaml\n{config_text.rstrip()}\n```\n"
    )
