"""Download Debian's Dutch documentation packages and write their documents as text.

    python -m assistant.reader.data.extract [--debs DIR] [--out DIR] [--package NAME ...]

For each package of ``packages.toml``: ``apt-get download`` into ``--debs`` (kept; a .deb already
there is reused), ``dpkg-deb -x``, convert the Dutch HTML pages / manual pages to Markdown-like text,
select (prose-rich, seeded sample where the package is large) and write one ``.md`` per document
to ``--out/<package>/``, with ``--out/provenance.jsonl`` (one line per document) and
``--out/summary.json`` (counts per package). The reserved packages are refused.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import random
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from fnmatch import fnmatch
from pathlib import Path

from .htmltext import html_to_text, page_title
from .mantext import man_title, man_to_text, render_man
from .sources import Config, PackageSpec, TextStats, licence_of, load_config, text_stats

log = logging.getLogger(__name__)

DEFAULT_DEBS = Path("/work/reader-src/debs")
DEFAULT_OUT = Path("/work/reader-src/docs")


@dataclass(frozen=True)
class Converted:
    source: str  # path inside the .deb
    rel: str  # output path inside the package's folder
    title: str
    text: str
    stats: TextStats


def download(package: str, debs: Path, reserved: frozenset[str]) -> Path:
    """The package's .deb in ``debs``, fetched with ``apt-get download`` when it is not there yet."""
    if package in reserved:
        raise ValueError(f"{package} is reserved for evaluation outside the repository; it is never downloaded")
    debs.mkdir(parents=True, exist_ok=True)
    found = sorted(debs.glob(f"{package}_*.deb"))
    if not found:
        done = subprocess.run(["apt-get", "download", package], cwd=debs, capture_output=True, text=True,
                              timeout=900, check=False)
        found = sorted(debs.glob(f"{package}_*.deb"))
        if not found:
            raise RuntimeError(f"apt-get download {package} failed: {done.stderr.strip()[-300:]}")
    return found[-1]


def deb_field(deb: Path, name: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True,
                          check=True).stdout.strip()


def unpack(deb: Path, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(into)], check=True, capture_output=True)
    return into


def candidate_files(root: Path, spec: PackageSpec) -> list[Path]:
    """The files under ``root`` the spec includes and does not exclude, sorted."""
    files = {p for pattern in spec.include for p in root.glob(pattern) if p.is_file()}
    return sorted(p for p in files
                  if not any(fnmatch(p.relative_to(root).as_posix(), x) for x in spec.exclude))


def convert(path: Path, root: Path, spec: PackageSpec, cfg: Config) -> Converted:
    rel = path.relative_to(root).as_posix()
    if spec.format == "man":
        body = man_to_text(render_man(path))
        name = path.name.removesuffix(".gz")
        title_line = man_title(body, name)
        text = f"{title_line}\n\n{body}"
        out = rel.removesuffix(".gz") + ".md"
    else:
        text = html_to_text(path.read_text(encoding="utf-8", errors="replace"), cfg.drop)
        out = rel.rsplit(".html", 1)[0] + ".md"
    return Converted(rel, out, page_title(text) or path.stem, text, text_stats(text, cfg))


def select(docs: list[Converted], spec: PackageSpec, cfg: Config) -> list[Converted]:
    """The Dutch documents with enough prose; for a large package a seeded sample of the most
    prose-rich, for the held-out one the most prose-rich up to ``max_chars``. Sorted by path."""
    ok = [d for d in docs if d.stats.dutch_share >= cfg.min_dutch_share and d.stats.prose >= spec.min_sentences]
    ranked = sorted(ok, key=lambda d: (-d.stats.prose, d.rel))
    if spec.sample and len(ranked) > spec.sample:
        pool = ranked[:max(spec.sample, math.ceil(spec.pool * spec.sample))]
        ranked = random.Random(f"{cfg.seed}:{spec.name}").sample(pool, spec.sample)
    if spec.max_chars:
        kept, total = [], 0
        for d in ranked:
            if total + d.stats.chars <= spec.max_chars:
                kept.append(d)
                total += d.stats.chars
        ranked = kept
    return sorted(ranked, key=lambda d: d.rel)


def licence(unpacked: Path, spec: PackageSpec) -> tuple[str, str]:
    """(licence name, copyright file path in the .deb) for the package's documentation."""
    owner = spec.copyright_from or spec.name
    rel = f"usr/share/doc/{owner}/copyright"
    path = unpacked / rel
    name = licence_of(path.read_text(encoding="utf-8", errors="replace"), spec.licence_paragraph) if path.exists() else ""
    return name or spec.licence or "unknown (see the package's copyright file)", rel


def extract_package(spec: PackageSpec, cfg: Config, debs: Path, out: Path) -> tuple[list[dict], dict]:
    """Write one package's documents; returns their provenance lines and the package's counts."""
    deb = download(spec.name, debs, cfg.reserved)
    version = deb_field(deb, "Version")
    with tempfile.TemporaryDirectory(prefix=f"{spec.name}-", dir=debs) as tmp:
        unpacked = unpack(deb, Path(tmp))
        if spec.copyright_from:  # its doc folder is a link to this package's
            unpack(download(spec.copyright_from, debs, cfg.reserved), unpacked)
        lic, lic_path = licence(unpacked, spec)
        root = unpacked / spec.root
        docs = []
        for path in candidate_files(root, spec):
            try:
                docs.append(convert(path, root, spec, cfg))
            except (ValueError, UnicodeDecodeError, subprocess.SubprocessError) as e:
                log.warning("%s: %s skipped (%s)", spec.name, path.name, e)
    chosen = select(docs, spec, cfg)
    folder = out / spec.name
    if folder.exists():
        shutil.rmtree(folder)
    rows = []
    for d in chosen:
        target = folder / d.rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(d.text, encoding="utf-8")
        rows.append({"package": spec.name, "version": version, "role": spec.role,
                     "source": f"{spec.root}/{d.source}", "path": f"{spec.name}/{d.rel}", "title": d.title,
                     "sha256": hashlib.sha256(d.text.encode("utf-8")).hexdigest(),
                     "licence": lic, "copyright": lic_path, **asdict(d.stats)})
    counts = {"package": spec.name, "version": version, "role": spec.role, "licence": lic,
              "candidates": len(docs), "documents": len(chosen),
              "chars": sum(d.stats.chars for d in chosen), "sentences": sum(d.stats.sentences for d in chosen),
              "prose_sentences": sum(d.stats.prose for d in chosen)}
    return rows, counts


def extract(cfg: Config, debs: Path, out: Path, only: list[str] | None = None) -> list[dict]:
    """Extract the packages (all, or ``only``); the provenance and summary files keep the lines of
    packages not extracted this time."""
    names = only or cfg.names()
    out.mkdir(parents=True, exist_ok=True)
    prov_path, summary_path = out / "provenance.jsonl", out / "summary.json"
    old_rows = [json.loads(ln) for ln in prov_path.read_text(encoding="utf-8").splitlines()] if prov_path.exists() else []
    old_counts = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else []
    rows = [r for r in old_rows if r["package"] not in names]
    counts = [c for c in old_counts if c["package"] not in names]
    for name in names:
        new_rows, c = extract_package(cfg.package(name), cfg, debs, out)
        rows += new_rows
        counts.append(c)
        log.info("%s: %d documents", name, c["documents"])
    order = {n: i for i, n in enumerate(cfg.names())}
    rows.sort(key=lambda r: (order.get(r["package"], 99), r["path"]))
    counts.sort(key=lambda c: order.get(c["package"], 99))
    prov_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    summary_path.write_text(json.dumps(counts, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m assistant.reader.data.extract", description=__doc__.split("\n")[0])
    ap.add_argument("--debs", type=Path, default=DEFAULT_DEBS, help="cache folder of downloaded .deb files")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder the documents are written to")
    ap.add_argument("--package", action="append", help="only this package (repeatable)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        counts = extract(load_config(), args.debs, args.out, args.package)
    except (ValueError, RuntimeError, KeyError, OSError, subprocess.CalledProcessError) as e:
        print(f"error: {e}")
        return 1
    print(f"{'package':24} {'role':8} {'docs':>5} {'chars':>9} {'sentences':>9}  licence")
    for c in counts:
        print(f"{c['package']:24} {c['role']:8} {c['documents']:5d} {c['chars']:9d} {c['sentences']:9d}  {c['licence']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
