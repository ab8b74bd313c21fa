"""Fidelity counts per corpus and format (issue 20): characters of shown units altered outside the
documented normalisations (assistant.ingest.fidelity).

    python scripts/fidelity_counts.py corpus:corpus faq:/tmp/lo [-v]

Each argument is NAME:FOLDER; every supported file of the folder is loaded as `assistant index` loads it.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from assistant.ingest.fidelity import Source, Tally, code_kept, extracted_text, shown_units
from assistant.ingest.load import list_corpus, load_file, read_metadata


def tallies(name: str, folder: Path) -> dict[tuple[str, str], Tally]:
    out: dict[tuple[str, str], Tally] = defaultdict(Tally)
    meta = read_metadata(folder)
    for cf in list_corpus(folder):
        doc = load_file(cf, meta.get(cf.rel, {}), 50_000_000, [])
        units = shown_units(doc)
        tally = out[(name, cf.path.suffix.lower().lstrip("."))]
        source = Source(extracted_text(cf.path))
        tally.add(source.check(u) for u in units)
        html = cf.path.with_suffix(".html")  # a converted copy counts the code blocks of its original
        kept, total = code_kept(cf.path, units, html if html.exists() and html != cf.path else None)
        tally.code_kept += kept
        tally.code_blocks += total
    return out


def main(args: list[str]) -> None:
    verbose = "-v" in args
    print("| corpus | format | documents | units | characters | altered | code blocks kept | allowed differences |")
    print("|---|---|---|---|---|---|---|---|")
    for arg in (a for a in args if a != "-v"):
        name, folder = arg.split(":", 1)
        for (corpus, fmt), t in sorted(tallies(name, Path(folder)).items()):
            allowed = ", ".join(f"{k} {v}" for k, v in sorted((t.allowed or {}).items()))
            print(f"| {corpus} | {fmt} | {t.documents} | {t.units} | {t.characters} | {t.altered} "
                  f"| {t.code_kept}/{t.code_blocks} | {allowed} |")
            if verbose:
                for c in t.failures or []:
                    print(c.diff(), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
