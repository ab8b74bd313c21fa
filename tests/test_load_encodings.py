"""Reading text files in the encodings schools' machines write, and the character limit checked on
the raw text before any cleaning (issue 23, points 1 and 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import DocumentError, TextTooLongError
from assistant.ingest import load
from assistant.ingest.load import CorpusFile, decode_text, load_corpus, load_file

DUTCH = ("Samenwerken is een kunst: financiële belangen, coöperatie en ‘één’ doel. "
         "De ruïne van het oude netwerk werd een café voor de reünie van de school.\n")
CHINESE = "学校与家长的合作非常重要。我们一起讨论了教育计划和学生的发展。老师们每个月见面一次。\n"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_a_byte_order_mark_are_text(tmp_path: Path, codec: str) -> None:
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(codec, b"")
    data = bom + DUTCH.encode(codec)  # "utf-16" and "utf-32" write their own mark
    warnings: list[str] = []
    assert decode_text(data, tmp_path / "brief.txt", warnings) == DUTCH
    assert len(warnings) == 1 and "brief.txt" in warnings[0]


def test_utf16_file_loads_as_a_document(tmp_path: Path, make_corpus) -> None:
    make_corpus(tmp_path, {"brief.txt": ("Samenwerken met ouders\n\n" + DUTCH).encode("utf-16")})
    res = load_corpus(tmp_path)
    assert not res.skipped and "coöperatie en ‘één’ doel" in res.documents[0].text


def test_gb18030_is_read_as_gb18030_not_as_cp1252(tmp_path: Path, make_corpus) -> None:
    data = (CHINESE + "家长会在周三晚上举行，欢迎所有家长参加。\n").encode("gb18030")
    make_corpus(tmp_path, {"家长.txt": data})
    res = load_corpus(tmp_path)
    assert not res.skipped, res.skipped
    assert "学校与家长的合作非常重要" in res.documents[0].text
    assert any("gb18030" in w for w in res.warnings)


@pytest.mark.parametrize("codec", ["cp1252", "latin-1"])
def test_western_text_is_read_as_cp1252_not_as_a_neighbour(tmp_path: Path, codec: str) -> None:
    # charset-normalizer ranks cp1250 first for this text; cp1250 reads "ï" as "ď" ("ruďne")
    warnings: list[str] = []
    text = decode_text(DUTCH.replace("‘", "'").replace("’", "'").encode(codec), tmp_path / "oud.txt", warnings)
    assert "ruïne" in text and "coöperatie" in text and "café" in text
    assert "cp1252" in warnings[0]


def test_utf16_without_a_mark_is_still_refused_as_binary(tmp_path: Path) -> None:
    with pytest.raises(DocumentError) as e:
        decode_text(DUTCH.encode("utf-16-le"), tmp_path / "x.txt", [])
    assert "binary" in e.value.reason


# --- the character limit, before cleaning ---------------------------------------------------------


def _file(path: Path, data: bytes) -> CorpusFile:
    path.write_bytes(data)
    return CorpusFile(path, path.name, len(data), "0")


def test_too_much_raw_text_is_refused_without_cleaning_it(tmp_path: Path, monkeypatch) -> None:
    def no_cleaning(*args, **kwargs):
        raise AssertionError("cleaned a file that was over the limit")

    monkeypatch.setattr(load, "clean_text", no_cleaning)
    cf = _file(tmp_path / "een woord.txt", b"a" * 5000)
    with pytest.raises(TextTooLongError) as e:
        load_file(cf, {}, 10**9, [], max_chars=4999)
    assert (e.value.chars, e.value.limit) == (5000, 4999)
    assert "een woord.txt" in str(e.value) and "5000" in e.value.reason


def test_text_within_the_limit_loads(tmp_path: Path) -> None:
    cf = _file(tmp_path / "kort.txt", "Samenwerken met ouders.\n".encode())
    assert load_file(cf, {}, 10**9, [], max_chars=24).text == "Samenwerken met ouders."


def test_the_limit_counts_characters_not_bytes(tmp_path: Path) -> None:
    cf = _file(tmp_path / "brief.txt", DUTCH.encode("utf-16"))  # twice as many bytes as characters
    assert load_file(cf, {}, 10**9, [], max_chars=len(DUTCH)).text == DUTCH.strip()


def test_too_much_text_in_a_pdf_is_refused_before_cleaning(tmp_path: Path, make_pdf, monkeypatch) -> None:
    pages = [f"Pagina {i}: samenwerken met ouders is belangrijk. " * 20 for i in "abc"]
    pdf = make_pdf(tmp_path / "rapport.pdf", pages)
    cf = CorpusFile(pdf, pdf.name, pdf.stat().st_size, "0")
    assert load_file(cf, {}, 10**9, []).pages  # readable
    monkeypatch.setattr(load, "clean_text", lambda *a, **k: pytest.fail("cleaned a PDF over the limit"))
    with pytest.raises(TextTooLongError) as e:
        load_file(cf, {}, 10**9, [], max_chars=1000)
    assert e.value.chars > 1000 and "rapport.pdf" in str(e.value)
