from .spec import BasePolicy, InputContract, MergeMethod

METHOD = MergeMethod(
    name="arcee_fusion",
    pretty_name="Arcee Fusion",
    doc="Takes the other model's value only where it differs importantly from the base "
    "(by a KL-weighted score above an outlier threshold). Needs the base and exactly one "
    "other model.",
    base=BasePolicy.REQUIRED,
    contract=InputContract(min=2, max=2),
    reference_url="https://www.arcee.ai/blog/meet-mergekit-v0-1-arcee-fusion-expanded-model-support-multi-gpu-acceleration",
    task_vectors=True,
    uses_rng=True,
)
