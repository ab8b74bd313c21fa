"""Share of citations whose section is the document's own heading (issue 20, point 3).

    python scripts/heading_citations.py FOLDER [--out labels.jsonl]

FOLDER holds web pages and their converted copies (``x.html`` and ``x.docx``/``x.odt``/``x.pdf``,
as tests/conftest.py's ``converted`` makes them from debian-faq-nl). Only the copies are indexed (in
a temporary folder); the questions are the pages' own h2 headings. Each citation's section is
compared with the heading the original HTML page puts above the cited text: the label.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from assistant.ingest.chunk import chunk_document
from assistant.ingest.load import CorpusFile, load_file


def _load(path: Path):
    return load_file(CorpusFile(path, path.name, path.stat().st_size, "x"), {}, 50_000_000, [])


def _own(html_doc, quote: str) -> str | None:
    """The innermost heading the HTML page puts above ``quote`` (its first sentence)."""
    probe = " ".join(quote.split(" … ")[0].split())[:120]
    for c in chunk_document(html_doc):
        if probe and probe in " ".join(c.text.split()):
            return c.section.split(" › ")[-1]
    return None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    import subprocess

    from assistant.answer.chain import AnswerEngine
    from assistant.settings import Settings

    htmls = sorted(args.folder.glob("*.html"))
    rows, agree = [], 0
    for ext in ("docx", "odt", "pdf"):  # an index per format: the copies are near-duplicates of each other
        with tempfile.TemporaryDirectory() as tmp:
            corpus = Path(tmp) / "corpus"
            corpus.mkdir()
            for h in htmls:
                if h.with_suffix(f".{ext}").exists():
                    shutil.copy(h.with_suffix(f".{ext}"), corpus)
            settings = Settings(corpus_dir=corpus, index_dir=Path(tmp) / "index", data_dir=Path(tmp) / "data")
            subprocess.run([str(Path(sys.executable).parent / "assistant"), "index", "--corpus", str(corpus),
                            "--index-dir", str(settings.index_dir)], check=True, capture_output=True)
            engine = AnswerEngine(settings)
            for h in htmls:
                html = _load(h)
                for line in html.pages[0].text.split("\n"):
                    if not line.startswith(("## ", "### ")):
                        continue
                    q = line.split(" ", 1)[1].split(". ", 1)[-1]  # the heading without its number
                    for c in engine.ask(q).citations:
                        own = _own(_load(args.folder / f"{Path(c.source).stem}.html"), c.quote)
                        if own is None:
                            continue
                        shown = c.section.split(" › ")[-1]
                        rows.append({"question": q, "source": c.source, "section": c.section, "own_heading": own,
                                     "agree": shown == own, "quote": c.quote[:200]})
                        agree += shown == own
    if args.out:
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    by_fmt: dict[str, list[int]] = {}
    for r in rows:
        by_fmt.setdefault(Path(r["source"]).suffix, [0, 0])
        by_fmt[Path(r["source"]).suffix][0] += r["agree"]
        by_fmt[Path(r["source"]).suffix][1] += 1
    print(f"citations {len(rows)}, section = own heading {agree} ({agree / max(1, len(rows)):.1%});",
          ", ".join(f"{k} {a}/{n}" for k, (a, n) in sorted(by_fmt.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
