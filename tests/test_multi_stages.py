"""merge_core.multi.stages: a mergekit-multi stream's stages, their needs, order and rewriting."""

import pytest
import yaml

from merge_core.multi.stages import StreamError, cycle, order, rewritten, split
from merge_core.references import reference_from_value

LINEAR = "merge_method: linear\nmodels:\n  - model: {a}\n    parameters: {{weight: 1}}\n  - model: {b}\n    parameters: {{weight: 1}}\n"


def stream(*docs) -> list:
    return list(yaml.safe_load_all("---\n".join(docs)))


def test_needs_order_and_rewriting():
    stages = split(stream("name: s2\n" + LINEAR.format(a="s1", b="org/x"), "name: s1\n" + LINEAR.format(a="a", b="b"),
                          LINEAR.format(a="s2@main+./lora", b="org/y")))
    assert [(s.name, s.needs) for s in stages] == [("s2", ["s1"]), ("s1", []), (None, ["s2"])]
    assert [s.name for s in order(stages)] == ["s1", "s2", None]
    final = rewritten(stages[2], {"s1", "s2"}, "merges")
    ref = reference_from_value(final["models"][0]["model"])
    assert (ref.model.path, ref.model.revision, str(ref.lora)) == ("merges/s2", "main", "./lora")
    assert final["models"][1]["model"] == "org/y"


def test_tokenizer_sources_are_references_and_loras_are_not():
    stages = split(stream("name: s1\n" + LINEAR.format(a="a", b="b"),
                          LINEAR.format(a="org/x+s1", b="org/y") + "tokenizer:\n  source: s1\n"))
    assert stages[1].needs == ["s1"]
    assert rewritten(stages[1], {"s1"}, "I")["models"][0]["model"] == "org/x+s1"
    assert rewritten(stages[1], {"s1"}, "I")["tokenizer"]["source"] == {"model": {"path": "I/s1"}}


@pytest.mark.parametrize("docs, message", [
    (("name: a\n" + LINEAR.format(a="x", b="y"), "name: a\n" + LINEAR.format(a="x", b="y")), "Duplicate merge name a"),
    ((LINEAR.format(a="x", b="y"), LINEAR.format(a="x", b="y")), "Multiple unnamed merge configurations"),
    (("name: a\n" + LINEAR.format(a="b", b="y"), "name: b\n" + LINEAR.format(a="a", b="y")),
     "Circular dependency detected involving a"),
    (("name: 1\n" + LINEAR.format(a="x", b="y"),), "name must be a string"),
    ((LINEAR.format(a="x", b="y"), ""), "document 2 is empty"),
])
def test_mergekits_errors(docs, message):
    with pytest.raises(StreamError, match=message):
        order(split(stream(*docs)))


def test_cycle_names_the_stages_and_values_mergekit_mistakes():
    stages = split(stream("name: a\n" + LINEAR.format(a="b", b="y"), "name: b\n" + LINEAR.format(a="c", b="y"),
                          "name: c\n" + LINEAR.format(a="a", b="y"), "name: linear\n" + LINEAR.format(a="x", b="y")
                          + "chat_template: '{{ a + b + c }}'\n"))
    assert cycle(stages) == ["a", "b", "c", "a"]
    assert stages[3].clashes == [(("merge_method",), "linear")]
    assert stages[3].unparsable == [(("chat_template",), "{{ a + b + c }}")]
