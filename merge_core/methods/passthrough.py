from ..method_kit.spec import BasePolicy, InputContract, MergeMethod, Param, ParamType, Scope


def merge(group, params):
    """The single input, multiplied by its `scale` when one is set."""
    scale = group.params[0].get("scale")
    x = group.tensors[0]
    return x if scale is None else x * scale


METHOD = MergeMethod(
    name="passthrough",
    pretty_name="Passthrough",
    doc="Copies tensors unchanged from exactly one model per slice: used to stack layers "
    "(frankenmerges) or to bake a `base+lora` reference into a full model.",
    base=BasePolicy.IGNORED,
    contract=InputContract(min=1, max=1),
    merge=merge,
    params=(
        Param(
            "scale",
            ParamType.OPTIONAL_FLOAT,
            Scope.INPUT,
            "Multiply the copied tensor by this factor.",
            default=None,
        ),
    ),
)
