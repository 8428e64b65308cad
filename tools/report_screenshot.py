"""Write docs/report.png, the picture of an HTML report that README shows: runs
examples/workflows/wordstats in a temporary copy (with a temporary cache, so that
everything runs), writes its report with `seamlessflow report` and photographs the page
with headless Chromium (Debian: `apt-get install -y chromium`).

    python tools/report_screenshot.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "workflows" / "wordstats"
WINDOW = "1100,1150"


def main() -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.exit("this needs Chromium: apt-get install -y chromium")
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "wordstats"
        shutil.copytree(EXAMPLE, project)
        env = {**os.environ, "SEAMLESSFLOW_CACHE": str(Path(tmp) / "cache"),
               "PYTHONPATH": str(ROOT)}
        cli = [sys.executable, "-m", "seamlessflow", "-q", "-C", str(project)]
        subprocess.run([*cli, "run"], env=env, check=True)
        page = Path(tmp) / "report.html"
        subprocess.run([*cli, "report", "-o", str(page)], env=env, check=True)
        shot = Path(tmp) / "report.png"
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--no-first-run", f"--user-data-dir={tmp}/profile",
                        "--hide-scrollbars", f"--window-size={WINDOW}",
                        f"--screenshot={shot}", page.as_uri()],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=120)
        shutil.copyfile(shot, ROOT / "docs" / "report.png")


if __name__ == "__main__":
    main()
