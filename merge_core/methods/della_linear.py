from .gta import EPSILON, task_arithmetic_family

METHOD = task_arithmetic_family(
    "della_linear",
    "Linear DELLA",
    "DELLA's magnitude-aware random dropping without sign consensus.",
    normalize=False,
    rescale=True,
    uses_rng=True,
    extra=(EPSILON,),
    reference_url="https://arxiv.org/abs/2406.11617",
)


def merge(group, params):
    """The generalized task arithmetic recipe with this method's consensus and sparsifier."""
    from .gta import merge_family

    return merge_family(METHOD.name, group, params)
