"""One family of errors, so the CLI can turn every failure into a message and an exit code.

Each error also inherits the fitting built-in, so library users can catch ``ValueError``
or ``OSError`` as usual.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitStatus(IntEnum):
    """Exit codes of the ``kg`` command."""

    OK = 0
    VALIDATION_FAILED = 1
    USAGE_OR_INPUT = 2
    INCOMPLETE_ANSWER = 3


class KgError(Exception):
    """Base of every error kg raises on purpose."""

    exit_status = ExitStatus.USAGE_OR_INPUT


class InputError(KgError, ValueError):
    """Unreadable or malformed input; the message names the file and line."""

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        self.path = Path(path) if path is not None else None
        self.line = line
        self.reason = message
        where = ""
        if self.path is not None:
            where = self.path.name if line is None else f"{self.path.name}:{line}"
            where += ": "
        super().__init__(where + message)

    def __reduce__(self) -> tuple[type[InputError], tuple[str, Path | None, int | None]]:
        """Keep file and line when the error crosses from a worker process."""
        return type(self), (self.reason, self.path, self.line)


class ConfigError(KgError, ValueError):
    """A bad option or configuration value."""


class QueryError(KgError, ValueError):
    """A SPARQL query that cannot be parsed, bound or run."""


class EndpointError(KgError, ConnectionError):
    """A remote SPARQL endpoint that failed, timed out or answered nonsense.

    ``transient`` says whether the same request may succeed later (HTTP 429 and 5xx, time-outs,
    cut or garbled answers), ``retry_after`` how long the server asked clients to wait.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        transient: bool = False,
    ) -> None:
        self.status = status
        self.retry_after = retry_after
        self.transient = transient
        super().__init__(message)


class IncompleteAnswer(EndpointError):
    """An endpoint answered with only part of the results (it caps rows): never passed on as
    the answer, since a capped answer looks exactly like a complete one."""

    exit_status = ExitStatus.INCOMPLETE_ANSWER


class ExportError(KgError, OSError):
    """Exports could not be written; the previous exports are untouched."""


class ValidationFailed(KgError):
    """The graph violates the SHACL shapes; carries the readable report."""

    exit_status = ExitStatus.VALIDATION_FAILED

    def __init__(self, report: str):
        self.report = report
        super().__init__(report)
