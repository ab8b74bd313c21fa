"""The domain profile: what the product knows about its field, as data.

A profile is one TOML file (bundled ones in ``assistant/data/profiles/``; ``ASSISTANT_PROFILE`` names
one or gives a path): the field's words, the scope rules' word lists, the intent cues and the
meeting-prep queries. The code that uses them (``answer/abstain.py``, ``answer/intent.py``,
``prepare.py``) holds no word of any field.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .prompts import ERRORS

BUNDLED = Path(__file__).parent / "data" / "profiles"
DEFAULT_INTENTS = Path(__file__).parent / "data" / "intents.toml"


@dataclass(frozen=True)
class PrepQuery:
    key: str
    title: str
    query: str  # with {topic}, {partners} and {goal}
    partner_query: str = ""  # asked once per partner instead ({partner}, {topic}) when set
    roles: frozenset[str] = frozenset()  # the unit roles the section may show (empty: any content)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: load() reads each file once
class Profile:
    name: str
    path: Path
    field_words: frozenset[str]
    field_parts: tuple[str, ...]
    field_prefixes: tuple[str, ...]
    not_in_english: frozenset[str]
    english_function_words: frozenset[str]
    request_objects: tuple[str, ...]
    command_verbs: tuple[str, ...]
    request_end_verbs: tuple[str, ...]
    off_field: tuple[str, ...]
    off_field_unless: tuple[str, ...]
    quantity_nouns: tuple[str, ...]
    vague_amounts: frozenset[str]
    number_words: tuple[str, ...]
    intents: dict[str, Any]
    prep: tuple[PrepQuery, ...]

    def names_field(self, word: str) -> bool:
        """Whether one (folded) word is a word of the field."""
        return (word in self.field_words or word.startswith(self.field_prefixes)
                or any(p in word for p in self.field_parts))


def alternation(phrases: tuple[str, ...]) -> str:
    """A regex group matching any of the phrases literally (a space matches any whitespace); with
    no phrases, a group that never matches."""
    if not phrases:
        return "(?!)"
    return "(?:" + "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in phrases) + ")"


def _strings(table: dict[str, Any], key: str, where: Path) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(ERRORS["profile_list"].format(path=where, key=key))
    return tuple(v.lower() for v in value)


def _intents(data: dict[str, Any], where: Path) -> dict[str, Any]:
    ref = data.get("intents")
    if isinstance(ref, dict):
        return ref
    path = DEFAULT_INTENTS if ref is None else (where.parent / str(ref)).resolve()
    return _read(path)


def _prep(data: dict[str, Any]) -> tuple[PrepQuery, ...]:
    return tuple(PrepQuery(key=p["key"], title=p["title"], query=p["query"],
                           partner_query=p.get("partner_query", ""), roles=frozenset(p.get("roles", ())))
                 for p in data.get("prep", []))


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(ERRORS["profile_unreadable"].format(path=path, reason=e.strerror)) from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(ERRORS["profile_toml"].format(path=path, error=e)) from e


def resolve(spec: str) -> Path:
    """A bundled profile's name ("education") or a path to a TOML file."""
    spec = (spec or "education").strip()
    bundled = BUNDLED / f"{spec}.toml"
    if "/" not in spec and "\\" not in spec and not spec.endswith(".toml") and bundled.exists():
        return bundled
    path = Path(spec).expanduser()
    if path.is_file():
        return path.resolve()
    names = ", ".join(sorted(p.stem for p in BUNDLED.glob("*.toml")))
    raise ConfigError(ERRORS["profile_missing"].format(spec=spec, names=names))


@lru_cache(maxsize=8)
def load(spec: str = "education") -> Profile:
    """The profile named or pointed to by ``spec`` (read once per spec)."""
    path = resolve(spec)
    data = _read(path)
    fld, scope, qty = data.get("field", {}), data.get("scope", {}), data.get("quantity", {})
    return Profile(
        name=str(data.get("name", path.stem)), path=path,
        field_words=frozenset(_strings(fld, "words", path)), field_parts=_strings(fld, "parts", path),
        field_prefixes=_strings(fld, "prefixes", path),
        not_in_english=frozenset(_strings(fld, "not_in_english", path)),
        english_function_words=frozenset(_strings(fld, "english_function_words", path)),
        request_objects=_strings(scope, "request_objects", path),
        command_verbs=_strings(scope, "command_verbs", path),
        request_end_verbs=_strings(scope, "request_end_verbs", path),
        off_field=_strings(scope, "off_field", path), off_field_unless=_strings(scope, "off_field_unless", path),
        quantity_nouns=_strings(qty, "nouns", path), vague_amounts=frozenset(_strings(qty, "vague", path)),
        number_words=_strings(qty, "number_words", path),
        intents=_intents(data, path), prep=_prep(data),
    )


def active() -> Profile:
    """The profile the settings name (``ASSISTANT_PROFILE``). Building Settings costs about 1.5 ms
    and the answer path asks per sentence, so the choice is cached per value of the variable."""
    return _active(os.environ.get("ASSISTANT_PROFILE"))


@lru_cache(maxsize=8)
def _active(env: str | None) -> Profile:
    from .settings import Settings

    return load(Settings().profile)
