from .gta import GAMMA, task_arithmetic_family

METHOD = task_arithmetic_family(
    "breadcrumbs",
    "Model Breadcrumbs",
    "Removes both the smallest differences and the largest outliers (`gamma`) from each "
    "task vector, then adds the weighted sum onto the base.",
    normalize=False,
    rescale=False,
    extra=(GAMMA,),
    reference_url="https://arxiv.org/abs/2312.06795",
)


def merge(group, params):
    """The generalized task arithmetic recipe with this method's consensus and sparsifier."""
    from .gta import merge_family

    return merge_family(METHOD.name, group, params)
