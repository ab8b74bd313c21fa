"""The evaluation suite end to end on the real index, and the CI quality gate."""

from __future__ import annotations

import json
import re

import pytest

from assistant.evaluation.dataset import load_items
from assistant.evaluation.runner import check_thresholds, compare, run_eval, table, write_reports


@pytest.fixture(scope="module")
def result(corpus_settings, repo_root):
    return run_eval(corpus_settings, repo_root / "evals" / "qa.jsonl",
                    scope=sorted((repo_root / "evals").glob("scope*.jsonl")))


def test_eval_reports_all_retrievers_and_answers(result, tmp_path, repo_root):
    assert set(result["retrieval"]) == {"bm25", "dense", "hybrid"}
    assert result["items"] >= 80
    t = table(result)
    assert "| hybrid |" in t and "key_facts" in t
    for name in ("scope.jsonl", "scope-holdout.jsonl"):  # each set's row: shares and how many questions
        rows = [json.loads(x) for x in (repo_root / "evals" / name).read_text(encoding="utf-8").splitlines() if x.strip()]
        inside = sum(1 for r in rows if r["in_domain"])
        row = re.search(rf"^\| {re.escape(name)} \| (\d\.\d{{3}}) \((\d+)\) \| (\d\.\d{{3}}) \((\d+)\) \|$", t, re.M)
        assert row and (int(row[2]), int(row[4])) == (inside, len(rows) - inside), t
        assert 0 <= float(row[1]) <= 1 and 0 <= float(row[3]) <= 1
    paths = write_reports(result, tmp_path)
    page = paths["html"].read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") >= 3
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    answerable = [it for it in load_items(repo_root / "evals" / "qa.jsonl") if it.kind != "unanswerable"]
    assert data["retrieval"]["hybrid"]["n"] == len(answerable) > 0
    diff = compare(result, data)
    assert "+0.000" in diff


def test_quality_gate(result, repo_root):
    thresholds = json.loads((repo_root / "evals" / "thresholds.json").read_text(encoding="utf-8"))
    fails = check_thresholds(result, thresholds)
    assert not fails, "quality below the thresholds in evals/thresholds.json:\n" + "\n".join(fails)


def test_scope_thresholds_are_skipped_only_when_the_sets_did_not_run(result, repo_root):
    thresholds = json.loads((repo_root / "evals" / "thresholds.json").read_text(encoding="utf-8"))
    assert any(k.startswith("scope/") for k in thresholds["max"])
    without = {k: v for k, v in result.items() if k != "scope"}
    assert not [f for f in check_thresholds(without, thresholds) if f.startswith("scope/")]
    assert check_thresholds(result, {"max": {"scope/scope.jsonl/in_field_refused": -0.1}})
    assert check_thresholds(result, {"max": {"scope/no-such-set.jsonl/in_field_refused": 0.1}})  # a typo fails
    assert "| scope scope.jsonl in_field_refused |" in compare(result, json.loads(json.dumps(
        {k: v for k, v in result.items() if not k.startswith("_")})))


def test_gate_detects_a_drop(result):
    assert check_thresholds(result, {"min": {"retrieval/hybrid/hit@5": 1.01}})
    assert check_thresholds(result, {"max": {"answers/false_abstention": -0.1}})
