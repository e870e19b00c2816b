"""The language server (pygls): diagnostics, fixes, completion and hover over LSP."""
