"""Model references: `path[@rev][+lora[@rev]]` and the dict form.

The grammar is mergekit's: split on `+` (at most one), then each side on `@`
(at most one). A path is a local folder when it exists, otherwise a Hub repo id;
that is decided later, by whoever resolves it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

_WINDOWS_ABSOLUTE = re.compile(r"[A-Za-z]:[\\/]|\\\\")  # C:\x, D:/x, \\server\share


def is_absolute(path: str) -> bool:
    """An absolute path here, or on Windows (configs are often checked where they don't run):
    never joined to the working folder."""
    return os.path.isabs(path) or _WINDOWS_ABSOLUTE.match(path) is not None


class ModelReferenceError(ValueError):
    """A reference mergekit cannot use.

    `start`/`end` locate the offending part inside the reference string when
    it was given in string form (offsets into that string), else None.
    """

    def __init__(self, message: str, start: int | None = None, end: int | None = None):
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end


@dataclass(frozen=True)
class ModelPath:
    path: str
    revision: str | None = None

    def __str__(self) -> str:
        return f"{self.path}@{self.revision}" if self.revision else self.path


@dataclass(frozen=True)
class ModelReference:
    model: ModelPath
    lora: ModelPath | None = None
    override_architecture: str | None = None

    def __str__(self) -> str:
        return f"{self.model}+{self.lora}" if self.lora else str(self.model)


def _parse_path(text: str, offset: int, what: str) -> ModelPath:
    if text.count("@") > 1:
        second = text.index("@", text.index("@") + 1)
        raise ModelReferenceError(
            f"more than one '@' in {what} {text!r}: write path@revision "
            "(mergekit fails with 'Invalid model path - multiple @')",
            offset + second,
            offset + len(text),
        )
    path, _, revision = text.partition("@")
    if not path.strip():
        where = f" in {text!r}" if text.strip() else ""
        raise ModelReferenceError(f"empty {what} path{where}", offset, offset + len(text))
    if "@" in text and not revision:
        raise ModelReferenceError(
            f"empty revision after '@' in {text!r}: remove the '@' or name a branch, tag or commit",
            offset + len(path),
            offset + len(text),
        )
    return ModelPath(path, revision or None)


def parse_reference(text: str) -> ModelReference:
    """Parse the string form. Raises ModelReferenceError with the offending span."""
    if not text.strip():
        raise ModelReferenceError("empty model reference", 0, len(text))
    pieces = text.split("+")
    if len(pieces) > 2:
        second = text.index("+", text.index("+") + 1)
        raise ModelReferenceError(
            f"more than one '+' in {text!r}: a reference is MODEL or MODEL+LORA "
            "(mergekit fails with \"Can't parse\")",
            second,
            len(text),
        )
    model = _parse_path(pieces[0], 0, "model")
    lora = None
    if len(pieces) == 2:
        lora = _parse_path(pieces[1], len(pieces[0]) + 1, "LoRA")
    return ModelReference(model, lora)


def _path_from_value(value: object, what: str) -> ModelPath:
    if isinstance(value, str):
        # Inside the dict form '+' is an ordinary character: only '@' splits.
        return _parse_path(value, 0, what)
    if isinstance(value, dict) and isinstance(value.get("path"), str):
        revision = value.get("revision")
        if revision is not None and not isinstance(revision, str):
            raise ModelReferenceError(f"the {what} revision must be a string")
        if not value["path"].strip():
            raise ModelReferenceError(f"empty {what} path")
        return ModelPath(value["path"], revision or None)
    raise ModelReferenceError(f"the {what} must be a path string or {{path, revision}}")


def reference_from_value(value: object) -> ModelReference:
    """A reference from a loaded YAML value: the string or the dict form."""
    if isinstance(value, str):
        return parse_reference(value)
    if isinstance(value, dict):
        if "model" not in value:
            raise ModelReferenceError("a model reference in dict form needs a 'model' key")
        model = _path_from_value(value["model"], "model")
        lora = _path_from_value(value["lora"], "LoRA") if value.get("lora") is not None else None
        arch = value.get("override_architecture")
        if arch is not None and not isinstance(arch, str):
            raise ModelReferenceError("override_architecture must be a string")
        return ModelReference(model, lora, arch)
    raise ModelReferenceError(
        f"a model reference must be a string or a mapping, not {type(value).__name__}"
    )
