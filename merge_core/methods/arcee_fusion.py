from ..method_kit.spec import BasePolicy, InputContract, MergeMethod, OptionalTensors

SAMPLE = 1_000_000


def merge(group, params):
    """Keep the other model's change where its importance |X - B| * KL(softmax X || softmax B)
    (per row) reaches median + 1.5 * IQR; quantiles from a 1M-element sample (drawn with
    replacement from the generator) on larger tensors."""
    import torch
    import torch.nn.functional as F

    base = group.base_tensor
    other = group.tensors[group.others[0]]
    diff = (other - base).abs()
    p = F.softmax(other, dim=-1) + 1e-8
    q = F.softmax(base, dim=-1) + 1e-8
    importance = diff * torch.sum(p * torch.log(p / q), dim=-1, keepdim=True)
    flat = importance.reshape(-1)
    if flat.numel() > SAMPLE:
        flat = flat[torch.randint(flat.numel(), (SAMPLE,), device=flat.device, generator=group.generator)]
    ordered, _ = torch.sort(flat)
    qs = (torch.tensor([0.25, 0.5, 0.75]).to(ordered.device) * (ordered.numel() - 1)).long()
    q1, median, q3 = ordered[qs]
    mask = (importance >= median + 1.5 * (q3 - q1)).float()
    return base + (other - base) * mask


METHOD = MergeMethod(
    name="arcee_fusion",
    pretty_name="Arcee Fusion",
    doc="Takes the other model's value only where it differs importantly from the base "
    "(by a KL-weighted score above an outlier threshold). Needs the base and exactly one "
    "other model.",
    base=BasePolicy.REQUIRED,
    contract=InputContract(min=2, max=2),
    merge=merge,
    reference_url="https://www.arcee.ai/blog/meet-mergekit-v0-1-arcee-fusion-expanded-model-support-multi-gpu-acceleration",
    task_vectors=True,
    uses_rng=True,
    optional_tensors=OptionalTensors.PASSTHROUGH_SINGLETON,
    float32_result=True,  # the mask is float32
)
