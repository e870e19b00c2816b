from ..method_kit.ram_family import EPSILON, reinforced
from ..method_kit.spec import BasePolicy, InputContract, MergeMethod


def merge(group, params):
    """Sum the changes only one model makes; average shared changes over the models making them."""
    return reinforced(group, params["epsilon"])


METHOD = MergeMethod(
    name="ram",
    pretty_name="Reinforced Agent Merging",
    doc="Adds changes made by only one model as they are and averages changes shared by "
    "several models over the models that made them.",
    base=BasePolicy.REQUIRED,
    contract=InputContract(min=1),
    merge=merge,
    params=(EPSILON,),
    reference_url="https://arxiv.org/abs/2601.13572",
    task_vectors=True,
)
