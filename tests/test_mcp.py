"""``assistant mcp`` as a real process, driven by the official ``mcp`` SDK's stdio client: the tools
are listed with Dutch descriptions and input schemas, each is called, the answer tool's citations
are those of ``assistant ask --json``, and a refused question is a tool error with its message."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import anyio
import pytest

pytestmark = pytest.mark.slow

Q = "Hoe bouw ik vertrouwen op met ouders?"


@pytest.fixture(scope="module")
def mcp_env(tmp_path_factory: pytest.TempPathFactory, corpus_settings, corpus_dir: Path, cli_env) -> dict[str, str]:
    root = tmp_path_factory.mktemp("mcp")
    shutil.copytree(corpus_settings.index_dir, root / "index", ignore=shutil.ignore_patterns(".lock"))
    return cli_env(ASSISTANT_CORPUS_DIR=str(corpus_dir), ASSISTANT_INDEX_DIR=str(root / "index"),
                   ASSISTANT_DATA_DIR=str(root / "data"), HOME=str(root), PATH=os.environ.get("PATH") or os.defpath)


async def _session_calls(exe: Path, env: dict[str, str]) -> dict:
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    out: dict = {}
    params = StdioServerParameters(command=str(exe), args=["mcp"], env=env)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        out["tools"] = {t.name: t for t in (await session.list_tools()).tools}
        out["search"] = await session.call_tool("search_sources", {"query": "netwerkkaart", "k": 3})
        out["ask"] = await session.call_tool("ask", {"question": Q})
        out["follow_up"] = await session.call_tool("ask", {
            "question": "Hoe maak ik die samen?",
            "history": [{"role": "user", "content": "Wat is een netwerkkaart?"},
                        {"role": "assistant", "content": "Een overzicht van de stakeholders. [1]"}]})
        out["prepare"] = await session.call_tool("prepare_meeting", {"topic": "Samenwerking met de jeugdzorg",
                                                                     "partners": "jeugdzorg, ouders"})
        out["refused"] = await session.call_tool("ask", {"question": "?!…"})
        out["bad_k"] = await session.call_tool("search_sources", {"query": "ouders", "k": 500})
    return out


def test_the_mcp_stdio_client_lists_and_calls_every_tool(mcp_env: dict[str, str], assistant_exe: Path) -> None:
    out = anyio.run(_session_calls, assistant_exe, mcp_env)
    tools = out["tools"]
    assert set(tools) == {"search_sources", "ask", "prepare_meeting"}
    for t in tools.values():
        assert "bronnen" in t.description or "overleg" in t.description, t.description
        props = t.input_schema["properties"]
        assert all(p.get("description") for p in props.values()), props
    assert tools["ask"].input_schema["required"] == ["question"]

    passages = out["search"].structured_content["passages"]
    assert not out["search"].is_error and len(passages) == 3
    assert {"title", "section", "page", "text", "chunk_id"} <= set(passages[0])

    cli = subprocess.run([str(assistant_exe), "ask", "--json", Q], env=mcp_env, capture_output=True, timeout=600,
                         check=True)
    expected = json.loads(cli.stdout)
    answer = out["ask"].structured_content
    assert not out["ask"].is_error and answer["citations"] and answer["citations"] == expected["citations"]
    assert answer["answer"] == expected["answer"] and answer["abstained"] is False

    assert out["follow_up"].structured_content["query"] != "Hoe maak ik die samen?"  # read with its history

    sheet = out["prepare"].structured_content
    assert sheet["markdown"].startswith("# ") and sheet["sheet"]["sections"]
    assert any(p["citations"] for s in sheet["sheet"]["sections"] for p in s["points"])

    assert out["refused"].is_error and "geen leesbare woorden" in out["refused"].content[0].text
    assert out["bad_k"].is_error
