"""The words of mergekit-evolve 0.1.5's config (`mergekit/evo/config.py`, `genome.py`)."""

from __future__ import annotations

GENOME = "genome"
TASKS = "tasks"
# The keys that make a file a mergekit-evolve config.
EVOLVE_KEYS = (GENOME, TASKS)
