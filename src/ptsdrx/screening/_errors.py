"""Errors raised while loading rules or site files, or when a result is inconsistent."""

from __future__ import annotations

from ptsdrx._datafiles import DataFileError


class RuleFileError(DataFileError):
    """A rules, drug-class or site file is malformed; the message names the entry and field."""


class ScreeningInconsistency(AssertionError):
    """A screening result contradicts its own rule trace (a bug, never a patient state)."""
