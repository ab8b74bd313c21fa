"""LLM generators behind LangChain chat models: any OpenAI-compatible server or Ollama.

Optional plug-ins, never the default. Prompts come from :mod:`assistant.prompts`; the sources are
fenced as data and numbered so the model cites them with ``[n]``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import ConfigError
from ..prompts import CONDENSE, ERRORS, PASSAGE, QUESTION_LABEL, SOURCES_CLOSE, SOURCES_OPEN, STOP, SYSTEM
from ..records import ScoredChunk
from .context import Excerpt
from .llmcall import Limits, LLMFailure, guarded_stream

__all__ = ["LLMFailure", "Limits", "guarded_stream", "make_chat_model", "stream_answer"]


def make_chat_model(generator: str, model: str = "", base_url: str = "", api_key: str = "",
                    temperature: float = 0.1, timeout: float = 8.0, max_tokens: int = 0) -> Any:
    """A LangChain chat model for ``generator`` ('openai' or 'ollama'), or None for 'extractive'.

    The HTTP clients never retry on their own (:func:`guarded_stream` retries within its deadline)
    and give up on a silent socket after ``timeout`` seconds. Replies stop at ``max_tokens`` (0: the
    server's own limit, often none) and at the prompt's stop sequences."""
    if generator == "extractive":
        return None
    if generator == "openai":
        from langchain_openai import ChatOpenAI

        base = base_url or os.environ.get("OPENAI_BASE_URL", "")
        if not (model and (base or api_key or os.environ.get("OPENAI_API_KEY"))):
            raise ConfigError(ERRORS["llm_openai_unset"])
        bound: dict[str, Any] = {}
        if max_tokens and base:  # llama.cpp, vLLM, Ollama's /v1 read max_tokens, not max_completion_tokens
            bound["extra_body"] = {"max_tokens": max_tokens}
        elif max_tokens:
            bound["max_tokens"] = max_tokens  # sent as OpenAI's max_completion_tokens
        return ChatOpenAI(model=model, base_url=base or None, api_key=api_key or os.environ.get("OPENAI_API_KEY") or "none",
                          temperature=temperature, streaming=True, max_retries=0, timeout=timeout, stop=list(STOP),
                          **bound)
    if generator == "ollama":
        from langchain_ollama import ChatOllama

        # num_ctx: Ollama's default context (2048-4096 tokens) would silently cut five passages short
        return ChatOllama(model=model or "llama3.1", base_url=base_url or "http://127.0.0.1:11434",
                          temperature=temperature, num_ctx=8192, client_kwargs={"timeout": timeout},
                          num_predict=max_tokens or None, stop=list(STOP))
    raise ConfigError(ERRORS["llm_unknown_generator"].format(generator=generator))


def chat_model_for(settings: Any, generator: str = "") -> Any:
    """The chat model ``settings`` configure (``generator`` overrides the configured one)."""
    return make_chat_model(generator or settings.generator, settings.llm_model, settings.llm_base_url,
                           settings.llm_api_key, timeout=settings.llm_timeout, max_tokens=settings.llm_max_tokens)


def format_passages(contexts: Sequence[ScoredChunk], given: Sequence[Excerpt] | None = None) -> str:
    """The numbered passages; ``given``: what of them the prompt carries (default: all, whole)."""
    parts = []
    for e in given if given is not None else [Excerpt(n, sc.chunk.text) for n, sc in enumerate(contexts, start=1)]:
        c = contexts[e.n - 1].chunk
        where = "".join(f" — {x}" for x in (c.section, f"p. {c.page}" if c.page else "") if x)
        # neutralise fence tags a hostile document might contain
        text = e.text.replace(SOURCES_OPEN, "<bron>").replace(SOURCES_CLOSE, "</bron>")
        parts.append(PASSAGE.format(n=e.n, title=c.title, where=where, text=text))
    return "\n\n".join(parts)


def build_messages(question: str, contexts: Sequence[ScoredChunk], lang: str,
                   history: Sequence[dict[str, str]] = (), given: Sequence[Excerpt] | None = None,
                   system_in_user: bool = False) -> list[Any]:
    """System rules, the conversation so far, then the fenced sources and the question. With
    ``system_in_user`` the rules open the user turn instead (for templates without a system role)."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    system = SYSTEM.get(lang, SYSTEM["nl"])
    msgs: list[Any] = [] if system_in_user else [SystemMessage(content=system)]
    for h in history[-6:]:
        cls = HumanMessage if h.get("role") == "user" else AIMessage
        content = h.get("content", "")
        if cls is AIMessage:  # an earlier fallback's notice is for the user, not for the model
            content = "\n".join(ln for ln in content.split("\n") if not ln.startswith("⚠")).strip()
        msgs.append(cls(content=content))
    label = QUESTION_LABEL["nl" if lang == "nl" else "en"]
    head = f"{system}\n\n" if system_in_user else ""
    sources = format_passages(contexts, given)
    msgs.append(HumanMessage(content=f"{head}{SOURCES_OPEN}\n{sources}\n{SOURCES_CLOSE}\n\n{label}: {question}"))
    return msgs


def stream_answer(chat_model: Any, question: str, contexts: Sequence[ScoredChunk], lang: str,
                  history: Sequence[dict[str, str]] = (), limits: Limits | None = None,
                  given: Sequence[Excerpt] | None = None, system_in_user: bool = False,
                  info: dict[str, Any] | None = None, heartbeat: float = 0.0) -> Iterator[str]:
    """The reply's text pieces; any failure raises :class:`LLMFailure` within ``limits`` (see
    :func:`guarded_stream` for ``info`` and ``heartbeat``)."""
    msgs = build_messages(question, contexts, lang, history, given, system_in_user)
    yield from guarded_stream(chat_model, msgs, limits or Limits(), info, heartbeat)


def condense_with_llm(chat_model: Any, question: str, history: Sequence[dict[str, str]],
                      limits: Limits | None = None) -> str:
    from langchain_core.messages import HumanMessage

    hist = "\n".join(f"{h.get('role')}: {h.get('content', '')}" for h in history[-6:])
    msgs = [HumanMessage(content=CONDENSE.format(history=hist, question=question))]
    text = "".join(guarded_stream(chat_model, msgs, limits or Limits())).strip().strip('"')
    return text.split("\n")[0].strip() or question
