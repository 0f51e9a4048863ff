"""``cantus bench dashboard``: seconds from starting ``cantus dashboard`` to first results.

Starts the dashboard as users do on a free localhost port, opens ``/?q=melancholy+waltz`` in
headless Chromium (selenium + Debian's ``chromium``/``chromium-driver``) and waits until three
result cards with engraved scores show. Runs twice on one ``CANTUS_HOME``: ``first_start``
(empty home: the query encoder is traced and cached, thumbnails engraved) and ``second_start``.
Printed and saved to ``cantus.config.bench_dir() / "dashboard.json"``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cantus.errors import CantusError

QUERY = "melancholy waltz"
READY_S = 240
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--window-size=1400,1600",
)
ERROR_SELECTOR = "[data-testid='stAlertContentError'], [data-testid='stException']"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _browser_paths() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    try:
        import selenium  # noqa: F401
    except ImportError:
        chromium = None
    if not (chromium and driver):
        msg = (
            "bench dashboard needs selenium (pip install -e '.[test]') and Debian's chromium "
            "and chromium-driver (apt-get install -y chromium chromium-driver)"
        )
        raise CantusError(msg)
    return chromium, driver


@contextlib.contextmanager
def _server(home: Path, log_path: Path) -> Iterator[int]:
    port = _free_port()
    env = {**os.environ, "CANTUS_HOME": str(home)}
    options = ["--server.port", str(port), "--server.headless", "true"]
    cmd = [sys.executable, "-m", "cantus.cli", "dashboard", *options]
    with log_path.open("wb") as log:
        process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and process.poll() is None:
                url = f"http://127.0.0.1:{port}/_stcore/health"
                with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2):
                    break
                time.sleep(0.2)
            else:
                raise CantusError(f"the dashboard did not start; see {log_path}")
            yield port
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _first_results(port: int, chromium: str, driver_path: str, profile: Path) -> None:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROME_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.get(f"http://127.0.0.1:{port}/?q={QUERY.replace(' ', '+')}")

        def ready(drv: Any) -> bool:
            if drv.find_elements(By.CSS_SELECTOR, ERROR_SELECTOR):
                raise CantusError("the dashboard showed an error instead of results")
            plays = drv.find_elements(By.XPATH, "//button[contains(., 'Play')]")
            scores = drv.find_elements(By.CSS_SELECTOR, "img[src^='data:image/svg+xml']")
            return min(len(plays), len(scores)) >= 3

        ignored = (StaleElementReferenceException,)
        WebDriverWait(driver, READY_S, poll_frequency=0.2, ignored_exceptions=ignored).until(ready)
    finally:
        driver.quit()


def bench_dashboard() -> dict[str, Any]:
    """Two starts on one fresh home; seconds from launch to results with scores."""
    from cantus.config import bench_dir

    chromium, driver = _browser_paths()
    report: dict[str, Any] = {"query": QUERY, "cpus": os.cpu_count(), "runs": {}}
    with tempfile.TemporaryDirectory(prefix="cantus-bench-dash-") as tmp:
        home = Path(tmp) / "home"
        for name in ("first_start", "second_start"):
            started = time.monotonic()
            with _server(home, Path(tmp) / f"{name}.log") as port:
                up = time.monotonic() - started
                _first_results(port, chromium, driver, Path(tmp) / f"chrome-{name}")
                total = time.monotonic() - started
            report["runs"][name] = {"server_up_s": round(up, 2), "first_results_s": round(total, 2)}
    report["target_first_results_s"] = 10
    path = bench_dir() / "dashboard.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    report["saved_to"] = str(path)
    return report
