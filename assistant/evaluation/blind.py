"""A blind judging batch: the same questions answered by two systems, mixed, with a key the judge
never sees.

    python -m assistant.evaluation.blind answer --set evals/usefulness.jsonl --out before.jsonl [--settings reader=false]
    python -m assistant.evaluation.blind mix before.jsonl after.jsonl --out DIR [--seed 19]

``answer`` writes one line per question (id, user, question, answer, citations with file and quote)
with the code it is run with (``PYTHONPATH=<an older checkout>`` answers with that one). ``mix``
writes ``DIR/answers.jsonl`` (ids ``<question id>-X``/``-Y`` in a seeded shuffled order) and
``DIR/key.json`` (which id is before, which after).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any


def _overrides(spec: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in filter(None, spec.split(",")):
        name, value = part.split("=", 1)
        out[name.strip()] = {"true": True, "false": False}.get(value.strip().lower(), value.strip())
    return out


def _read(path: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in Path(path).read_text(encoding="utf-8").split("\n") if x.strip()]


def answer(args: argparse.Namespace) -> None:
    from assistant.answer.chain import AnswerEngine
    from assistant.settings import Settings

    extra = {"index_dir": Path(args.index_dir)} if args.index_dir else {}
    engine = AnswerEngine(Settings(**extra, **_overrides(args.settings)))
    with open(args.out, "w", encoding="utf-8") as fh:
        for it in _read(args.set):
            ans = engine.ask(it["question"])
            cites = [{"n": c.n, "file": c.source, "quote": c.quote} for c in ans.citations]
            row = {"id": it["id"], "user": it.get("user", ""), "question": it["question"], "answer": ans.text,
                   "citations": cites}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def mix(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    before = {r["id"]: r for r in _read(args.before)}
    after = {r["id"]: r for r in _read(args.after)}
    rows, key = [], {}
    for qid in before:
        sides = ["before", "after"]
        rng.shuffle(sides)
        for tag, side in zip("XY", sides):
            rid = f"{qid}-{tag}"
            key[rid] = side
            rows.append({**(before if side == "before" else after)[qid], "id": rid})
    rng.shuffle(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "answers.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    (out / "key.json").write_text(json.dumps(key, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("answer")
    a.add_argument("--set", required=True)
    a.add_argument("--out", required=True)
    a.add_argument("--settings", default="")
    a.add_argument("--index-dir", default=None)
    m = sub.add_parser("mix")
    m.add_argument("before")
    m.add_argument("after")
    m.add_argument("--out", required=True)
    m.add_argument("--seed", type=int, default=19)
    args = ap.parse_args(argv)
    (answer if args.cmd == "answer" else mix)(args)


if __name__ == "__main__":
    main()
