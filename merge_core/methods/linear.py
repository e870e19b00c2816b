from . import common_params as cp
from .spec import BasePolicy, InputContract, MergeMethod, Scope

METHOD = MergeMethod(
    name="linear",
    pretty_name="Linear",
    doc="A weighted average of the models. Every input, the base included, needs a `weight`.",
    base=BasePolicy.IGNORED,
    contract=InputContract(min=1),
    params=(cp.normalize(True), cp.weight(Scope.INPUT)),
    reference_url="https://arxiv.org/abs/2203.05482",
)
