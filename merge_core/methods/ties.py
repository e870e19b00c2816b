from ..method_kit.gta import task_arithmetic_method
from ..method_kit.spec import Consensus, Sparsification

METHOD = task_arithmetic_method(
    "ties",
    "TIES",
    "Keeps the largest-magnitude `density` share of each task vector, elects a sign per "
    "parameter and averages only the differences that agree with it.",
    consensus=Consensus.SUM,
    sparsification=Sparsification.MAGNITUDE,
    normalize=True,
    rescale=False,
    reference_url="https://arxiv.org/abs/2306.01708",
)
