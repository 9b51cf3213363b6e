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

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


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


@dataclass(frozen=True)
class Problem:
    """One located problem of the input: where (``file`` and ``line``, and the dotted ``key``
    path inside the file) and what (``message``). ``str()`` gives the one-line form the
    command line prints, ``file:line key.path: message`` (INTERFACE.md); parts that are unknown
    are left out (``file: message``, ``key.path: message``).

    ``file`` is the file's path as the user gave it, or the label of another origin such as
    ``--set policy.devolution``; ``line`` is 1-based; ``key`` is the key path as YAML and
    ``--set`` write it (``policy.schedule[0].set.devolution``), ``""`` for the top level of a
    file (shown ``(top level)``) and None when the problem is not about a key (a file that
    cannot be read). Code that needs the place reads the fields; nothing parses the text."""

    message: str
    file: str | None = None
    line: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        place = (self.file or "") + (f":{self.line}" if self.file and self.line else "")
        key = (self.key or "(top level)") if self.key is not None else ""
        head = " ".join(part for part in (place, key) if part)
        return f"{head}: {self.message}" if head else self.message


class ScenarioError(BadInput, ValueError):
    """Bad scenario or experiment input: every problem located.

    ``located`` holds the :class:`Problem` records (file, line, key path, message);
    ``problems`` the same as strings, ``file:line key.path: message``, one each, for callers
    that print or compare text. Two attributes rather than a ``str`` subclass of Problem: a
    string that also carries fields invites code to read the text where it should read the
    fields (which is how a regular expression once re-parsed schedule errors), and the text
    is only ever derived from the fields, never the other way round. A plain string given
    here is kept as an unlocated Problem whose message is the whole string."""

    def __init__(self, problems: str | Problem | Iterable[str | Problem]):
        if isinstance(problems, str | Problem):
            problems = [problems]
        self.located = [p if isinstance(p, Problem) else Problem(str(p)) for p in problems]
        self.problems = [str(p) for p in self.located]
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


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``options`` to a misspelt ``word``, or ""
    when none is close (difflib ratio ≥ 0.6): the one suggestion every bad-name message gives."""
    hint = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{hint[0]}'?)" if hint else ""
