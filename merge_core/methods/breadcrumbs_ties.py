from .gta import GAMMA, task_arithmetic_family

METHOD = task_arithmetic_family(
    "breadcrumbs_ties",
    "Model Breadcrumbs with TIES",
    "Breadcrumbs sparsification (smallest differences and `gamma` outliers removed) "
    "followed by TIES sign consensus.",
    normalize=False,
    rescale=False,
    extra=(GAMMA,),
    reference_url="https://arxiv.org/abs/2312.06795",
)


def merge(group, params):
    """The generalized task arithmetic recipe with this method's consensus and sparsifier."""
    from .gta import merge_family

    return merge_family(METHOD.name, group, params)
