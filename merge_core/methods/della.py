from .gta import EPSILON, task_arithmetic_family

METHOD = task_arithmetic_family(
    "della",
    "DELLA",
    "Drops task-vector entries with a probability that falls with their magnitude "
    "(density +/- epsilon), rescales, then applies TIES sign consensus.",
    normalize=True,
    rescale=True,
    uses_rng=True,
    extra=(EPSILON,),
    reference_url="https://arxiv.org/abs/2406.11617",
)
