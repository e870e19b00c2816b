from .gta import EPSILON, task_arithmetic_family

METHOD = task_arithmetic_family(
    "della",
    "DELLA",
    "Drops task-vector entries with a probability that falls with their magnitude "
    "(density +/- epsilon), rescales, then applies TIES sign consensus.",
    normalize=True,
    rescale=True,
    uses_rng=True,
    extra=(EPSILON,),
    reference_url="https://arxiv.org/abs/2406.11617",
)


def merge(group, params):
    """The generalized task arithmetic recipe with this method's consensus and sparsifier."""
    from .gta import merge_family

    return merge_family(METHOD.name, group, params)
