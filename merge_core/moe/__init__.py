"""mergekit-moe: its config language (`language.py`)."""
