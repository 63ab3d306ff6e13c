"""Packaging: environment.yml agrees with pyproject.toml; a built wheel works without the repo."""

from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

import churnsurv

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

ROOT = Path(__file__).resolve().parents[1]

# conda-forge spells a few PyPI names differently.
CONDA_NAME = {"build": "python-build", "duckdb": "python-duckdb"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


# Imported only when first used, so `import churnsurv` stays light (benchmarks/bench_import.py).
LAZY = [
    "matplotlib",
    "lifelines",
    "statsmodels",
    "formulaic",
    "papermill",
    "nbconvert",
    "tqdm",
    "churnsurv.report",
    "duckdb",
    "ibis",
    "pyspark",
]


def test_import_churnsurv_loads_no_heavy_optional_part():
    probe = f"import sys, churnsurv; print([m for m in {LAZY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    wanted |= {_name(r) for r in project["optional-dependencies"]["test"]}
    wanted = {CONDA_NAME.get(n, n) for n in wanted}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert conda == wanted, (
        f"only in environment.yml: {sorted(conda - wanted)}; "
        f"only in pyproject.toml: {sorted(wanted - conda)}"
    )
    pip_part = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_part


def test_version_is_consistent():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert churnsurv.__version__ == project["version"]


def test_public_api_is_sorted_and_importable():
    assert list(churnsurv.__all__) == sorted(churnsurv.__all__)
    for name in churnsurv.__all__:
        assert hasattr(churnsurv, name), name


LOADERS_SCRIPT = """
import churnsurv, churnsurv.data.datasets as d
assert "site-packages" in churnsurv.__file__, churnsurv.__file__
shapes = [d.load_telco().shape, d.load_iranian_churn().shape, d.load_cdnow().shape,
          d.load_cdnow(sample=False).shape, d.load_fader_hardie_2007().shape]
print(shapes)
"""


@pytest.mark.slow
def test_wheel_installs_and_every_loader_works(tmp_path):
    """Build a wheel, install it into a fresh venv, call every loader from outside the repo.

    The fresh venv reuses the test environment's third-party packages through a plain path
    entry (no pip download), but not its editable churnsurv: the import must come from the
    wheel, whose package data must hold the datasets.
    """
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("churnsurv-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = subprocess.run(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", site, str(wheel)],
        check=True,
        capture_output=True,
    )
    # third-party dependencies from the test environment, as a plain path (its .pth files,
    # including the editable churnsurv finder, are not processed)
    Path(site, "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    out = subprocess.run(
        [py, "-c", LOADERS_SCRIPT], check=True, capture_output=True, text=True, cwd=tmp_path
    ).stdout
    assert out.strip() == "[(7043, 21), (3150, 15), (6919, 4), (69659, 4), (13, 3)]"
