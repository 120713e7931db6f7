"""The HTML compliance report in a real browser: headless Chromium (Debian's `chromium` package).

Chromium loads the file offline, so a report that needed the network or a script would show
less; the test reads back the rendered DOM, takes a screenshot and prints to PDF. On a developer
machine without Chromium the test is skipped; .ci/run installs it under CI (CI=true) when it can.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from conftest import run_pwlint, write_tree
from test_compliance import MIXED

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)")


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None, "CI must install chromium (see .ci/run)"
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
               "--disable-extensions", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_html_report_renders_offline_in_chromium(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "project", MIXED)
    done = run_pwlint("report", ".", "--standard", "mlps-2.0-l3", "--format", "html", "--output", "report.html", cwd=root)
    assert done.returncode == 0, done.stderr
    page = (root / "report.html").as_uri()

    dom = chromium("--dump-dom", page)
    assert dom.returncode == 0, dom.stderr
    for text in ("Compliance report: GB/T 22239-2019", "8.1.4.8 b)", "保证重要数据（含鉴别数据）在存储过程中的保密性",
                 "Fail", "Outside static analysis", "shop/legacy.py:6:24", "legacy import, removed in 3.0"):
        assert text in dom.stdout, text

    screenshot = tmp_path / "report.png"
    shot = chromium("--window-size=1200,1600", f"--screenshot={screenshot}", page)
    assert shot.returncode == 0, shot.stderr
    assert png_size(screenshot) == (1200, 1600)
    assert screenshot.stat().st_size > 50_000  # a blank or unstyled page compresses far smaller

    pdf = tmp_path / "report.pdf"
    printed = chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page)
    assert printed.returncode == 0, printed.stderr
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000
