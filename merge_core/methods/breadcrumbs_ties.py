from ..method_kit.gta import task_arithmetic_method
from ..method_kit.spec import Consensus, Sparsification

METHOD = task_arithmetic_method(
    "breadcrumbs_ties",
    "Model Breadcrumbs with TIES",
    "Breadcrumbs sparsification (smallest differences and `gamma` outliers removed) "
    "followed by TIES sign consensus.",
    consensus=Consensus.SUM,
    sparsification=Sparsification.MAGNITUDE_OUTLIERS,
    normalize=False,
    rescale=False,
    reference_url="https://arxiv.org/abs/2312.06795",
)
