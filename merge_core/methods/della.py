from ..method_kit.gta import task_arithmetic_method
from ..method_kit.spec import Consensus, Sparsification

METHOD = task_arithmetic_method(
    "della",
    "DELLA",
    "Drops task-vector entries with a probability that falls with their magnitude "
    "(density +/- epsilon), rescales, then applies TIES sign consensus.",
    consensus=Consensus.SUM,
    sparsification=Sparsification.DELLA_MAGPRUNE,
    normalize=True,
    rescale=True,
    reference_url="https://arxiv.org/abs/2406.11617",
)
