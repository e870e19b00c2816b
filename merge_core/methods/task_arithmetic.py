from .gta import task_arithmetic_family

METHOD = task_arithmetic_family(
    "task_arithmetic",
    "Task Arithmetic",
    "Adds the weighted task vectors (model - base) of every model onto the base.",
    normalize=False,
    rescale=False,
    reference_url="https://arxiv.org/abs/2212.04089",
)
