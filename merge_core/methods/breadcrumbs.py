from ..method_kit.gta import task_arithmetic_method
from ..method_kit.spec import Sparsification

METHOD = task_arithmetic_method(
    "breadcrumbs",
    "Model Breadcrumbs",
    "Removes both the smallest differences and the largest outliers (`gamma`) from each "
    "task vector, then adds the weighted sum onto the base.",
    consensus=None,
    sparsification=Sparsification.MAGNITUDE_OUTLIERS,
    normalize=False,
    rescale=False,
    reference_url="https://arxiv.org/abs/2312.06795",
)
