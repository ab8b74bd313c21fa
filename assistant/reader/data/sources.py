"""The package list (``packages.toml``) as typed records, and what is measured on a document to
select it: its language, its prose sentences, its licence."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...textutil import split_sentences
from .htmltext import DropRules

PACKAGES_FILE = Path(__file__).with_name("packages.toml")


@dataclass(frozen=True)
class PackageSpec:
    name: str
    role: str  # "train" | "heldout"
    format: str  # "html" | "man"
    root: str
    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    min_sentences: int = 3
    sample: int = 0  # 0: every document that qualifies
    pool: float = 3.0
    max_chars: int = 0  # 0: no limit
    batches: int = 0  # question writers' batches of passages (train packages)
    copyright_from: str = ""
    licence_paragraph: str = "*"
    licence: str = ""


@dataclass(frozen=True)
class Batching:
    """How passages are picked for the question writers (``[settings]`` of packages.toml)."""

    batch_size: int = 12
    max_per_document: int = 4
    min_units: int = 3
    max_units: int = 24
    min_prose_units: int = 2


@dataclass(frozen=True)
class Config:
    packages: tuple[PackageSpec, ...]
    reserved: frozenset[str]
    seed: int
    drop: DropRules
    dutch: frozenset[str]
    english: frozenset[str]
    min_dutch_share: float
    batching: Batching = Batching()

    def package(self, name: str) -> PackageSpec:
        for p in self.packages:
            if p.name == name:
                return p
        raise KeyError(f"{name} is not in {PACKAGES_FILE.name}; known: {', '.join(self.names())}")

    def names(self, role: str | None = None) -> list[str]:
        return [p.name for p in self.packages if role is None or p.role == role]


def load_config(path: Path = PACKAGES_FILE) -> Config:
    """The package list; a reserved package or an unknown role in it is an error."""
    raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    reserved = frozenset(raw["settings"]["reserved"])
    packages = []
    for name, d in raw["packages"].items():
        if name in reserved:
            raise ValueError(f"{path}: {name} is reserved for evaluation outside the repository; remove it")
        if d.get("role") not in ("train", "heldout"):
            raise ValueError(f"{path}: [{name}] role must be 'train' or 'heldout', not {d.get('role')!r}")
        fields = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        packages.append(PackageSpec(name=name, **fields))
    h, lang, st = raw["html"], raw["language"], raw["settings"]
    batching = Batching(**{k: int(st[k]) for k in Batching.__dataclass_fields__ if k in st})
    return Config(tuple(packages), reserved, int(st["seed"]),
                  DropRules.of(h["drop_tags"], h["drop_classes"], h["drop_ids"]),
                  frozenset(lang["dutch"]), frozenset(lang["english"]), float(lang["min_share"]), batching)


def body_paragraphs(text: str) -> list[str]:
    """The paragraphs of a converted document that are running text: no headings, no code.

    >>> body_paragraphs("# T\\n\\nEen zin.\\n\\n```\\nls -l\\n\\nrm\\n```\\n\\n- item")
    ['Een zin.', '- item']
    """
    text = re.sub(r"(?ms)^```.*?^```[ \t]*$", "", text)
    return [s for p in re.split(r"\n\s*\n", text) if (s := p.strip()) and not s.startswith("#")]


@dataclass(frozen=True)
class TextStats:
    chars: int
    sentences: int  # every sentence of the running text
    prose: int  # sentences of at least 6 words that end like a sentence
    dutch_share: float  # Dutch function words among the Dutch and English ones


_WORD = re.compile(r"[^\W\d_]+")


def text_stats(text: str, cfg: Config) -> TextStats:
    sentences = [s for p in body_paragraphs(text) for line in p.split("\n")
                 for s in split_sentences(line.removeprefix("- "))]
    prose = sum(1 for s in sentences if len(s.split()) >= 6 and s.rstrip("\"”’)").endswith((".", "!", "?", ":")))
    words = [w.lower() for w in _WORD.findall(" ".join(body_paragraphs(text)))]
    nl = sum(w in cfg.dutch for w in words)
    en = sum(w in cfg.english for w in words)
    return TextStats(len(text), len(sentences), prose, nl / (nl + en) if nl + en else 0.0)


def licence_of(copyright_text: str, paragraph: str = "*") -> str:
    """The ``License:`` short name of the DEP-5 paragraph whose ``Files:`` lists ``paragraph``
    ("*" by default); "" when the file is not machine-readable.

    >>> licence_of("Format: https://x\\n\\nFiles: *\\nLicense: GPL-3+\\n\\nFiles: Doc/*\\nLicense: GFDL-1.3+\\n", "Doc/*")
    'GFDL-1.3+'
    """
    if not copyright_text.startswith("Format:"):
        return ""
    for para in re.split(r"\n\s*\n", copyright_text):
        files = re.search(r"^Files:(.*(?:\n[ \t].*)*)", para, flags=re.M)
        lic = re.search(r"^License:\s*(\S.*)$", para, flags=re.M)
        if files and lic and paragraph in files.group(1).split():
            return lic.group(1).strip()
    return ""
