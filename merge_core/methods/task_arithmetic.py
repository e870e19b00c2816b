from .gta import task_arithmetic_family

METHOD = task_arithmetic_family(
    "task_arithmetic",
    "Task Arithmetic",
    "Adds the weighted task vectors (model - base) of every model onto the base.",
    normalize=False,
    rescale=False,
    reference_url="https://arxiv.org/abs/2212.04089",
)


def merge(group, params):
    """The generalized task arithmetic recipe with this method's consensus and sparsifier."""
    from .gta import merge_family

    return merge_family(METHOD.name, group, params)
