"""The words of mergekit-evolve 0.1.5's config (`mergekit/evo/config.py`, `genome.py`), each written once.

Every key is a `Key`: its JSON type, mergekit's default and what it means, so the schema, the
rules and the editor read one table. mergekit's pydantic models ignore keys they do not declare.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    name: str
    type: str  # "reference", "references", "string", "strings", "integer", "number", "boolean", "tasks", "genome"
    default: object  # mergekit's default; REQUIRED when it has none
    doc: str
    nullable: bool = False  # Optional[...] in mergekit: null means "not set"


REQUIRED = object()

GENOME = "genome"
TASKS = "tasks"
# The keys that make a file a mergekit-evolve config.
EVOLVE_KEYS = (GENOME, TASKS)

MODELS = "models"
MERGE_METHOD = "merge_method"
BASE_MODEL = "base_model"
TOKENIZER_SOURCE = "tokenizer_source"
LAYER_GRANULARITY = "layer_granularity"
NORMALIZE = "normalize"
ALLOW_NEGATIVE_WEIGHTS = "allow_negative_weights"
FILTERS = "filters"
SMOOTH = "smooth"

# `EvolMergeConfiguration`.
TOP_LEVEL = (
    Key(GENOME, "genome", REQUIRED, "What the search varies: the models, the merge method and how finely weights vary."),
    Key(TASKS, "tasks", REQUIRED, "The lm-eval tasks the merged model is scored on: a name, or {name, weight, metric}."),
    Key("limit", "integer", None, "Evaluate at most this many examples of each task.", nullable=True),
    Key("num_fewshot", "integer", None, "Few-shot examples per prompt (lm-eval's default when unset).", nullable=True),
    Key("shuffle", "boolean", False, "Shuffle each task's examples before taking `limit` of them."),
    Key("random_init", "boolean", False, "Start the search from a random genotype instead of equal weights."),
    Key("apply_chat_template", "boolean", True, "Format prompts with the model's chat template."),
    Key("fewshot_as_multiturn", "boolean", True, "Give few-shot examples as turns of a conversation."),
)

# `ModelGenomeDefinition`.
GENOME_KEYS = (
    Key(MODELS, "references", REQUIRED, "The models whose weights the search mixes."),
    Key(MERGE_METHOD, "string", REQUIRED, "The merge method of every candidate: linear, task_arithmetic, ties, "
        "dare_ties or slerp."),
    Key(BASE_MODEL, "reference", None, "The base model (required by ties, dare_ties and task_arithmetic).",
        nullable=True),
    Key(TOKENIZER_SOURCE, "string", None, "Passed to each candidate merge's tokenizer_source.", nullable=True),
    Key(LAYER_GRANULARITY, "integer", 0, "Layers per group of searched weights; must divide the layer count. "
        "0: one group for the whole model."),
    Key(NORMALIZE, "boolean", None, "Normalize the weights; unset: true for linear, ties and dare_ties.",
        nullable=True),
    Key(ALLOW_NEGATIVE_WEIGHTS, "boolean", False, "Let weights go negative (else their absolute value is used)."),
    Key(FILTERS, "strings", None, "Tensor name filters that get weights of their own.", nullable=True),
    Key(SMOOTH, "boolean", False, "Interpolate the weights across layers (gradients) instead of steps per group."),
)

TASK_NAME = "name"
TASK_WEIGHT = "weight"
TASK_METRIC = "metric"
DEFAULT_METRIC = "acc,none"
# `TaskConfiguration` (a plain string is its name).
TASK_KEYS = (
    Key(TASK_NAME, "string", REQUIRED, "The lm-eval task name."),
    Key(TASK_WEIGHT, "number", 1.0, "How much this task's score counts in the sum the search maximises."),
    Key(TASK_METRIC, "string", DEFAULT_METRIC, "The lm-eval result read: `metric,filter` (`acc,none`, "
        "`exact_match,strict-match`)."),
)

# The methods the genome supports and the parameters it searches for each (`METHOD_PARAM_MAPS`).
METHOD_PARAMS = {
    "linear": ("weight",),
    "task_arithmetic": ("weight",),
    "ties": ("weight", "density"),
    "dare_ties": ("weight", "density"),
    "slerp": ("t",),
}
BASE_REQUIRED = ("ties", "dare_ties", "task_arithmetic")
SLERP = "slerp"
# slerp picks the two heaviest models per group: it needs two, and searches no filters, smoothing,
# normalisation or signs.
SLERP_MODELS = 2
SLERP_REFUSES = (FILTERS, SMOOTH)  # genome.py asserts against these
SLERP_IGNORES = (NORMALIZE, ALLOW_NEGATIVE_WEIGHTS)

# `check_for_naughty_config`: tasks named so are refused unless the flag is given; `_train` ones are exempt.
BENCHMARK_PREFIXES = (
    "mmlu", "hendrycks", "agieval", "gsm8k", "hellaswag", "winogrande", "arc_", "ai2_arc", "truthfulqa",
    "bigbench", "piqa", "openbookqa", "leaderboard",
)
BENCHMARK_EXEMPT_SUFFIX = "_train"
BENCHMARK_FLAG = "--i-understand-the-depths-of-the-evils-i-am-unleashing"


def is_benchmark(task: str) -> bool:
    """Whether mergekit-evolve refuses this task name without BENCHMARK_FLAG."""
    return task.startswith(BENCHMARK_PREFIXES) and not task.endswith(BENCHMARK_EXEMPT_SUFFIX)


def key_at(path: tuple) -> Key | None:
    """The Key a value's path names (`("genome", "layer_granularity")`, `("tasks", 0, "weight")`)."""
    if not path or not isinstance(path[-1], str):
        return None
    table = {(): TOP_LEVEL, (GENOME,): GENOME_KEYS}.get(path[:-1])
    if table is None and len(path) == 3 and path[0] == TASKS:
        table = TASK_KEYS
    return next((k for k in table or () if k.name == path[-1]), None)


_PLACES = (("at the top level", (), TOP_LEVEL), ("under genome:", (GENOME,), GENOME_KEYS), ("in a task", (TASKS,), TASK_KEYS))


def home_of(name: str, parent_path: tuple) -> str | None:
    """Where a key mergekit-evolve does not read at `parent_path` belongs, when it is one of its keys
    elsewhere (`limit` written in a task belongs at the top level)."""
    here = parent_path[:1] if parent_path[:1] == (TASKS,) else parent_path
    for place, path, keys in _PLACES:
        if path != here and any(k.name == name for k in keys):
            return place
    return None
