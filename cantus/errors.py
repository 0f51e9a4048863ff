"""Error types the CLI and dashboard turn into one clear line."""

from __future__ import annotations


class CantusError(Exception):
    """Base class for errors cantus reports without a traceback (exit code 1)."""

    exit_code = 1


class BadInput(CantusError):
    """The user gave something we cannot use: unknown id, empty query, unreadable file (exit 2)."""

    exit_code = 2


class MissingArtifact(CantusError):
    """A model, index or catalog the command needs is absent or was built by another encoder."""

    exit_code = 1


class TokenError(BadInput, ValueError):
    """Music that cannot be tokenised or decoded (a ``ValueError`` and a ``BadInput``)."""
