"""Errors the merge engine raises: each names what it was doing (file, tensor, model)."""

from __future__ import annotations


class MergeError(Exception):
    """A merge that cannot go on; the message is meant for the user as is."""


class ConfigError(MergeError):
    """The config asks for something the engine cannot do (or mergekit would refuse)."""


class ModelError(MergeError):
    """A model, adapter or checkpoint file is missing, unreadable or inconsistent."""
