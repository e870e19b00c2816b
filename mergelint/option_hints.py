"""'Did you mean' for an unknown option only when it is a near spelling of a real one.

click offers every option within difflib's 0.6 of '--name', dashes included, so '--frobnicate'
got '--force' and '--online'. The names are compared without their dashes, at 0.7: '--cude'
still gets '--cuda' and '--strcit' '--strict', but '--strcit' no longer gets '--select'.
"""

from __future__ import annotations

from difflib import SequenceMatcher

import click

CUTOFF = 0.7


def near(option: str, candidates) -> list[str]:
    bare = option.lstrip("-")
    close = [c for c in candidates if SequenceMatcher(None, bare, c.lstrip("-")).ratio() >= CUTOFF]
    # '--lazy-unpikle' means '--lazy-unpickle', not also its '--no-' twin
    return [c for c in close if not (c.startswith("--no-") and "--" + c[5:] in close and not bare.startswith("no-"))]


class HintingCommand(click.Command):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as e:
            e.possibilities = near(e.option_name, e.possibilities or ())
            raise
