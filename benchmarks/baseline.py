"""3. The textbook LangChain baseline: RecursiveCharacterTextSplitter 1000/200, ``langchain_chroma``
dense-only retrieval with the same embedder, top-4 "stuff" context; and the retrieval quality of a
set of ranked results (ours or the baseline's) against their gold."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .measure import dir_mb
from .plan import QUALITY_METRICS

BASELINE_PROMPT = (
    "Use the following pieces of retrieved context to answer the question. If you don't know the answer, "
    "just say that you don't know.\n\nQuestion: {question}\n\nContext:\n{context}\n\nAnswer:"
)


def open_store(folder: Path | str, embeddings: Any, **kwargs: Any) -> Any:
    """The baseline's ``langchain_chroma.Chroma`` collection in ``folder`` (embedded, telemetry off)."""
    import chromadb.config
    from langchain_chroma import Chroma

    cs = chromadb.config.Settings(anonymized_telemetry=False, is_persistent=True, persist_directory=str(folder))
    return Chroma(collection_name="baseline", embedding_function=embeddings, persist_directory=str(folder),
                  client_settings=cs, **kwargs)


class Baseline:
    """RecursiveCharacterTextSplitter(1000, 200) on the raw texts -> langchain_chroma.Chroma (embedded,
    dense only, same embedder) -> top-4 retriever -> "stuff" prompt. No LLM is configured, so its
    end-to-end path ends with the stuffed prompt; that is what a textbook chain sends to the model."""

    def __init__(self, corpus_dir: Path, embeddings: Any, folder: Path):
        self.corpus_dir = corpus_dir
        self.embeddings = embeddings
        self.folder = folder
        self.docs: list[Any] = []
        self.vs: Any = None
        self.chain: Any = None

    def raw_texts(self) -> dict[str, str]:
        out = {}
        for p in sorted(self.corpus_dir.rglob("*")):
            rel = p.relative_to(self.corpus_dir).as_posix()
            if p.suffix.lower() in (".txt", ".md"):
                out[rel] = p.read_text(encoding="utf-8", errors="replace")
            elif p.suffix.lower() == ".pdf":
                try:
                    from pypdf import PdfReader

                    out[rel] = "\n".join((pg.extract_text() or "") for pg in PdfReader(str(p)).pages)
                except Exception:  # noqa: BLE001 - a textbook loader would skip it too
                    pass
        return out

    def build(self) -> dict[str, Any]:
        import langchain_chroma  # noqa: F401 - imported before the clock starts: not part of the build
        from langchain_core.prompts import ChatPromptTemplate
        from langchain_core.runnables import RunnablePassthrough
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        t0 = time.perf_counter()
        texts = self.raw_texts()
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        docs = splitter.create_documents(list(texts.values()), metadatas=[{"source": k} for k in texts])
        for i, d in enumerate(docs):
            d.id = f"b{i:05d}"
            d.metadata["bid"] = d.id
        self.docs = docs
        t_split = time.perf_counter() - t0
        t1 = time.perf_counter()
        self.vs = open_store(self.folder, self.embeddings)
        self.vs.add_documents(docs, ids=[d.id for d in docs])
        t_index = time.perf_counter() - t1
        retriever = self.vs.as_retriever(search_kwargs={"k": 4})
        prompt = ChatPromptTemplate.from_template(BASELINE_PROMPT)

        def format_docs(ds: list[Any]) -> str:
            return "\n\n".join(d.page_content for d in ds)

        self.chain = {"context": retriever | format_docs, "question": RunnablePassthrough()} | prompt
        total = time.perf_counter() - t0
        return {"chunks": len(docs), "seconds": round(total, 3), "split_s": round(t_split, 3),
                "embed_and_store_s": round(t_index, 3), "chunks_per_s": round(len(docs) / total, 3),
                "disk_mb": dir_mb(self.folder),
                "mean_chunk_chars": round(statistics.fmean(len(d.page_content) for d in docs), 1) if docs else 0}

    def search(self, query: str, k: int = 10) -> list[str]:
        return [d.id or d.metadata.get("bid") for d in self.vs.similarity_search(query, k=k)]

    def answer(self, question: str) -> Any:
        return self.chain.invoke(question)

    def gold(self, item: Any) -> list[set[str]]:
        """Baseline chunks holding each gold quote (same rule as ``resolve_gold``)."""
        from assistant.textutil import alnum_key

        keyed = [(d.id, alnum_key(d.page_content), d.metadata["source"]) for d in self.docs]
        groups = []
        for e in item.evidence:
            q = alnum_key(e.quote)
            hits = {cid for cid, k, src in keyed if src == e.doc and q in k}
            if not hits and len(q) > 60:
                head, tail = q[:60], q[-60:]
                hits = {cid for cid, k, src in keyed if src == e.doc and (head in k or tail in k)}
            groups.append(hits)
        return groups


def quality(rows: list[tuple[list[str], list[set[str]]]]) -> dict[str, float]:
    from assistant.evaluation.metrics import hit_at_k, mrr_at_k, ndcg_at_k, recall_at_k

    if not rows:
        return {m: 0.0 for m in QUALITY_METRICS} | {"items": 0}
    fns: dict[str, Callable[[list[str], list[set[str]]], float]] = {
        "hit@1": lambda r, g: hit_at_k(r, g, 1), "hit@5": lambda r, g: hit_at_k(r, g, 5),
        "recall@5": lambda r, g: recall_at_k(r, g, 5), "mrr@10": lambda r, g: mrr_at_k(r, g, 10),
        "ndcg@10": lambda r, g: ndcg_at_k(r, g, 10),
    }
    out: dict[str, float] = {m: round(statistics.fmean(f(r, g) for r, g in rows), 4) for m, f in fns.items()}
    out["items"] = len(rows)
    out["unresolved_gold"] = sum(1 for _r, g in rows if not any(g))
    return out
