"""Packages the Lambda code without Docker: a copy of functions/, plus its dependencies when deploying.

Every function shares one asset (each has its own handler). Dependencies are installed from the
lock as prebuilt wheels for the Lambda platform, so nothing is compiled here; they are cached per
lock content and Python version because downloading them is the slow part.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCK_FILE = REPO_ROOT / "requirements.lock"
_PACKAGE = "functions"
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".pytest_cache")


class BundleError(RuntimeError):
    pass


def bundle(out_dir: Path, *, python_version: str, with_dependencies: bool) -> Path:
    """Fills out_dir with the code asset and returns it; its content alone decides the asset hash."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    if with_dependencies:
        shutil.copytree(_dependencies(out_dir.parent, python_version), out_dir, dirs_exist_ok=True)
    shutil.copytree(REPO_ROOT / _PACKAGE, out_dir / _PACKAGE, ignore=_IGNORED)
    return out_dir


def _dependencies(cache_root: Path, python_version: str) -> Path:
    lock = LOCK_FILE.read_bytes()
    key = hashlib.sha256(lock + python_version.encode()).hexdigest()[:16]
    target = cache_root / f"deps-{key}"
    if target.exists():
        return target
    staging = cache_root / f"deps-{key}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
        # Lambda's arm64 Python runtimes run on Amazon Linux 2023 (glibc 2.34): both wheel tags load there.
        "--platform", "manylinux2014_aarch64", "--platform", "manylinux_2_28_aarch64",
        "--implementation", "cp", "--python-version", python_version,
        "--only-binary=:all:", "--target", str(staging), "-r", str(LOCK_FILE),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BundleError(f"installing the Lambda dependencies failed:\n{result.stderr.strip()}")
    # Renamed only once complete, so an interrupted install is never mistaken for a cached one.
    staging.rename(target)
    return target
