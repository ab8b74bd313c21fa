"""Ingestion text work costs time linear in its input, and repairs alter no correct text.

One long word froze the web app for minutes (issue 23): ``dehyphenate`` and ``fix_mojibake`` retried
a pattern at every character of a long run, so ``clean_text("a" * 40000)`` took ~10 s and doubling
the input quadrupled it. Here fixed adversarial inputs of 1 MB go through every public function of
``ingest/clean.py``, the chunker, sentence and unit splitting, role tagging and deduplication, each
within a time budget, and doubling the input must roughly double the time.

Times are CPU time of the calling thread (``time.thread_time``) with the garbage collector off, the
best of up to three runs: the machine is shared, threads other tests leave behind count in the
process's CPU time, a collection walks the whole session's heap, and the budget is about this code,
not about what else runs.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from assistant import roles, textutil, units, unitsplit
from assistant.ingest import chunk, clean, dedup
from assistant.ingest.load import decode_text, guess_title
from assistant.records import Document, Page

MB = 1_000_000
BUDGET_S = 1.0  # per function and input of 1 MB


def adversarial(n: int) -> dict[str, str]:
    """Inputs of about ``n`` characters that made (or could make) a backtracking pattern quadratic."""
    return {
        "one character": "a" * n,
        "spaces": " " * n,
        "letters with hyphens": "a-" * (n // 2),
        "hyphens at line ends": "a-\n" * (n // 3),
        "long word hyphenated at its end": "a" * (n - 8) + "-\nwoord",
        "mojibake e-acute": "Ã©" * (n // 2),
        "mojibake quote": "â€" * (n // 2),
        "replacement characters": "\ufffd" * n,
        "replacement character in a word": "a\ufffd" * (n // 2),
        "digits": "1" * n,
        "long word with a footnote-like number": "a" * (n - 3) + "12 ",
        "initials": "A. " * (n // 3),
        "short sentences": "a. A " * (n // 5),
        "citation commas": "(1," * (n // 3),
        "short lines": "a\n" * (n // 2),
        "blank lines": "\n" * n,
        "numbered lines": "1\n" * (n // 2),
        "caps lines": "AAAA\n" * (n // 5),
        "dotted word": "a." * (n // 2) + " ",
        "quotes": "'" * (n - 1) + "x",
        "bullets": "• " * (n // 2),
        "spaces before a statistic": "N" + " " * (n - 2) + "x",
        "unclosed fences": "```x\n" * (n // 5),  # each would be scanned to the end for its closing fence
        "fences": "```\n" * (n // 4),
        "prompt lines": "$ ls\n" * (n // 5),
        "long word before an at sign": "a" * (n - 6) + "@b:~$ x",
    }


def _doc(text: str) -> Document:
    return Document(id="lang.txt", title="Lang", source="lang.txt", pages=(Page(None, text),), meta={}, file_hash="0")


def _chunks(text: str) -> dict[str, list]:
    cs = chunk.chunk_document(_doc(text))  # the same passages in two documents: all are duplicates
    return {"a.txt": cs, "b.txt": [replace(c, doc_id="b.txt", sources=("b.txt",)) for c in cs]}


FUNCTIONS: dict[str, Callable[[str], object]] = {
    "normalize_unicode": clean.normalize_unicode,
    "fix_mojibake": clean.fix_mojibake,
    "fix_bullets": clean.fix_bullets,
    "dehyphenate": clean.dehyphenate,
    "drop_footnote_numbers": clean.drop_footnote_numbers,
    "footnote_numbers": clean.footnote_numbers,
    "drop_footnote_markers": lambda t: clean.drop_footnote_markers(t, {"1", "12"}),
    "move_footnotes": clean.move_footnotes,
    "is_running_header": clean.is_running_header,
    "drop_running_headers": clean.drop_running_headers,
    "dedupe_urls": clean.dedupe_urls,
    "collapse_whitespace": clean.collapse_whitespace,
    "clean_text": clean.clean_text,
    "code_blocks": lambda t: clean.code_blocks(t.split("\n")),
    "strip_page_furniture": lambda t: clean.strip_page_furniture([t[i::4] for i in range(4)]),
    "parse_blocks": chunk.parse_blocks,
    "chunk_document": lambda t: chunk.chunk_document(_doc(t)),
    "split_sentences": textutil.split_sentences,
    "words": textutil.words,
    "split_glued_heading": unitsplit.split_glued_heading,
    "split_after_citation": unitsplit.split_after_citation,
    "split_notes": unitsplit.split_notes,
    "units_of": lambda t: units.split_units(t, 0),  # units_of caches: a second call would cost nothing
    "paragraphs": units.paragraphs,
    "locate": lambda t: units.locate(t, t[-40:]),
    "role_of": roles.role_of,
    "shingles": dedup.shingles,
    "decode_text": lambda t: decode_text(t.encode("utf-8"), Path("lang.txt"), []),
    "guess_title": lambda t: guess_title(t, Path("lang.txt")),
}


def cpu_seconds(f: Callable[[], object], runs: int = 3, enough: float = 0.0) -> float:
    """The least CPU time of up to ``runs`` calls (stops early once one takes at most ``enough``)."""
    best = float("inf")
    gc.collect()
    gc.disable()  # a full collection walks the whole test session's heap: not this code's cost
    try:
        for _ in range(runs):
            start = time.thread_time()
            f()
            best = min(best, time.thread_time() - start)
            if best <= enough:
                break
    finally:
        gc.enable()
    return best


@pytest.mark.slow
@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_function_handles_a_megabyte_of_adversarial_text_within_budget(name: str) -> None:
    f = FUNCTIONS[name]
    slow = {label: s for label, text in adversarial(MB).items()
            if (s := cpu_seconds(lambda: f(text), enough=BUDGET_S)) > BUDGET_S}
    assert not slow, f"{name} over {BUDGET_S} s of CPU on 1 MB: {slow}"


@pytest.mark.slow
def test_deduplication_of_a_megabyte_of_adversarial_chunks_within_budget() -> None:
    for label, text in adversarial(MB).items():
        by_doc = _chunks(text)
        s = cpu_seconds(lambda: dedup.dedup_chunks(by_doc), enough=BUDGET_S)
        assert s <= BUDGET_S, (label, s)


# The inputs that cost most per character, and the functions that were quadratic on them.
SCALING = [
    ("clean_text", "one character"), ("clean_text", "hyphens at line ends"), ("clean_text", "mojibake e-acute"),
    ("dehyphenate", "long word hyphenated at its end"), ("fix_mojibake", "replacement character in a word"),
    ("role_of", "spaces before a statistic"), ("split_after_citation", "citation commas"),
    *(pytest.param(*case, marks=pytest.mark.slow)  # a second or more each: in the slow run
      for case in (("chunk_document", "short lines"), ("split_sentences", "short sentences"),
                   ("units_of", "initials"))),
]


@pytest.mark.parametrize(("name", "label"), SCALING)
def test_doubling_the_input_roughly_doubles_the_time(name: str, label: str) -> None:
    f = FUNCTIONS[name]
    small, large = adversarial(50_000)[label], adversarial(100_000)[label]
    t_small = cpu_seconds(lambda: f(small))
    t_large = cpu_seconds(lambda: f(large))
    assert t_large < 3 * max(t_small, 0.002), (name, label, t_small, t_large)  # quadratic would be 4x


def test_clean_text_of_the_probe_inputs_is_fast() -> None:
    # the probe: 40,000 characters without a space took ~10 s, 80,000 ~40 s
    for n in (40_000, 80_000):
        for text in ("a" * n, "a-" * (n // 2), "Ã©" * (n // 2), "\ufffd" * n):
            assert cpu_seconds(lambda: clean.clean_text(text)) < 0.25, (n, text[:4])


# --- repairs alter no correct text --------------------------------------------------------------

WORDS_WITH_DIGITS = ["home0", "krb5", "ext4", "ipv6", "base64", "python3", "utf8", "Windows11",
                     "/skole/tjener/home0"]


@pytest.mark.parametrize("word", WORDS_WITH_DIGITS)
def test_digits_that_belong_to_a_word_survive_cleaning(word: str) -> None:
    text = f"Standaard worden reservekopieën van {word}, /etc/ en {word} gemaakt. Installeer {word} eerst.\n"
    assert clean.clean_text(text) == text.strip()
    assert f" {word}." in clean.clean_text(f"Gebruik {word}.\n\nDaarna verder.")


def test_a_word_with_digits_survives_next_to_real_footnotes() -> None:
    # footnote 1 exists, so "Zorgprimair1" loses its marker; no footnote 3, 4, 5 or 64: the words stay
    text = ("In Zorgprimair1 schetste zij het beeld. Start python3 met ext4 en krb5, base64 gecodeerd.\n\n"
            "1 Zie Themanummer Zorg Primair, 2016.")
    out = clean.clean_text(text)
    assert "In Zorgprimair schetste" in out
    assert "python3 met ext4 en krb5, base64 gecodeerd" in out


def test_the_corpus_footnote_markers_are_still_removed(repo_root: Path) -> None:
    def cleaned(name: str) -> str:
        return clean.clean_text((repo_root / "corpus" / name).read_text(encoding="utf-8"))

    gezichten = cleaned("samenwerken-kent-vele-gezichten.txt")
    assert "In Zorgprimair schetste" in gezichten and "Zorgprimair1" not in gezichten
    assert "1. Themanummer Zorg Primair" in gezichten  # its footnote
    assert "onderzoek en praktijk" in gezichten and "praktijk2" not in gezichten
    thuis = cleaned("thuis-in-samenwerking.txt")
    for marked in ("TECHNIEKONDERWIJS2", "samenwerking3", "Klaster6", "doelen8", "innoveren10",
                   "verbreed.7", "leiderschap.9"):
        assert marked not in thuis, marked
    assert "Esther Klaster, adv" in thuis and "meerdere doelen:" in thuis


def test_footnote_numbers_come_from_footnote_lines_only() -> None:
    assert clean.footnote_numbers("3  Zie Dimensies 26.\n1. Themanummer\n2 | Kiezen\n12\n0 tot 4 jaar\n07 Zie") \
        == frozenset({"1", "3"})


def test_a_url_in_running_text_is_never_shortened() -> None:
    url = "https://www.canonberoepsonderwijs.nl/Regionale-samenwerking"
    text = f"Zie de canon: {url}\n\nLees {url} voor de canon.\n{url}"
    assert clean.clean_text(text).split("\n") == [f"Zie de canon: {url}", "", f"Lees {url} voor de canon."]
