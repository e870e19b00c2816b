"""The wheels of wheels.txt: `python wheels.py all` lists every requirement (for fetch_wheels.sh),
`python wheels.py missing` those this Python lacks or has older (for run.sh), one a line."""

from __future__ import annotations

import importlib.metadata
import os
import sys

from packaging.requirements import Requirement
from packaging.version import Version


def requirements() -> list[Requirement]:
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "wheels.txt")) as f:
        lines = [line.split("#")[0].strip() for line in f]
    return [Requirement(line) for line in lines if line]


def missing(req: Requirement) -> bool:
    if req.marker is not None and not req.marker.evaluate():
        return False
    try:
        have = Version(importlib.metadata.version(req.name))
    except importlib.metadata.PackageNotFoundError:
        return True
    pinned = next(Version(s.version) for s in req.specifier)
    return have < pinned or (req.name == "mergekit" and have != pinned)


if __name__ == "__main__":
    for req in requirements():
        if sys.argv[1] == "all" or missing(req):
            print(f"{req.name}{req.specifier}")
