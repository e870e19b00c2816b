"""`python -m lsp`: the same as `mergelint lsp`."""

import sys

from .server import run

if __name__ == "__main__":
    args = sys.argv[1:]
    run(args[args.index("--tcp") + 1] if "--tcp" in args[:-1] else None)
