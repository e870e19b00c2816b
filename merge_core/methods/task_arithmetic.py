from ..method_kit.gta import task_arithmetic_method

METHOD = task_arithmetic_method(
    "task_arithmetic",
    "Task Arithmetic",
    "Adds the weighted task vectors (model - base) of every model onto the base.",
    consensus=None,
    sparsification=None,
    normalize=False,
    rescale=False,
    reference_url="https://arxiv.org/abs/2212.04089",
)
