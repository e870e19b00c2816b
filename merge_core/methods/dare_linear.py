from .gta import task_arithmetic_family

METHOD = task_arithmetic_family(
    "dare_linear",
    "Linear DARE",
    "Drops task-vector entries at random (keeping `density`), rescales what is kept and "
    "adds the weighted sum onto the base, without sign consensus.",
    normalize=False,
    rescale=True,
    uses_rng=True,
    reference_url="https://arxiv.org/abs/2311.03099",
)


def merge(group, params):
    """The generalized task arithmetic recipe with this method's consensus and sparsifier."""
    from .gta import merge_family

    return merge_family(METHOD.name, group, params)
