"""The project installs the same way for pip and conda users; notebooks are stored clean."""

import json
import re
import tomllib

import yaml

from conftest import REPO


def _spec(requirement: str) -> str:
    """A requirement without spaces and extras: conda has no extras (its dask includes distributed)."""
    return re.sub(r"\[.*?\]", "", requirement.split("#")[0]).replace(" ", "")


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_name(r): _spec(r) for r in project["dependencies"]}
    wanted.update({_name(r): _spec(r) for r in project["optional-dependencies"]["test"]})
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    conda = {_name(d): _spec(d) for d in env["dependencies"] if isinstance(d, str)}
    conda.pop("python", None)
    conda.pop("pip", None)
    # Packages conda-forge lacks come from PyPI through the environment's pip section.
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            conda.update({_name(d): _spec(d) for d in entry.get("pip", []) if not d.startswith("-")})
    assert set(conda) == set(wanted), f"missing in environment.yml: {set(wanted) - set(conda)}; extra: {set(conda) - set(wanted)}"
    for name, spec in wanted.items():
        assert conda[name] == spec, f"{name}: pyproject says {spec}, environment.yml says {conda[name]}"


def test_notebooks_are_stored_without_outputs():
    for path in sorted((REPO / "notebooks").glob("**/*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            assert not cell.get("outputs"), f"{path.name} has stored outputs"
            assert not cell.get("execution_count"), f"{path.name} has execution counts"


def test_console_script_is_declared():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"]["abs"] == "abs_lib.cli:main"


def test_jupyter_lab_runs_in_the_installed_environment():
    """`make install` / `pip install -e .[test]` brings JupyterLab: `jupyter lab` is no « command not found »."""
    import subprocess
    import sys
    from pathlib import Path

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "jupyterlab" in {_name(r) for r in project["dependencies"]}
    jupyter = Path(sys.executable).parent / ("jupyter.exe" if sys.platform == "win32" else "jupyter")
    done = subprocess.run([str(jupyter), "lab", "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip().split(".")[0]) >= 4, done.stdout
