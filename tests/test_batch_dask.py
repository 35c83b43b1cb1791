"""``abs batch`` end to end on Dask, with real Jupyter kernels and the test study notebook.

1. ``abs batch --demo --all-epci`` on a LocalCluster (2 worker processes, 1 thread each),
   with a copy of the demo data where the contours of one EPCI are missing: that
   territory fails with its cell and error while the three others succeed; a rerun
   skips what did not change; a forced rerun with new (not pre-warmed) kernels gives
   the same figures as the pre-warmed ones.
2. A real ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1: the batch
   runs through ``--scheduler tcp://127.0.0.1:PORT`` (and a prepare hook), on them.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from abs_lib.batch.run import run_batch
from abs_lib.batch.selection import select_territories
from abs_lib.demo import demo_geography
from abs_lib.cli import main
from abs_lib.config import demo_dir
from abs_lib.reports.studies import Study

FIXTURE = Path(__file__).parent / "fixtures" / "notebooks" / "batch_study.ipynb"
MISSING = "000000003"  # its contours are removed from the data copy
GIB = 2**30


def _cli(argv) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    return code, out.getvalue()


def _log(reports: Path) -> dict:
    latest = sorted(reports.glob("batch-*.json"), key=lambda p: p.stat().st_mtime_ns)[-1]
    return json.loads(latest.read_text(encoding="utf-8"))


def _images(page: Path) -> list[bytes]:
    """The PNG figures embedded in a report page (the stored notebook keeps only their descriptions)."""
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"',
                                                    page.read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def first_batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("lot")
    data = root / "donnees"
    shutil.copytree(demo_dir(), data)
    contours = data / "geo" / "communes_dep00.geojson"
    collection = json.loads(contours.read_text(encoding="utf-8"))
    collection["features"] = [f for f in collection["features"] if f["properties"]["SIREN_EPCI"] != MISSING]
    contours.write_text(json.dumps(collection), encoding="utf-8")
    reports = root / "rapports"
    start = time.perf_counter()
    code, stdout = _cli(["batch", "--demo", "--all-epci", "--notebook", str(FIXTURE), "--data-dir", str(data),
                         "--reports-dir", str(reports), "--workers", "2", "--sans-progression"])
    return {"root": root, "data": data, "reports": reports, "code": code, "stdout": stdout,
            "seconds": time.perf_counter() - start, "log": _log(reports)}


def test_one_failure_does_not_stop_the_others(first_batch):
    assert first_batch["code"] == 1, first_batch["stdout"]
    reports, log = first_batch["reports"], first_batch["log"]
    status = {o["territory"]: o["status"] for o in log["outcomes"]}
    assert status == {"000000001": "reussi", "000000002": "reussi", MISSING: "echec", "000000004": "reussi"}
    for code in ("000000001", "000000002", "000000004"):
        page = (reports / code / "diagnostic.html").read_text(encoding="utf-8")
        assert "(territoire fictif — démonstration)" in page  # the demo says it is fictional
        assert (reports / code / "diagnostic.entrees.json").is_file()
    assert "Fictiville" in (reports / "000000001" / "diagnostic.html").read_text(encoding="utf-8")
    assert not (reports / MISSING / "diagnostic.html").exists()
    assert (reports / MISSING / "diagnostic.echec.ipynb").is_file()
    failed = next(o for o in log["outcomes"] if o["territory"] == MISSING)
    assert failed["error_name"] == "LookupError" and "Source absente" in failed["error_value"]
    assert isinstance(failed["error_cell"], int)
    assert "Source absente pour le territoire 000000003" in failed["error"]  # full message, cell source too
    assert f"ÉCHEC {MISSING} (CC du Plateau d'Ailleurs) : cellule n°" in first_batch["stdout"]
    assert "3 réussi(s), 1 en échec, 0 inchangé(s)" in first_batch["stdout"]


def test_workers_are_long_lived_prewarmed_and_measured(first_batch):
    log = first_batch["log"]
    assert log["counts"] == {"reussi": 3, "echec": 1, "inchange": 0, "non-lance": 0}
    workers = {o["worker"] for o in log["outcomes"]}
    assert len(log["workers"]) == len(workers) <= 2
    # One kept kernel per worker: a worker's first report (or the one after a failure) has a
    # new kernel, the next ones reuse it; 4 reports on at most 2 workers, 1 failing: ≥ 1 reuse.
    assert {o["kernel"] for o in log["outcomes"]} <= {"neuf", "reutilise"}
    assert sum(o["kernel"] == "reutilise" for o in log["outcomes"]) >= 1
    for worker in log["workers"].values():
        assert 100 * 2**20 < worker["peak_rss"] < GIB  # worker + its kernels, under 1 GiB


def test_index_page(first_batch):
    page = (first_batch["reports"] / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and "territoires fictifs" in page
    for code, name in [("000000001", "CA du Val-Imaginaire"), (MISSING, "CC du Plateau d&#x27;Ailleurs")]:
        assert code in page and name in page
    assert page.count("réussi</td>") == 3 and page.count("échec</td>") == 1
    assert f'href="{MISSING}/diagnostic.echec.ipynb"' in page and "LookupError" in page
    assert 'href="000000004/diagnostic.html"' in page


def test_rerun_skips_unchanged_then_force_with_new_kernels_gives_same_figures(first_batch):
    reports = first_batch["reports"]
    listing = first_batch["root"] / "ok.txt"
    listing.write_text("000000001\n000000002\n000000004\n", encoding="utf-8")
    before = {c: (reports / c / "diagnostic.html").stat().st_mtime_ns for c in ("000000001", "000000002")}
    common = ["batch", "--demo", "--territories", str(listing), "--notebook", str(FIXTURE),
              "--data-dir", str(first_batch["data"]), "--reports-dir", str(reports), "--sans-progression"]
    start = time.perf_counter()
    code, stdout = _cli(common)
    assert code == 0 and time.perf_counter() - start < 10  # no cluster was even started
    assert "3 inchangé(s), 0 à produire" in stdout
    assert {c: (reports / c / "diagnostic.html").stat().st_mtime_ns for c in before} == before
    assert _log(reports)["counts"] == {"reussi": 0, "echec": 0, "inchange": 3, "non-lance": 0}
    assert (reports / "index.html").read_text(encoding="utf-8").count("inchangé</td>") == 3

    prewarmed = _images(reports / "000000002" / "diagnostic.html")
    listing.write_text("000000002\n", encoding="utf-8")
    code, stdout = _cli(common + ["--force", "--noyaux-neufs", "--workers", "1"])
    assert code == 0, stdout
    outcome = _log(reports)["outcomes"][0]
    assert outcome["status"] == "reussi" and outcome["kernel"] == "neuf"
    assert outcome["reason"] == "régénération demandée (--force)"
    assert prewarmed and _images(reports / "000000002" / "diagnostic.html") == prewarmed


# ---------------------------------------------------------------- separate scheduler and workers


def _dask_command(kind: str) -> list[str]:
    binary = Path(sys.executable).parent / "dask"
    return [str(binary), kind] if binary.exists() else [sys.executable, "-m", "distributed.cli.dask_" + kind]


def _hook_members(territories, study, year, data_dir, out_dir):
    """Shared table prepared once: number of member communes (from the geography)."""
    path = Path(out_dir) / "membres.parquet"
    pd.DataFrame({"territory": [t.code for t in territories],
                  "nombre_de_communes_membres": [t.n_communes for t in territories]}).to_parquet(path)
    return {"shared_tables": str(path)}


def test_batch_on_a_separate_dask_scheduler_and_two_workers(tmp_path):
    scheduler_file = tmp_path / "ordonnanceur.json"
    logs = open(tmp_path / "dask.log", "wb")
    processes = []
    try:
        processes.append(subprocess.Popen(
            _dask_command("scheduler") + ["--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                          "--scheduler-file", str(scheduler_file), "--idle-timeout", "300s"],
            cwd=tmp_path, stdout=logs, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert scheduler_file.exists(), (tmp_path / "dask.log").read_text()
        time.sleep(0.2)  # the file is complete once its JSON parses
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for _ in range(2):
            processes.append(subprocess.Popen(
                _dask_command("worker") + [address, "--nworkers", "1", "--nthreads", "1", "--host", "127.0.0.1",
                                           "--no-dashboard", "--death-timeout", "60"],
                cwd=tmp_path, stdout=logs, stderr=subprocess.STDOUT))
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=90)
            external = set(client.scheduler_info()["workers"])
        assert len(external) == 2

        communes = select_territories(communes_of="000000004", geography=demo_geography()).territories[:3]
        study = Study("diagnostic", "Diagnostic sociodémographique", notebook=FIXTURE)
        result = run_batch(communes, study, data_dir=demo_dir(), reports_dir=tmp_path / "rapports",
                           scheduler=address, prepare=_hook_members, progress=False)
        assert result.ok, [o.error for o in result.outcomes]
        assert {o.worker for o in result.outcomes} <= external  # ran on the separate workers
        assert set(result.workers) <= external
        page = (tmp_path / "rapports" / communes[0].code / "diagnostic.html").read_text(encoding="utf-8")
        assert "nombre_de_communes_membres" in page  # the prepared table reached the notebook
        record = json.loads(result.log.read_text(encoding="utf-8"))
        assert record["scheduler"] == address and record["prepare"] == "_hook_members"
        assert record["parameters"]["shared_tables"].endswith("membres.parquet")
    finally:
        _stop(processes, scheduler_file)
        logs.close()


def _stop(processes, scheduler_file: Path) -> None:
    """Ask the scheduler to shut the cluster down (fast), then make sure every process is gone."""
    if scheduler_file.exists() and processes and processes[0].poll() is None:
        from distributed import Client

        with contextlib.suppress(Exception):
            with Client(json.loads(scheduler_file.read_text())["address"], timeout=10) as client:
                client.shutdown()
    for process in reversed(processes):
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
