from ..method_kit.gta import task_arithmetic_method
from ..method_kit.spec import Consensus, Sparsification

METHOD = task_arithmetic_method(
    "dare_ties",
    "DARE TIES",
    "Drops task-vector entries at random (keeping `density`), rescales what is kept, "
    "then applies TIES sign consensus.",
    consensus=Consensus.SUM,
    sparsification=Sparsification.RANDOM,
    normalize=False,
    rescale=True,
    reference_url="https://arxiv.org/abs/2311.03099",
)
