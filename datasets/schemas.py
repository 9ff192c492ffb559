"""Structured memory schemas used by the bundled datasets.

A case picks one of them by name in its ``schema`` field; the loader reads :data:`SCHEMAS` from
this file (the plain ``Memory`` schema is built in and not listed here). Each class docstring is
the tool description a model sees, so it says when to call the tool, not only what it holds.
Fields are plain strings so any model can fill them and the text form stays readable.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class PreferenceMemory(BaseModel):
    """Record one lasting preference of the user: something they like, dislike, prefer or avoid.

    Call it when the user states how they want things done or what they enjoy (food, tools, style,
    schedule, communication). Update the existing record instead of adding a new one when the
    preference changes. Do not use it for one-off requests or for facts about other people.
    """

    category: str = Field(
        description="Short area the preference belongs to, e.g. 'food', 'ui', 'travel', 'music'."
    )
    preference: str = Field(
        description="What the user prefers or avoids, stated plainly, e.g. 'dark mode'."
    )
    context: str = Field(
        description="When or why it applies, as the user said it; empty if nothing was said."
    )


class PersonFact(BaseModel):
    """Record a lasting fact about someone in the user's life (family, friend, colleague, pet).

    Call it when the user tells you something about another person or animal that will matter
    later: where they live, what they do, what they like, a health or dietary need. Facts about
    the user themself do not belong here. Update the existing record when the fact changes.
    """

    name: str = Field(description="The person's or pet's name, or a description if unnamed.")
    relation: str = Field(
        description="Their relation to the user, e.g. 'sister', 'manager', 'dog'."
    )
    fact: str = Field(description="The fact itself, as one short self-contained statement.")


class Event(BaseModel):
    """Record a time-bound plan or commitment of the user: an appointment, trip, exam, deadline.

    Call it when the user mentions something happening at a specific time or until a certain date.
    Write the date as absolute as the conversation allows (resolve 'next Tuesday' against today's
    date when it is known). Update the record when the plan moves; do not store past small talk.
    """

    title: str = Field(description="Short name of the event, e.g. 'dentist appointment'.")
    date: str = Field(
        description="When it happens or ends, ISO date (YYYY-MM-DD) when known, else as said."
    )
    details: str = Field(
        description="Place, time of day, people involved or other useful details; may be empty."
    )


SCHEMAS: dict[str, type[BaseModel]] = {
    "PreferenceMemory": PreferenceMemory,
    "PersonFact": PersonFact,
    "Event": Event,
}
"""Structured schemas selectable by name from a case's ``schema`` field."""

__all__ = ["SCHEMAS", "Event", "PersonFact", "PreferenceMemory"]
