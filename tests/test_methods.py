"""The registry declares mergekit 0.1.5's 20 methods exactly as mergekit does.

tests/data/mergekit-0.1.5-registry.json was dumped from mergekit 0.1.5's own
registry (names, base policy, input contract, optional-tensor policy, every parameter's
type, scope, default and required flag); the task-arithmetic family's recipe is compared
with the installed mergekit's registry itself.
"""

import json
from pathlib import Path

import pytest

from merge_core.method_kit.spec import Counted, OptionalTensors, ParamType
from merge_core.methods import METHODS

REFERENCE = json.loads((Path(__file__).parent / "data" / "mergekit-0.1.5-registry.json").read_text())
BY_NAME = {m["name"]: m for m in REFERENCE["methods"]}
TYPES = {"float": "float", "bool": "bool", "int": "int", "Optional[float]": "optional_float"}


def test_same_twenty_methods():
    assert sorted(METHODS) == sorted(BY_NAME)
    assert len(METHODS) == 20


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_parameters_match_mergekit(name):
    ours = METHODS[name]
    theirs = {p["name"]: p for p in BY_NAME[name]["parameters"]}
    assert {p.name for p in ours.params} == set(theirs)
    for p in ours.params:
        t = theirs[p.name]
        assert p.scope.value == t["scope"], p.name
        assert p.required == t["required"], p.name
        assert p.type is ParamType(TYPES[t["type"]]), p.name
        if not p.required:
            assert p.default == t["default"], p.name


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_base_policy_and_contract_match_mergekit(name):
    ours, theirs = METHODS[name], BY_NAME[name]
    assert ours.base.value == theirs["base_policy"]
    contract = theirs["input_contract"]
    if ours.contract.counted is Counted.NON_BASE:
        assert (ours.contract.min, ours.contract.max) == (contract["min_non_base"], contract["max_non_base"])
    else:
        assert (ours.contract.min, ours.contract.max) == (contract["min_inputs"], contract["max_inputs"])
        assert contract["min_non_base"] is None and contract["max_non_base"] is None


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_optional_tensor_policy_matches_mergekit(name):
    assert METHODS[name].optional_tensors is OptionalTensors(BY_NAME[name]["optional_tensor_policy"])


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_task_arithmetic_recipe_matches_mergekit(name):
    """Consensus and sparsification as mergekit's registry builds its GeneralizedTaskArithmeticMerge
    instances; the other methods declare neither."""
    from mergekit.merge_methods import registry
    from mergekit.merge_methods.generalized_task_arithmetic import GeneralizedTaskArithmeticMerge

    ours, theirs = METHODS[name], registry.get(name)
    if not isinstance(theirs, GeneralizedTaskArithmeticMerge):
        assert (ours.consensus, ours.sparsification) == (None, None)
        return
    assert ours.consensus == theirs.consensus_method
    assert ours.sparsification == theirs.sparsification_method
    assert ours.uses_rng == (theirs.sparsification_method in ("random", "della_magprune"))


def test_every_module_in_methods_is_one_method():
    """merge_core/methods/ holds exactly one module per method (helpers live in method_kit)."""
    import pkgutil

    import merge_core.methods as package

    modules = {info.name for info in pkgutil.iter_modules(package.__path__)}
    assert modules == {m.name for m in METHODS.values()}


def test_every_parameter_is_documented():
    for method in METHODS.values():
        assert method.doc and method.pretty_name
        for p in method.params:
            assert len(p.doc) > 20, (method.name, p.name)
