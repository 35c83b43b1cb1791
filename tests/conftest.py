"""Shared fixtures: where the real data extracts live, and a local HTTP server for downloads."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real INSEE/CAF extracts beside the checkout (CI has them)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"données réelles absentes : {SHARED_DATA} introuvable")
    return SHARED_DATA


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, tuple[str, bytes]] = {}
        self.hits: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def serve(self, url: str, body: bytes, mode: str = "full") -> None:
        self.routes[urlparse(url).path] = (mode, body)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server API
        self.server.hits.append(self.path)
        mode, body = self.server.routes.get(urlparse(self.path).path, ("missing", b""))
        if mode == "missing":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "truncated":  # announce the full length, send half, hang up
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """A real HTTP server on 127.0.0.1 (free port): ``serve(url, body)`` answers that URL's path
    (``mode="truncated"`` sends half the body), anything else is a 404; ``hits`` lists the GETs."""
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="session")
def real_store(shared_data, tmp_path_factory) -> Path:
    """A store holding the FiLoSoFi, Dossier complet/Comparateur and CAF extracts and the
    Côte-d'Or contours, imported as an analyst would (read-only for the tests using it)."""
    from abs_lib.sources.importing import import_files
    from abs_lib.sources.store import Store

    root = tmp_path_factory.mktemp("real-data")
    files = [p for sub in ("filosofi", "insee_dossier_complet", "caf") for p in sorted((shared_data / sub).glob("*.csv"))]
    files.append(shared_data / "geo" / "communes_dep21.geojson")
    assert all(r.ok for r in import_files(files, Store(root)))
    return root
