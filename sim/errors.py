"""Every error cogov raises on purpose, in two families the command line maps to exit codes.

- :class:`BadInput` (exit 2): the input is wrong — a scenario or experiment file, an override,
  an output directory, a busy sweep directory, a Dask scheduler. Found before anything runs;
  the message names the file, the line and the key path (``file.yaml:14 policy.x: ...``) or
  the option and directory at fault, so it is printed as it is, without a traceback.
- :class:`RunFailure` (exit 1): a run, or writing its outputs, failed after the input was
  accepted; the message says what and where.

This module imports nothing heavy, so the command line can catch these without loading the
model. The classes are also importable from the modules that raise them (``sim.scenario``,
``sim.runner``, ``sim.sweep``), where they were defined before.
"""

from __future__ import annotations

from collections.abc import Iterable


class CogovError(Exception):
    """Base of every error cogov raises on purpose."""


class BadInput(CogovError):
    """Bad input (exit 2): the message locates the problem; nothing ran, nothing was written."""


class MissingExtra(BadInput):
    """A command needs an optional part of cogov that is not installed; the message names the
    extra and the pip command that installs it."""


def require_extra(module: str, extra: str, purpose: str) -> None:
    """Raise :class:`MissingExtra` unless ``module`` can be imported (checked without importing
    it). ``extra`` is the name in ``pip install 'cogov[extra]'``; ``purpose`` says what needs it."""
    from importlib.util import find_spec

    try:
        found = find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package is missing
        found = False
    if not found:
        raise MissingExtra(
            f"{purpose} needs the optional '{extra}' part of cogov, which is not installed: "
            f"pip install 'cogov[{extra}]' (in a checkout: pip install -e '.[{extra}]')")


class RunFailure(CogovError):
    """A run or its outputs failed after the input was accepted (exit 1)."""


class ScenarioError(BadInput, ValueError):
    """Bad scenario or experiment input: every problem located as
    ``file:line key.path: message`` (``problems``, one string each)."""

    def __init__(self, problems: str | Iterable[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class OutputExistsError(BadInput):
    """The output directory exists and is not empty, and overwriting was not asked for."""


class OutputNotWritableError(BadInput):
    """Files cannot be created where the output directory is (or would be): a read-only or full
    file system, no permission, or a file in the way. Found before anything runs."""


class SweepBusyError(BadInput):
    """Another sweep holds the directory's lock."""


class SchedulerError(BadInput):
    """Bad ``--scheduler``: given without the Dask executor, or no Dask scheduler answers."""


class RunError(RunFailure, RuntimeError):
    """A replicate failed; the message names the scenario, replicate and seed."""


class OutputWriteError(RunFailure, OSError):
    """Writing the outputs failed after the runs (e.g. the disk filled up). The message names
    the output directory the caller gave, never a hidden staging path; nothing half-written is
    left there. An ``OSError``, as the underlying failure was."""


class ResultsTypeError(RunFailure, ValueError):
    """``results.parquet`` could not be written because a column mixes value types; the message
    names the column, the types with an example value each, and what to fix. The journal keeps
    every finished run."""
