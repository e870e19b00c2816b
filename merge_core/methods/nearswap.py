from .spec import BasePolicy, Bounds, InputContract, MergeMethod, Param, Scope

METHOD = MergeMethod(
    name="nearswap",
    pretty_name="NearSwap",
    doc="Takes the other model's value where it is close to the base (within about `t`) and "
    "keeps the base elsewhere. Needs the base and exactly one other model.",
    base=BasePolicy.REQUIRED,
    contract=InputContract(min=2, max=2),
    params=(
        Param(
            "t",
            "float",
            Scope.SHARED,
            "Similarity threshold: entries whose difference is below t are swapped in.",
            bounds=Bounds(0.0, low_open=True, why="with t of 0 or less nothing is swapped in"),
        ),
    ),
    reference_url="https://huggingface.co/alchemonaut/QuartetAnemoi-70B-t0.0001",
    task_vectors=True,
)
