"""``python -m benchmarks {run,profile,worker}``: see benchmarks/README.md."""

import logging
import sys

from .cli import cli

logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
for noisy in ("bm25s", "chromadb", "httpx", "urllib3", "sentence_transformers"):
    logging.getLogger(noisy).setLevel(logging.ERROR)
sys.exit(cli())
