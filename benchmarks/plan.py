"""What a run measures and against what: the targets and the plan (full or quick)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# The targets the README's Performance section is judged against.
TARGETS = {
    "retrieval_p95_ms_corpus": 50.0,
    "retrieval_p95_ms_100k": 200.0,
    "answer_p95_ms": 600.0,  # with the trained reader (issue 19); 300 ms before it
    "cold_start_s": 10.0,
    "full_index_s": 30.0,
    "no_change_reindex_s": 2.0,
    "latency_ratio_max": 1.5,
    "api_overhead_p95_ms": 20.0,  # POST /v1/chat/completions over AssistantService.ask (benchmarks/api_overhead.py)
    # resident memory, each command as its own process (issue 22)
    "serve_rss_mb": 600.0,  # assistant serve after 50 questions
    "ask_jsonl_rss_mb": 400.0,  # assistant ask --jsonl over 50 questions
    "index_rebuild_peak_mb": 450.0,  # assistant index --rebuild
}
QUALITY_METRICS = ["hit@1", "hit@5", "recall@5", "mrr@10", "ndcg@10"]


@dataclass
class Plan:
    quick: bool
    scales: list[int]
    rounds: int = 3  # retrieval passes over the questions (latency samples = rounds x questions)
    warmup: int = 3
    cold_runs: int = 3
    server: bool = True
    st: bool = True  # sentence-transformers throughput
    omp_probe: bool = True
    probe_questions: int = 40
    throughput: dict[int, int] = field(default_factory=lambda: {1: 8, 8: 16, 32: 32})  # batch -> texts
    paragraphs: int = 160  # real paragraphs embedded for the synthetic corpora
    scale_rounds: int = 2
    memory_questions: int = 50  # process memory: questions asked of `serve` and `ask --jsonl`; 0 = not run

    @classmethod
    def make(cls, quick: bool, scales: Sequence[int] | None) -> "Plan":
        if quick:
            return cls(quick=True, scales=sorted(set(scales or [1000])), rounds=2, warmup=1, cold_runs=1,
                       server=False, st=False, omp_probe=False, throughput={1: 2, 8: 8}, paragraphs=10,
                       scale_rounds=1, memory_questions=0)
        return cls(quick=False, scales=sorted(set(scales or [1000, 10000, 100000])))
