"""Schemas the broken test files may name (the loader imports this file)."""

from pydantic import BaseModel


class PreferenceMemory(BaseModel):
    """A lasting preference of the user."""

    category: str
    preference: str
    context: str


SCHEMAS = {"PreferenceMemory": PreferenceMemory}
