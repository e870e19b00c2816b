from .gta import task_arithmetic_family

METHOD = task_arithmetic_family(
    "ties",
    "TIES",
    "Keeps the largest-magnitude `density` share of each task vector, elects a sign per "
    "parameter and averages only the differences that agree with it.",
    normalize=True,
    rescale=False,
    reference_url="https://arxiv.org/abs/2306.01708",
)


def merge(group, params):
    """The generalized task arithmetic recipe with this method's consensus and sparsifier."""
    from .gta import merge_family

    return merge_family(METHOD.name, group, params)
