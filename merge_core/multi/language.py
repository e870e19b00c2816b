"""The words of mergekit-multi 0.1.5's config (`mergekit/scripts/multimerge.py`): a YAML stream of
mergekit-yaml configs, each with an optional `name:` that later documents use as a model."""

from __future__ import annotations

NAME = "name"
INTERMEDIATE_DIR_OPTION = "--intermediate-dir"
