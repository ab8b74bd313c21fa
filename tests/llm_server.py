"""A scripted LLM server for the tests: speaks OpenAI's and Ollama's HTTP protocols on 127.0.0.1.

Run as a process: ``python tests/llm_server.py --port P --script script.json --log requests.jsonl``.
It serves ``POST /v1/chat/completions`` (SSE when ``stream`` is true, else one JSON body),
``GET /v1/models``, ``POST /api/chat`` (NDJSON stream, or one JSON body), ``GET /api/tags`` and
``GET /health``. Every request is appended to the log as one JSON line.

The script is JSON: ``{"models": ["m"], "replies": [reply, ...]}``. For each chat request the first
reply whose ``match`` (a substring of the request's messages; absent = any) fits and whose ``times``
(absent = unlimited) is not used up is played. A reply may hold:

- ``status`` (200) and ``error`` (message of a non-200 reply), ``retry_after`` (header, seconds);
- ``text``: the content; ``{p1}``, ``{p2}``… become the first plain sentence of passage 1, 2… of
  the request (so a reply can quote what the product retrieved), ``{q}`` the question;
- ``delay``: seconds before the response starts; ``first_token_delay``: seconds between the
  headers and the first token; ``token_delay``: seconds between tokens;
- ``cut_after``: close the connection after this many tokens, mid-stream (no end marker), or
  after the token that completes this text (e.g. ``"[1]."``);
- ``malformed_after``: send a garbage chunk after this many tokens;
- ``stall_after``: like ``cut_after``, but the connection stays open and silent for 60 s.

Like a real server it stops after ``max_tokens`` (OpenAI) or ``options.num_predict`` (Ollama)
tokens, with ``finish_reason`` / ``done_reason`` "length".
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

STATE: dict[str, Any] = {"script": {}, "used": {}, "log": None, "lock": threading.Lock()}


def passages(messages: list[dict[str, Any]]) -> dict[int, str]:
    """Passage number -> text, parsed from the fenced sources in the last user message."""
    user = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
    if not isinstance(user, str) or "<bronnen>\n" not in user:
        return {}
    body = user.split("<bronnen>\n", 1)[1].split("\n</bronnen>", 1)[0]  # the fence, not the rules naming it
    out = {}
    for part in re.split(r"\n\n(?=\[\d+\] )", body.strip()):
        m = re.match(r"\[(\d+)\] [^\n]*\n(.*)", part, re.S)
        if m:
            out[int(m.group(1))] = m.group(2)
    return out


def first_sentence(text: str) -> str:
    for s in re.split(r"(?<=[.!?])\s+", text.replace("\n", " ")):
        s = s.strip()
        if len(s.split()) >= 6 and not s.startswith("•") and "[" not in s:
            return s.rstrip(".!?")
    return text.strip().split("\n")[0][:200]


def render(text: str, messages: list[dict[str, Any]]) -> str:
    ps = passages(messages)
    user = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
    question = user.rsplit(":", 1)[-1].strip() if isinstance(user, str) else ""
    text = text.replace("{q}", question)
    return re.sub(r"\{p(\d+)\}", lambda m: first_sentence(ps.get(int(m.group(1)), "")), text)


def pick(messages: list[dict[str, Any]]) -> dict[str, Any]:
    flat = json.dumps(messages, ensure_ascii=False)
    with STATE["lock"]:
        for i, r in enumerate(STATE["script"].get("replies", [])):
            if r.get("match") and r["match"] not in flat:
                continue
            if "times" in r and STATE["used"].get(i, 0) >= r["times"]:
                continue
            STATE["used"][i] = STATE["used"].get(i, 0) + 1
            return r
    return {"status": 500, "error": "no scripted reply left"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _record(self, body: Any) -> None:
        if STATE["log"] and self.path != "/health":
            with STATE["lock"], open(STATE["log"], "a", encoding="utf-8") as f:
                f.write(json.dumps({"t": time.time(), "method": self.command, "path": self.path, "body": body},
                                   ensure_ascii=False) + "\n")

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        self._record(None)
        models = STATE["script"].get("models", ["test-model"])
        if self.path == "/health":
            self._json(200, {"ok": True})
        elif self.path == "/v1/models":
            self._json(200, {"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "test"}
                                                         for m in models]})
        elif self.path == "/api/tags":
            self._json(200, {"models": [{"name": m, "model": m, "modified_at": "2025-01-01T00:00:00Z", "size": 1,
                                         "digest": "0" * 12, "details": {"format": "gguf"}} for m in models]})
        elif self.path == "/api/version":
            self._json(200, {"version": "0.9.0"})
        else:
            self._json(404, {"error": f"no route {self.path}"})

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            body = {}
        self._record(body)
        if self.path not in ("/v1/chat/completions", "/api/chat"):
            self._json(404, {"error": f"no route {self.path}"})
            return
        ollama = self.path == "/api/chat"
        reply = pick(body.get("messages", []))
        time.sleep(float(reply.get("delay", 0)))
        status = int(reply.get("status", 200))
        if status != 200:
            msg = reply.get("error", "error")
            err = {"error": msg} if ollama else {"error": {"message": msg, "type": "error", "code": status}}
            headers = {"Retry-After": str(reply["retry_after"])} if "retry_after" in reply else None
            self._json(status, err, headers)
            return
        model = body.get("model", "test-model")
        text = render(str(reply.get("text", "")), body.get("messages", []))
        tokens = re.findall(r"\S+\s*|\s+", text)
        limit = (body.get("options") or {}).get("num_predict") if ollama else body.get("max_tokens")
        reason = "stop"
        if isinstance(limit, int) and 0 < limit < len(tokens):
            tokens, reason = tokens[:limit], "length"
            text = "".join(tokens)
        if body.get("stream", ollama):  # Ollama streams unless told not to
            try:
                self._stream(reply, tokens, model, ollama, reason)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up: that is its right
                self.close_connection = True
        elif ollama:
            self._json(200, _ollama_obj(model, text, True))
        else:
            self._json(200, {"id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": model,
                             "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                          "finish_reason": "stop"}],
                             "usage": {"prompt_tokens": 1, "completion_tokens": len(tokens), "total_tokens": 1}})

    def _chunk(self, data: str) -> None:
        raw = data.encode()
        self.wfile.write(f"{len(raw):x}\r\n".encode() + raw + b"\r\n")
        self.wfile.flush()

    def _stream(self, reply: dict[str, Any], tokens: list[str], model: str, ollama: bool, reason: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson" if ollama else "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()
        time.sleep(float(reply.get("first_token_delay", 0)))
        cut, bad = reply.get("cut_after"), reply.get("malformed_after")
        cut, stall = _token_index(cut, tokens), _token_index(reply.get("stall_after"), tokens)
        for i, tok in enumerate(tokens):
            if cut is not None and i >= cut:
                self.close_connection = True
                self.wfile.flush()
                self.connection.shutdown(2)  # mid-stream, without the terminating chunk
                return
            if stall is not None and i == stall:
                time.sleep(60)
            if bad is not None and i == bad:
                garbage = '{"message": {"con\n' if ollama else 'data: {"choices": [{"delta": {"content": \n\n'
                self._chunk(garbage)
            self._chunk(_event(model, tok, ollama, False))
            if i + 1 < len(tokens):
                time.sleep(float(reply.get("token_delay", 0)))
        self._chunk(_event(model, "", ollama, True, reason))
        if not ollama:
            self._chunk("data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def _token_index(at: Any, tokens: list[str]) -> int | None:
    """A token count, or for a text: the count of tokens that completes its first occurrence."""
    if not isinstance(at, str):
        return at
    joined = "".join(tokens)
    end = joined.find(at) + len(at) if at in joined else len(joined)
    return next((i + 1 for i in range(len(tokens)) if len("".join(tokens[: i + 1])) >= end), len(tokens))


def _ollama_obj(model: str, content: str, done: bool, reason: str = "stop") -> dict[str, Any]:
    obj: dict[str, Any] = {"model": model, "created_at": "2025-01-01T00:00:00Z",
                           "message": {"role": "assistant", "content": content}, "done": done}
    if done:
        obj.update({"done_reason": reason, "total_duration": 1, "load_duration": 1, "prompt_eval_count": 1,
                    "prompt_eval_duration": 1, "eval_count": 1, "eval_duration": 1})
    return obj


def _event(model: str, content: str, ollama: bool, last: bool, reason: str = "stop") -> str:
    if ollama:
        return json.dumps(_ollama_obj(model, content, last, reason)) + "\n"
    delta = {} if last else {"role": "assistant", "content": content}
    obj = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": model,
           "choices": [{"index": 0, "delta": delta, "finish_reason": reason if last else None}]}
    return f"data: {json.dumps(obj)}\n\n"


class Server:
    """A running scripted server (for the tests): ``url`` (OpenAI base, with /v1), ``root``, ``requests()``."""

    def __init__(self, folder: Path, script: dict[str, Any], port: int):
        import subprocess
        import sys
        import urllib.request

        folder.mkdir(parents=True, exist_ok=True)
        (folder / "script.json").write_text(json.dumps(script), encoding="utf-8")
        self.log = folder / "requests.jsonl"
        self.port = port
        self.root = f"http://127.0.0.1:{port}"
        self.url = self.root + "/v1"
        self.proc = subprocess.Popen([sys.executable, __file__, "--port", str(port), "--script",
                                      str(folder / "script.json"), "--log", str(self.log)])
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(self.root + "/health", timeout=1):
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the scripted LLM server did not start") from None
                time.sleep(0.05)

    def requests(self, path: str = "") -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        rows = [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [r for r in rows if not path or r["path"] == path]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--script", required=True)
    ap.add_argument("--log", default="")
    args = ap.parse_args()
    STATE["script"] = json.loads(Path(args.script).read_text(encoding="utf-8"))
    STATE["log"] = args.log or None
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
