"""The explorer study in a real JupyterLab: ``abs lab`` prepares it, a headless server runs it.

The server is a real ``jupyter lab`` subprocess on a free loopback port with a random
token; the notebook is executed THROUGH it, as the browser would: a session created
with the REST API, every code cell sent over the kernel websocket (tornado's client,
messages built by jupyter_client's ``Session``). Data: the fictional demo store.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from abs_lib.cli import main
from abs_lib.demo import demo_store
from abs_lib.indicators import load_registry

DEMO = "000000001"
THEME, INDICATOR = "petite-enfance", "taux_couverture_accueil_jeune_enfant"  # the notebook's defaults
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
START_LIMIT = 180  # seconds a server may take to answer /api/status on a loaded machine
CELL_LIMIT = 600  # seconds a cell may take (the study's own --timeout default)
ROOT = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []  # CI runs as root

pytest.importorskip("jupyterlab", reason="JupyterLab absent : installez abs avec ses dépendances (make install)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(root: Path) -> dict:
    """This interpreter's abs for the kernel; Jupyter's runtime files in the test folder."""
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    env["JUPYTER_RUNTIME_DIR"] = str(root / "runtime")
    env["JUPYTER_CONFIG_DIR"] = str(root / "config")
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


class Server:
    """A running ``jupyter lab`` and how to talk to it."""

    def __init__(self, process: subprocess.Popen, port: int, token: str, log: Path):
        self.process, self.port, self.token, self.log = process, port, token, log
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Authorization": f"token {self.token}",
                                              "Content-Type": "application/json"})
        with self.opener.open(req, timeout=60) as response:
            text = response.read().decode("utf-8")
            return response.status, (json.loads(text) if text.strip().startswith(("{", "[")) else text)

    def wait_ready(self) -> dict:
        deadline = time.monotonic() + START_LIMIT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"jupyter lab stopped (exit {self.process.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                status, body = self.request("GET", "/api/status")
                if status == 200:
                    return body
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.5)
        pytest.fail(f"jupyter lab did not answer /api/status:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> int:
        """Ask the server to shut down (kernels included); terminate, then kill, if it does not."""
        if self.process.poll() is None:
            try:
                self.request("POST", "/api/shutdown")
            except (urllib.error.URLError, ConnectionError):
                pass
            try:
                return self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                try:
                    return self.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    return self.process.wait()
        return self.process.returncode


def _start(command: list[str], root: Path, port: int, token: str, **env) -> Server:
    log = root / f"server-{port}.log"
    handle = log.open("w")
    process = subprocess.Popen(command, cwd=root, env={**_env(root), **env}, stdout=handle, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    handle.close()
    return Server(process, port, token, log)


async def _run_cells(server: Server, kernel_id: str, cells: list[str]) -> list[dict]:
    """Execute ``cells`` in order over the kernel websocket; per cell, its reply and iopub messages."""
    from jupyter_client.jsonutil import json_default
    from jupyter_client.session import Session
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    session = Session(username="test", session=uuid.uuid4().hex)
    url = f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?session_id={session.session}"
    ws = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {server.token}"}))
    results = []
    try:
        for code in cells:
            msg = session.msg("execute_request", content={
                "code": code, "silent": False, "store_history": True, "user_expressions": {},
                "allow_stdin": False, "stop_on_error": True})
            msg["channel"] = "shell"
            await ws.write_message(json.dumps(msg, default=json_default))
            msg_id, reply, iopub, idle = msg["header"]["msg_id"], None, [], False
            while reply is None or not idle:
                raw = await asyncio.wait_for(ws.read_message(), CELL_LIMIT)
                assert raw is not None, "the kernel websocket closed"
                message = json.loads(raw)
                if message.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = message["header"]["msg_type"]
                if message["channel"] == "shell" and kind == "execute_reply":
                    reply = message["content"]
                elif message["channel"] == "iopub":
                    if kind == "status":
                        idle = message["content"]["execution_state"] == "idle"
                    else:
                        iopub.append(message)
            results.append({"code": code, "reply": reply, "iopub": iopub})
            if reply["status"] != "ok":
                break
    finally:
        ws.close()
    return results


def _prepare(folder: Path, capsys) -> Path:
    code = main(["lab", DEMO, "--data-dir", str(demo_store().root), "--dossier", str(folder),
                 "--preparer-seulement"])
    out = capsys.readouterr().out
    assert code == 0, out
    notebook = folder / f"explorer_{DEMO}.ipynb"
    assert notebook.is_file() and f"jupyter lab {notebook.name}" in out
    return notebook


def test_abs_lab_prepares_a_parameterised_copy_outside_the_package(tmp_path, capsys):
    import nbformat

    from abs_lib.reports.studies import notebooks_dir

    notebook = _prepare(tmp_path / "mes-notebooks", capsys)
    original = (notebooks_dir() / "explorer.ipynb").read_bytes()
    assert notebook.read_bytes() != original
    nb = nbformat.read(notebook, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert f'territory = "{DEMO}"' in injected[0].source and str(demo_store().root) in injected[0].source
    # A second run keeps the analyst's copy (they may have edited it) unless --remplacer.
    notebook.write_text(notebook.read_text(encoding="utf-8").replace("Exploration interactive", "Mon exploration"),
                        encoding="utf-8")
    assert main(["lab", DEMO, "--dossier", str(notebook.parent), "--preparer-seulement"]) == 0
    assert "conservé" in capsys.readouterr().out and "Mon exploration" in notebook.read_text(encoding="utf-8")
    assert main(["lab", DEMO, "--dossier", str(notebook.parent), "--preparer-seulement", "--remplacer"]) == 0
    assert "Mon exploration" not in notebook.read_text(encoding="utf-8")


def test_abs_lab_unknown_territory_writes_nothing(tmp_path, capsys):
    assert main(["lab", "99999", "--dossier", str(tmp_path / "x"), "--preparer-seulement"]) == 1
    assert "Territoire introuvable" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_explorer_runs_through_a_headless_jupyterlab(tmp_path, capsys):
    notebook = _prepare(tmp_path, capsys)
    port, token = _free_port(), secrets.token_hex(16)
    server = _start([sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
                     f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}", *ROOT],
                    tmp_path, port, token)
    try:
        assert "started" in server.wait_ready()
        status, page = server.request("GET", "/lab")
        assert status == 200 and "JupyterLab" in page
        status, session = server.request("POST", "/api/sessions", {
            "path": notebook.name, "type": "notebook", "name": notebook.name, "kernel": {"name": "python3"}})
        assert status == 201, session
        nb = json.loads(notebook.read_text(encoding="utf-8"))
        cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
        results = asyncio.run(_run_cells(server, session["kernel"]["id"], cells))
        errors = [m["content"] for r in results for m in r["iopub"] if m["header"]["msg_type"] == "error"]
        assert not errors, "\n".join(e["ename"] + ": " + e["evalue"] for e in errors)
        assert len(results) == len(cells) and all(r["reply"]["status"] == "ok" for r in results)
        shown = [m["content"]["data"] for r in results for m in r["iopub"]
                 if m["header"]["msg_type"] in ("display_data", "execute_result")]
        assert any(WIDGET_VIEW in data for data in shown), "the explorer widget was not displayed"
        html = "\n".join(data.get("text/html", "") for data in shown)
        registry = load_registry()
        labels = [registry[i].label for i in registry.by_theme()[THEME]]
        assert "<table" in html and all(label in html for label in labels[:3]), "no theme table"
        assert "fictif" in html  # the demo says it is fictional
        status, _ = server.request("DELETE", f"/api/sessions/{session['id']}")
        assert status == 204
    finally:
        code = server.stop()
    assert code == 0, server.log.read_text()[-3000:]


def test_abs_lab_starts_jupyterlab_and_stops_on_ctrl_c(tmp_path):
    """The real command: `abs lab 000000001 --no-browser --port P`, then Ctrl-C (SIGINT)."""
    port, token = _free_port(), secrets.token_hex(16)
    command = [sys.executable, "-c", "import sys; from abs_lib.cli import main; sys.exit(main())",
               "lab", DEMO, "--no-browser", "--port", str(port), "--dossier", str(tmp_path / "nb")]
    server = _start(command, tmp_path, port, token, JUPYTER_TOKEN=token)
    try:
        server.wait_ready()
        status, contents = server.request("GET", "/api/contents")
        assert status == 200 and [c["name"] for c in contents["content"]] == [f"explorer_{DEMO}.ipynb"]
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=90) == 0
    finally:
        server.stop()
    log = server.log.read_text()
    assert "JupyterLab arrêté" in log and "Traceback" not in log, log[-3000:]


@pytest.mark.parametrize("argv, hint", [
    (["report", "200000925", "--study", "explorer"], "abs lab 200000925"),
    (["batch", "--demo", "--all-epci", "--study", "explorer"], "abs lab TERRITOIRE"),
    (["demo", "--study", "explorer"], f"abs lab {DEMO}"),
])
def test_report_batch_and_demo_refuse_the_interactive_study(argv, hint, tmp_path, capsys):
    """No page without its widgets: exit 2, a French hint towards `abs lab`, nothing written."""
    reports = tmp_path / "rapports"
    assert main([*argv, "--reports-dir", str(reports)]) == 2
    err = capsys.readouterr().err
    assert "L'étude explorer est interactive" in err and f"« {hint} »" in err and "JupyterLab" in err
    assert not reports.exists()


def test_report_help_says_explorer_opens_in_jupyterlab(capsys):
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    out = capsys.readouterr().out
    assert "abs lab TERRITOIRE" in out and "dictionnaire" in out
