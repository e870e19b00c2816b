"""mergekit-evolve: its config language (`language.py`)."""
