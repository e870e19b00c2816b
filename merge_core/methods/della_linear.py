from ..method_kit.gta import task_arithmetic_method
from ..method_kit.spec import Sparsification

METHOD = task_arithmetic_method(
    "della_linear",
    "Linear DELLA",
    "DELLA's magnitude-aware random dropping without sign consensus.",
    consensus=None,
    sparsification=Sparsification.DELLA_MAGPRUNE,
    normalize=False,
    rescale=True,
    reference_url="https://arxiv.org/abs/2406.11617",
)
