"""mergekit-multi: its config language (`language.py`)."""
