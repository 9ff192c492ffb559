"""Namespace templates such as ``("memories", "{user_id}")``, filled from a run's config.

A label may hold any number of ``{name}`` fields (``"{org}-{team}"``); each is looked up in
``config["configurable"]``. The template is checked once, when the manager is built, so a typo in
it fails at construction rather than on the first call.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.errors import ConfigurationError

_FORMATTER = string.Formatter()


@dataclass(frozen=True, slots=True)
class NamespaceTemplate:
    """A checked template and the configurable keys it needs, in order of first use."""

    labels: tuple[str, ...]
    keys: tuple[str, ...]

    @classmethod
    def parse(cls, namespace: Sequence[str]) -> NamespaceTemplate:
        if isinstance(namespace, str) or not isinstance(namespace, Sequence) or not namespace:
            raise ConfigurationError(
                f"namespace must be a non-empty tuple of strings such as "
                f"('memories', '{{user_id}}'), got {namespace!r}"
            )
        keys: dict[str, None] = {}
        for label in namespace:
            if not isinstance(label, str) or not label:
                raise ConfigurationError(
                    f"namespace {tuple(namespace)!r}: every label must be a non-empty string, "
                    f"got {label!r}"
                )
            keys.update(dict.fromkeys(_fields(label, tuple(namespace))))
        return cls(tuple(namespace), tuple(keys))

    def fill(self, config: Mapping[str, Any] | None) -> tuple[str, ...]:
        """The namespace for one call; a missing key is a ConfigurationError that says which."""
        if not self.keys:
            return self.labels
        configurable = configurable_of(config)
        missing = [key for key in self.keys if configurable.get(key) in (None, "")]
        if missing:
            raise ConfigurationError(
                f"namespace template {self.labels!r} needs config['configurable'][{missing[0]!r}]"
                f" (missing: {', '.join(missing)}); the configurable keys given are "
                f"{sorted(configurable) or 'none'}. Pass config={{'configurable': "
                f"{{{missing[0]!r}: ...}}}}"
            )
        values = {key: str(configurable[key]) for key in self.keys}
        return tuple(label.format_map(values) for label in self.labels)


def configurable_of(config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """``config["configurable"]``, or an empty mapping; anything else is a ConfigurationError."""
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise ConfigurationError(
            f"config must be a dict like {{'configurable': {{...}}}}, got {type(config).__name__}"
        )
    configurable = config.get("configurable") or {}
    if not isinstance(configurable, Mapping):
        raise ConfigurationError(
            f"config['configurable'] must be a dict, got {type(configurable).__name__}"
        )
    return configurable


def _fields(label: str, template: tuple[str, ...]) -> list[str]:
    try:
        parsed = list(_FORMATTER.parse(label))
    except ValueError as exc:
        raise ConfigurationError(f"namespace {template!r}: label {label!r}: {exc}") from exc
    names = []
    for _text, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ConfigurationError(
                f"namespace {template!r}: label {label!r}: use plain fields like '{{user_id}}' "
                f"(no indexing, attributes, conversions or format specs), got {{{name}}}"
            )
        names.append(name)
    return names
