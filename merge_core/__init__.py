"""merge_core: the mergekit configuration language and the merge engine.

It knows nothing of editors or linters; `mergelint` and `lsp` build on it.
"""
