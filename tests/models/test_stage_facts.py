"""A reference to a stage of a mergekit-multi stream resolves to what that stage will write."""

from mergelint.document import Source, parse
from mergelint.model_facts import Facts
from mergelint.stage_facts import STAGE, UNKNOWN
from mergelint.stage_index import build

STACKED = """\
name: stacked
merge_method: passthrough
slices:
  - sources:
      - model: ./llama-a
        layer_range: [0, 4]
  - sources:
      - model: ./llama-b
        layer_range: [2, 4]
"""


def facts_of(models, text: str) -> Facts:
    facts = Facts(models.inspector())
    facts.stages = build(parse(Source(text)))
    return facts


def test_slices_make_the_layer_count_and_the_tensor_numbering(models):
    facts = facts_of(models, STACKED + "tokenizer_source: base\n")
    res = facts.resolve("stacked")
    assert res.ok and res.facts.where == STAGE and res.facts.num_layers == 6
    layers = {int(n.split(".")[2]) for n in res.facts.tensors if n.startswith("model.layers.")}
    assert layers == set(range(6))
    assert res.facts.vocab_rows is None  # it builds a tokenizer: its vocabulary is not known here
    assert facts.resolve("./llama-a").facts.num_layers == 4  # the donor's own facts are untouched


def test_a_stage_whose_models_are_not_found_is_unknown_not_missing(models):
    again = "---\nname: again\nmerge_method: passthrough\nslices:\n  - sources:\n      - model: stacked\n" \
            "        layer_range: [0, 2]\n"
    facts = facts_of(models, STACKED.replace("./llama-a", "./nowhere") + again)
    assert facts.resolve("stacked").status == UNKNOWN
    assert facts.resolve("again").status == UNKNOWN  # what it reads is unknown, so is what it makes


def test_stages_in_a_cycle_are_unknown(models):
    loop = "name: {}\nmerge_method: linear\nmodels:\n  - model: {}\n    parameters: {{weight: 1}}\n"
    facts = facts_of(models, loop.format("a", "b") + "---\n" + loop.format("b", "a"))
    assert facts.resolve("a").status == UNKNOWN and facts.resolve("b").status == UNKNOWN
