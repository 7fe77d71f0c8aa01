"""Enums whose members carry a title in the reader's language (indico's `__titles__`): a
status's or a role's name lives beside the enum, not in a table of every feature's names."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar


class TitledEnum(enum.StrEnum):
    """A string enum whose `__titles__` maps each value to its (lazily translated) title."""

    __titles__: ClassVar[Mapping[str, Any]] = {}

    @classmethod
    def titles(cls) -> dict[TitledEnum, Any]:
        """Each member with its title, still lazy: for form choices built at import time."""
        return {member: cls.__titles__.get(member.value, member.value) for member in cls}

    @property
    def label(self) -> str:
        """The member's title in the current language."""
        return str(type(self).__titles__.get(self.value, self.value))


def label_of(value: str, enums: Iterable[type[TitledEnum]]) -> str:
    """The title of `value` in the first of `enums` that has it; the value itself otherwise."""
    for kind in enums:
        if value in kind.__titles__:
            return str(kind.__titles__[value])
    return value
