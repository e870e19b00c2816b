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
