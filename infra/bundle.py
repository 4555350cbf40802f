"""Packages the Lambda code without Docker: a copy of functions/ and the locked dependencies beside it.

Every function shares one asset (each has its own handler). Dependencies are installed from the
hashed lock as prebuilt wheels for the Lambda platform, so nothing is compiled here; they are cached
per lock content, Python version and platform because downloading them is the slow part.

The asset is the same bytes from any machine, checkout path or interpreter (tests/infra proves it):
CDK names the asset by a hash of its content, so any difference would re-upload the code and update
every function on each deploy from a new place.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCK_FILE = REPO_ROOT / "requirements.lock"
# Lambda's arm64 Python runtimes run on Amazon Linux 2023 (glibc 2.34): both wheel tags load there.
LAMBDA_PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")
_PACKAGE = "functions"
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".pytest_cache")
# What pip records about the install itself (paths, installer, hashes of its generated scripts):
# nothing reads these in Lambda, and they differ between machines.
_INSTALL_RECORDS = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
# 1980-01-01, the earliest time a zip entry can carry.
_FIXED_MTIME = 315532800


class BundleError(RuntimeError):
    pass


def bundle(
    out_dir: Path,
    *,
    python_version: str,
    with_dependencies: bool,
    platforms: Sequence[str] = LAMBDA_PLATFORMS,
) -> Path:
    """Fills out_dir with the code asset and returns it; its content alone decides the asset hash.

    `platforms` empty installs for this machine's own interpreter instead: only the bundle import test
    wants that, because arm64 wheels with C extensions do not load on another architecture.
    """
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    if with_dependencies:
        shutil.copytree(_dependencies(out_dir.parent, python_version, platforms), out_dir, dirs_exist_ok=True)
    shutil.copytree(REPO_ROOT / _PACKAGE, out_dir / _PACKAGE, ignore=_IGNORED)
    _normalize(out_dir)
    return out_dir


def _dependencies(cache_root: Path, python_version: str, platforms: Sequence[str]) -> Path:
    lock = LOCK_FILE.read_bytes()
    key = hashlib.sha256(b"\0".join([lock, python_version.encode(), *map(str.encode, platforms)]))
    target = cache_root / f"deps-{key.hexdigest()[:16]}"
    if target.exists():
        return target
    staging = cache_root / f"{target.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    if platforms:
        wanted = [
            *(option for platform in platforms for option in ("--platform", platform)),
            "--implementation", "cp", "--python-version", python_version,
        ]  # fmt: skip
    else:
        wanted = []
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
        "--require-hashes", "--only-binary=:all:", *wanted,
        "--target", str(staging), "-r", str(LOCK_FILE),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BundleError(f"installing the Lambda dependencies failed:\n{result.stderr.strip()}")
    # Console scripts carry the building interpreter's path in their `#!` line; Lambda never runs them.
    shutil.rmtree(staging / "bin", ignore_errors=True)
    for record in staging.glob("*.dist-info/*"):
        if record.name in _INSTALL_RECORDS:
            record.unlink()
    # Renamed only once complete, so an interrupted install is never mistaken for a cached one.
    staging.rename(target)
    return target


def _normalize(root: Path) -> None:
    """Same modes and times everywhere, whatever the umask and checkout time were."""
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_symlink():
            raise BundleError(f"{path.relative_to(root)} is a symbolic link; the asset holds plain files")
        if path.is_dir():
            mode = 0o755
        else:
            executable = path.stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            mode = 0o755 if executable else 0o644
        path.chmod(mode)
        os.utime(path, (_FIXED_MTIME, _FIXED_MTIME))
    os.utime(root, (_FIXED_MTIME, _FIXED_MTIME))
