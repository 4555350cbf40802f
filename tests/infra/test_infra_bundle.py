"""The code asset a deploy uploads: the same bytes from any place, and every handler imports from it.

Two real builds, each cached for the test session:
- the Lambda build (arm64 wheels, as deployed), made twice from different directories by different
  interpreters: its CDK asset hash must not change, which proves every machine deploys the same code;
- a build of the same lock for this machine (x86_64 here), because arm64 wheels with C extensions
  (pydantic-core) cannot load here: importing every handler from it on python3.13 proves the lock
  holds everything the code imports, from the bundle alone. It cannot prove the arm64 wheels load; that
  the Lambda build resolves every locked package for arm64 and python3.13 is what the first build shows.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from aws_cdk import FileSystem

from infra.bundle import REPO_ROOT, bundle
from infra.constructs.function import PYTHON_VERSION

_BUILD = """
import sys
from pathlib import Path
from infra.bundle import bundle
bundle(Path(sys.argv[1]), python_version=sys.argv[2], with_dependencies=True)
"""

_IMPORT = """
import importlib, json, sys
root = sys.argv[1]
sys.path.insert(0, root)
failures = []
for handler in sys.argv[2:]:
    module_name, _, attribute = handler.rpartition(".")
    try:
        module = importlib.import_module(module_name)
        if not callable(getattr(module, attribute)):
            failures.append(f"{handler}: not callable")
    except Exception as error:
        failures.append(f"{handler}: {type(error).__name__}: {error}")
outside = sorted(
    name
    for name, module in sys.modules.items()
    if name.split(".")[0] in {"functions", "boto3", "pynamodb", "pydantic_core", "aws_lambda_powertools"}
    and not (getattr(module, "__file__", None) or root).startswith(root)
)
print(json.dumps({"version": "%d.%d" % sys.version_info[:2], "failures": failures, "outside": outside}))
"""


def _manifest(root: Path) -> dict[str, tuple[int, int, str]]:
    return {
        path.relative_to(root).as_posix(): (
            path.stat().st_mode,
            int(path.stat().st_mtime),
            hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _build(python: Path, checkout: Path, out_dir: Path) -> Path:
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [str(python), "-c", _BUILD, str(out_dir), PYTHON_VERSION],
        cwd=checkout,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out_dir


def _copy_checkout(destination: Path) -> Path:
    """What bundling reads from a checkout: the code, the bundler and the lock."""
    ignored = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("functions", "infra"):
        shutil.copytree(REPO_ROOT / folder, destination / folder, ignore=ignored)
    shutil.copy2(REPO_ROOT / "requirements.lock", destination / "requirements.lock")
    return destination


@pytest.fixture(scope="session")
def lambda_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Path]]:
    """The Lambda asset built twice: from this checkout by the project's interpreter, and from a copy of
    it elsewhere by another interpreter, each with its own dependency cache."""
    first_root = tmp_path_factory.mktemp("one")
    second_root = tmp_path_factory.mktemp("somewhere-else")
    other_python_home = second_root / "python"
    venv.EnvBuilder(with_pip=True).create(other_python_home)
    other_python = other_python_home / "bin" / "python"
    other_checkout = _copy_checkout(second_root / "checkout")
    first = _build(Path(sys.executable), REPO_ROOT, first_root / "build" / "lambda")
    second = _build(other_python, other_checkout, second_root / "out" / "lambda")
    return first, second, [Path(sys.executable), other_python, first_root, second_root, REPO_ROOT]


@pytest.fixture(scope="session")
def host_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("host-bundle")
    return bundle(root / "lambda", python_version=PYTHON_VERSION, with_dependencies=True, platforms=())


def test_given_two_builds_from_different_places_when_hashed_then_the_asset_is_the_same(lambda_builds):
    first, second, _ = lambda_builds

    assert _manifest(first) == _manifest(second)
    assert FileSystem.fingerprint(str(first)) == FileSystem.fingerprint(str(second))


def test_given_the_lambda_build_when_read_then_it_names_no_interpreter_or_build_path(lambda_builds):
    first, second, places = lambda_builds
    needles = [str(place).encode() for place in places]

    for root in (first, second):
        files = [path for path in root.rglob("*") if path.is_file()]
        assert not [path for path in files if any(needle in path.read_bytes() for needle in needles)]
        assert not (root / "bin").exists(), "console scripts carry their interpreter's path"
        assert not [path for path in files if path.suffix == ".pyc" or path.name == "RECORD"]


def test_given_the_lambda_build_when_listed_then_it_holds_the_code_and_every_locked_package(lambda_builds):
    first, _, _ = lambda_builds
    locked = {
        line.split("==")[0].lower().replace("-", "_")
        for line in (REPO_ROOT / "requirements.lock").read_text().splitlines()
        if "==" in line and not line.startswith(("#", " "))
    }

    installed = {path.name.split("-")[0].lower() for path in first.glob("*.dist-info")}
    assert locked <= installed, locked - installed
    assert (first / "functions" / "api" / "app.py").is_file()
    assert any(
        "aarch64" in path.name and path.suffix == ".so" for path in (first / "pydantic_core").iterdir()
    )


def _entry_points(synthesized) -> list[str]:
    """Every Lambda handler of the stack that lives in our code (CDK's own custom resources aside)."""
    functions = synthesized.of_type("AWS::Lambda::Function").values()
    ours = [
        body["Properties"] for body in functions if body["Properties"]["Handler"].startswith("functions.")
    ]
    assert len({json.dumps(properties["Code"], sort_keys=True) for properties in ours}) == 1, (
        "one shared asset"
    )
    return sorted({properties["Handler"] for properties in ours})


def test_given_the_built_bundle_when_every_handler_is_imported_on_the_runtime_python_then_each_loads(
    synthesized, host_bundle
):
    handlers = _entry_points(synthesized)
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_DEFAULT_REGION": "eu-west-2",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_SERVICE_NAME": "automation",
        "PYTHONDONTWRITEBYTECODE": "1",
    }

    # -I -S: nothing from this virtualenv or the user's site, only the bundle and the standard library.
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _IMPORT, str(host_bundle), *handlers],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["version"] == PYTHON_VERSION
    assert report["failures"] == []
    assert report["outside"] == []
    assert {"functions.api.app.handler", "functions.monitors.watchdog.handler"} <= set(handlers)
    assert len(handlers) >= 7


def test_given_a_synthesized_stack_when_its_functions_name_their_code_then_by_the_fingerprint(
    synthesized, tmp_path
):
    # The fingerprint compared above is the very name CDK gives the uploaded code (its S3 key).
    code_only = bundle(tmp_path / "lambda", python_version=PYTHON_VERSION, with_dependencies=False)
    functions = synthesized.of_type("AWS::Lambda::Function").values()

    keys = {
        body["Properties"]["Code"]["S3Key"]
        for body in functions
        if body["Properties"]["Handler"].startswith("functions.")
    }

    assert keys == {f"{FileSystem.fingerprint(str(code_only))}.zip"}
