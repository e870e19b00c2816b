"""mergelint: a linter and language server for mergekit merge configs."""

__version__ = "0.1.0"
