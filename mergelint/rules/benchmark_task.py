"""## What it does
Finds mergekit-evolve tasks named like a common benchmark's test set (`mmlu*`, `gsm8k*`,
`hellaswag*`, `arc_*`, `leaderboard*`, ...; names ending in `_train` are exempt), which
mergekit-evolve refuses unless it is run with
`--i-understand-the-depths-of-the-evils-i-am-unleashing`.

## Why is this bad?
Evolving a merge against a benchmark's test set optimises for the benchmark, not the task:
the scores it reports are no longer a measure of the model. mergekit-evolve stops at start-up
with a ValueError saying so, unless given the flag.

## Example
```yaml
genome:
  models: [org/a, org/b]
  merge_method: linear
tasks: [gsm8k]
```

Use instead: a task over the benchmark's training split (`gsm8k_train`) or your own data,
or run with the flag if optimising on the test set is what you mean.
"""

from merge_core.evolve.language import BENCHMARK_FLAG, is_benchmark
from merge_core.tools import Tool

from ..rule import Context, Rule

RULE = Rule("ML606", "benchmark-task", "warning", "A task is a benchmark's test set, which mergekit-evolve refuses",
            tools=(Tool.EVOLVE,))


@RULE.checker
def check(ctx: Context) -> None:
    for task in ctx.evolve.tasks:
        if task.name is not None and is_benchmark(task.name):
            ctx.report(RULE, task.name_node, f"'{task.name}' is a common benchmark's test set: mergekit-evolve "
                       f"refuses to optimise on it unless run with {BENCHMARK_FLAG}")
