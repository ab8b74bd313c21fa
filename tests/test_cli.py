"""The real command-line interface, run as a subprocess (``.venv/bin/assistant``)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from assistant.settings import Settings

KUNDE = "samenwerken-kunst-of-kunde.txt"
KUNDE_TITLE = "Samenwerken, een kunst of een kunde? (kerndocument Samenwerken)"
JSON_KEYS = {"chunk_id", "source", "title", "section", "page", "score", "text"}


def run(exe: Path, *args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, encoding="utf-8",
                          timeout=timeout)


def assert_clean_failure(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert proc.stderr.strip(), "a failure must say what went wrong"


def test_help(assistant_exe: Path, cli_env) -> None:
    proc = run(assistant_exe, "--help", env=cli_env())
    assert proc.returncode == 0
    for command in ("index", "search"):
        assert command in proc.stdout
    assert "Samenwerkwijzer" in proc.stdout
    sub = run(assistant_exe, "search", "--help", env=cli_env())
    assert sub.returncode == 0 and "--json" in sub.stdout and "-k" in sub.stdout


@pytest.mark.slow
def test_search_json(assistant_exe: Path, cli_env, corpus_settings: Settings, session_index) -> None:
    env = cli_env(ASSISTANT_INDEX_DIR=str(corpus_settings.index_dir))
    proc = run(assistant_exe, "search", "Wat zijn de vijf dimensies van care?", "--json", "-k", "3", env=env)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert isinstance(results, list) and len(results) == 3
    for r in results:
        assert JSON_KEYS <= set(r)
        assert r["chunk_id"] in session_index.chunks
        assert r["text"] == session_index.chunks[r["chunk_id"]].text
        assert r["page"] is None  # text sources have no pages
    # without -k the setting decides (ASSISTANT_TOP_K)
    proc = run(assistant_exe, "search", "Wat zijn de vijf dimensies van care?", "--json",
               env=cli_env(ASSISTANT_INDEX_DIR=str(corpus_settings.index_dir), ASSISTANT_TOP_K="2"))
    assert proc.returncode == 0 and len(json.loads(proc.stdout)) == 2, proc.stderr
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    assert len({r["chunk_id"] for r in results}) == 3
    assert any(r["source"] == KUNDE and "Empathie" in r["text"] and r["title"] == KUNDE_TITLE for r in results)


@pytest.mark.slow
def test_search_json_with_bm25_retriever(assistant_exe: Path, cli_env, corpus_settings: Settings) -> None:
    env = cli_env(ASSISTANT_INDEX_DIR=str(corpus_settings.index_dir))
    proc = run(assistant_exe, "search", "drie bouwstenen samenwerkingsvaardig", "--json", "-k", "2",
               "--retriever", "bm25", env=env)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert len(results) == 2
    assert all(set(r["ranks"]) == {"bm25"} and r["dense_score"] is None for r in results)
    assert results[0]["source"] == "netwerkleiderschap-in-het-onderwijs.txt"


@pytest.mark.slow
def test_search_readable_output_lists_titles(assistant_exe: Path, cli_env, corpus_settings: Settings) -> None:
    env = cli_env(ASSISTANT_INDEX_DIR=str(corpus_settings.index_dir))
    proc = run(assistant_exe, "search", "Wat zijn de vijf dimensies van care?", "-k", "2", env=env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.startswith(f"[1] {KUNDE_TITLE}") for line in lines), proc.stdout
    assert any(line.startswith("[2] ") for line in lines)
    assert not any(line.startswith("[3] ") for line in lines)
    assert KUNDE in proc.stdout and "score" in proc.stdout


def test_search_without_index_says_to_run_assistant_index(assistant_exe: Path, cli_env, tmp_path: Path) -> None:
    env = cli_env(ASSISTANT_INDEX_DIR=str(tmp_path / "geen-index"))
    proc = run(assistant_exe, "search", "Hoe bouw ik vertrouwen op?", env=env)
    assert_clean_failure(proc)
    assert "assistant index" in proc.stderr
    assert proc.stdout.strip() == ""


@pytest.mark.slow
@pytest.mark.parametrize("question", ["", "   "], ids=["empty", "blank"])
def test_empty_question_is_refused_clearly(assistant_exe: Path, cli_env, corpus_settings: Settings,
                                           question: str) -> None:
    env = cli_env(ASSISTANT_INDEX_DIR=str(corpus_settings.index_dir))
    proc = run(assistant_exe, "search", question, env=env)
    assert_clean_failure(proc)
    assert "leeg" in proc.stderr and "empty" in proc.stderr


@pytest.mark.slow
def test_overlong_question_names_the_limit(assistant_exe: Path, cli_env, corpus_settings: Settings) -> None:
    limit = corpus_settings.max_question_chars
    question = ("Hoe bouw ik vertrouwen op met ouders en jeugdzorg? " * 250)[:10_000]
    assert len(question.strip()) > limit
    proc = run(assistant_exe, "search", question, env=cli_env(ASSISTANT_INDEX_DIR=str(corpus_settings.index_dir)))
    assert_clean_failure(proc)
    assert str(limit) in proc.stderr
    assert str(len(question.strip())) in proc.stderr


def test_index_with_missing_corpus_is_a_clear_error(assistant_exe: Path, cli_env, tmp_path: Path) -> None:
    proc = run(assistant_exe, "index", "--corpus", str(tmp_path / "bestaat-niet"), "--index-dir",
               str(tmp_path / "idx"), env=cli_env())
    assert_clean_failure(proc)
    assert "bestaat-niet" in proc.stderr


@pytest.mark.slow
def test_index_json_summary_reports_skipped_files_with_reasons(
        assistant_exe: Path, cli_env, tmp_path: Path, tiny_corpus: Path, tiny_texts, make_corpus) -> None:
    make_corpus(tiny_corpus, {"leeg.pdf": b"", "nep.pdf": "Dit is tekst, geen PDF.\n", "binair.txt": b"\x00\x01" * 64})
    index_dir = tmp_path / "index"
    args = ("index", "--corpus", str(tiny_corpus), "--index-dir", str(index_dir))
    proc = run(assistant_exe, *args, "--json", env=cli_env())
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["files"] == len(tiny_texts) + 3
    assert summary["chunks"] == len(tiny_texts)
    assert summary["embedded"] == len(tiny_texts) and summary["up_to_date"] is False
    reasons = dict(summary["skipped"])
    assert set(reasons) == {"leeg.pdf", "nep.pdf", "binair.txt"}
    assert "leeg" in reasons["leeg.pdf"] and "PDF" in reasons["nep.pdf"] and "binair" in reasons["binair.txt"]
    assert (index_dir / "CURRENT").read_text(encoding="utf-8").strip() == summary["generation"]

    # a second run finds nothing to do and the readable summary still names the skipped files
    again = run(assistant_exe, *args, env=cli_env())
    assert again.returncode == 0, again.stderr
    assert "Index is actueel" in again.stdout
    assert "Overgeslagen (3)" in again.stdout
    for name, reason in reasons.items():
        assert f"- {name}: {reason}" in again.stdout


@pytest.mark.slow
def test_prepare_prints_plain_text_and_writes_markdown_a_viewer_shows_cleanly(
        assistant_exe: Path, cli_env, corpus_settings: Settings, tmp_path: Path) -> None:
    """Reproduction (issue 22): the terminal and the .md file showed "mbo\\-instelling" and
    "samenwerkingsverband\\." on every line."""
    from helpers import render_markdown

    env = cli_env(ASSISTANT_INDEX_DIR=str(corpus_settings.index_dir))
    args = ("prepare", "--topic", "eerste overleg met een mbo-instelling", "--partners", "mbo, ouders",
            "--goal", "afspraken maken (zie www.example.org)")
    proc = run(assistant_exe, *args, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Voorbereiding overleg: eerste overleg met een mbo-instelling\n")
    assert "\\" not in proc.stdout and "**" not in proc.stdout and "\n#" not in proc.stdout
    assert "  • " in proc.stdout and "\nBronnen\n  [1] " in proc.stdout

    out = tmp_path / "overleg.md"
    proc = run(assistant_exe, *args, "--out", str(out), env=env)
    assert proc.returncode == 0, proc.stderr
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# Voorbereiding overleg: eerste overleg met een mbo-instelling\n")
    plain = md.replace("www\\.", "")  # the one escape: a bare www. address would become a link
    assert "\\-" not in plain and "\\." not in plain and "\\(" not in plain and "\\:" not in plain
    tags, shown = render_markdown(md)
    assert tags <= {"h1", "h2", "p", "ul", "ol", "li", "strong", "em"}, tags  # no link, image or HTML
    assert "\\" not in shown and "afspraken maken (zie www.example.org)" in shown


@pytest.mark.slow
def test_ask_cuts_long_quotes_at_a_word_with_an_ellipsis(assistant_exe: Path, cli_env,
                                                         corpus_settings: Settings) -> None:
    """Reproduction (issue 22): a quote cut for length ended mid-word ("…spelen p”")."""
    env = cli_env(ASSISTANT_INDEX_DIR=str(corpus_settings.index_dir))
    question = "Hoe bouw ik vertrouwen op met ouders en jeugdzorg?"
    proc = run(assistant_exe, "ask", question, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "\\" not in proc.stdout
    quotes = json.loads(run(assistant_exe, "ask", "--json", question, env=env).stdout)["citations"]
    shown = [line.strip()[1:-1] for line in proc.stdout.splitlines() if line.startswith("    “")]
    assert len(shown) == len(quotes) >= 1
    cut = 0
    for line, c in zip(shown, quotes):
        full = " ".join(c["quote"].split())
        if line == full:
            continue
        cut += 1
        assert line.endswith("…") and len(line) <= 300, line
        head = line[:-1]
        assert full.startswith(head) and not full[len(head) - 1].isspace(), line
        assert not full[len(head)].isalnum(), f"cut mid-word: …{head[-20:]}|{full[len(head):len(head) + 10]}"
    assert cut >= 1, "the question's quotes are long enough to be cut"
