"""The portal's QR encoder (portal/qr.js, run by Node.js) against segno, an independent encoder: for the
same text, version and mask, every module must match, so any scanner reads what segno's codes say."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import segno

PORTAL = Path(__file__).resolve().parents[2] / "portal"
NODE = shutil.which("node")
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# Lengths that land on every version from 1 to 10, the setup links the portal makes among them.
TEXTS = [
    "a",
    "x" * 20,
    "x" * 40,
    "x" * 60,
    "x" * 75,
    "otpauth://totp/DevSphere%20Automation%3Aalice?secret=ASDFASDFASDF&issuer=DevSphere%20Automation",
    f"otpauth://totp/DevSphere%20Automation%3Aalice?secret={SECRET[:32]}&issuer=DevSphere%20Automation",
    f"otpauth://totp/DevSphere%20Automation%3Aalice%40devsphere.example?secret={SECRET}&issuer=DevSphere",
    "é" * 70,
    "z" * 170,
    "y" * 200,
]

_RUNNER = """
import { qrMatrix } from "./qr.js";
const texts = JSON.parse(process.argv[1]);
const out = texts.map((text) => ({
  auto: qrMatrix(text),
  masks: [0, 1, 2, 3, 4, 5, 6, 7].map((mask) => qrMatrix(text, { mask })),
}));
out.push(qrMatrix("x".repeat(214)));
console.log(JSON.stringify(out));
"""


def _portal_qr(texts: list[str]) -> list:
    if NODE is None:
        if os.environ.get("CI"):
            pytest.fail("Node.js is not installed: `make system-deps` installs it")
        pytest.skip("Node.js is not installed")
    result = subprocess.run(
        [NODE, "--input-type=module", "-e", _RUNNER, json.dumps(texts)],
        cwd=PORTAL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer: list = json.loads(result.stdout)
    return answer


@pytest.fixture(autouse=True)
def _segno_pads_as_the_standard_says(monkeypatch: pytest.MonkeyPatch) -> None:
    """segno appends a whole zero byte when the data already ends on a byte boundary (always so in byte
    mode); ISO/IEC 18004 7.4.10 pads only to reach the boundary. Scanners read both alike (the terminator
    ends the data), but the modules differ, so segno is made to pad as the standard says."""
    original = segno.encoder.write_padding_bits

    def write_padding_bits(buff, version, length):  # type: ignore[no-untyped-def]
        if length % 8:
            original(buff, version, length)

    monkeypatch.setattr(segno.encoder, "write_padding_bits", write_padding_bits)


def _segno(text: str, mask: int) -> tuple[int, list[list[bool]]]:
    code = segno.make(
        text, error="m", mode="byte", mask=mask, boost_error=False, micro=False, encoding="utf-8"
    )
    return code.version, [[bool(module) for module in row] for row in code.matrix]


def test_given_texts_of_every_version_when_encoded_with_each_mask_then_every_module_matches_segno() -> None:
    *codes, too_long = _portal_qr(TEXTS)

    versions = set()
    for text, code in zip(TEXTS, codes, strict=True):
        for mask, ours in enumerate(code["masks"]):
            version, modules = _segno(text, mask)
            assert (ours["version"], ours["mask"]) == (version, mask), text
            assert ours["modules"] == modules, f"{text!r} mask {mask}"
        versions.add(code["auto"]["version"])
        # Whatever mask the portal picks, its code is the standard one for that mask.
        assert code["auto"]["modules"] == _segno(text, code["auto"]["mask"])[1]
    assert versions == set(range(1, 11))
    assert too_long is None
