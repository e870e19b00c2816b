"""mergekit-multi: its config language (`language.py`), a stream's stages as values (`stages.py`)
and running them in order (`run.py`)."""
