"""What the peer-library adapters share: extras checks, the run options they take, the record."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from collections.abc import Mapping, Sequence
from typing import Any

from harness.models._litellm import litellm_module

RUN_OPTIONS = ("enable_inserts", "enable_updates", "enable_deletes", "temperature")
"""The run settings a peer system takes (the rest are the harness's own)."""


def missing(modules: Mapping[str, str]) -> list[str]:
    """The distributions (values) whose module (keys) cannot be imported."""
    return [dist for module, dist in modules.items() if importlib.util.find_spec(module) is None]


def versions(distributions: Sequence[str]) -> dict[str, str]:
    """Installed version of each distribution, for the run record."""
    found = {}
    for name in distributions:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


def settings_for(settings: Mapping[str, Any]) -> dict[str, Any]:
    return {key: settings[key] for key in RUN_OPTIONS if key in settings}


def register_providers() -> None:
    """Make this project's offline providers (scripted/..., local/...) known to litellm,
    which the peer libraries call directly."""
    litellm_module()
