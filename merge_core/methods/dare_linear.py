from ..method_kit.gta import task_arithmetic_method
from ..method_kit.spec import Sparsification

METHOD = task_arithmetic_method(
    "dare_linear",
    "Linear DARE",
    "Drops task-vector entries at random (keeping `density`), rescales what is kept and "
    "adds the weighted sum onto the base, without sign consensus.",
    consensus=None,
    sparsification=Sparsification.RANDOM,
    normalize=False,
    rescale=True,
    reference_url="https://arxiv.org/abs/2311.03099",
)
