"""Errors that are the user's or the harness's, never the server's.

Each is reported as one line and exit code 2, without a traceback:

    UsageError        bad command line or bad configuration (file, env, option)
    TargetUnreachable the base URL does not answer, or answers but is no Flowise API
    HarnessError      the suite itself could not do its work
"""
from __future__ import annotations


class FcError(Exception):
    """Base of every error that ends a run with exit code 2."""


class UsageError(FcError):
    pass


class TargetUnreachable(FcError):
    pass


class HarnessError(FcError):
    pass
