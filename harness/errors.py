"""One exception tree for the whole project.

The CLI turns every ``HarnessError`` into a clear message and a non-zero exit code; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations


class HarnessError(Exception):
    """Root of every error the project raises on purpose."""

    exit_code = 2
    """The command line exits with this code: 2, bad usage or data, unless a subclass says."""


class ConfigurationError(HarnessError):
    """A user-supplied option, template, model name or namespace is invalid."""


class ModelError(HarnessError):
    """A model call failed for good (after retries) or the model is unknown."""

    def __init__(self, message: str, *, model: str | None = None, retryable: bool = False):
        super().__init__(message)
        self.model = model
        self.retryable = retryable


class ModelUnavailableError(ModelError):
    """The provider does not know the model or refuses the credentials: no call can succeed,
    so a run stops at the first such reply instead of failing every case."""


class InvalidModelOutputError(ModelError):
    """The model kept returning output that does not validate, even after the repair round."""


class DatasetError(HarnessError):
    """A dataset file is malformed; ``problems`` has one ``file:line: field: reason`` per fault."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []

    def __str__(self) -> str:
        if not self.problems:
            return super().__str__()
        return super().__str__() + "\n" + "\n".join(f"  {p}" for p in self.problems)


class StoreError(HarnessError):
    """The memory store could not complete an operation."""


class RunFailedError(HarnessError):
    """Every case of a run ended in an error: the run is recorded with status ``failed``."""

    exit_code = 1

    def __init__(self, message: str, *, run_id: str):
        super().__init__(message)
        self.run_id = run_id


class OptimizeFailedError(HarnessError):
    """An optimization could not produce a single proposal (every proposer call failed or
    returned no usable template): nothing was written, the optimization is recorded ``failed``."""

    exit_code = 1

    def __init__(self, message: str, *, opt_id: str):
        super().__init__(message)
        self.opt_id = opt_id
