"""``cantus bench dashboard``: seconds from starting ``cantus dashboard`` to first results.

Starts the dashboard as users do on a free localhost port, opens ``/?q=melancholy+waltz`` in
headless Chromium (selenium + Debian's ``chromium``/``chromium-driver``) and waits until three
result cards with engraved scores show. Runs twice on one ``CANTUS_HOME``: ``first_start``
(empty home: thumbnails engraved, caches filled) and ``second_start``. Printed and saved to
``cantus.config.bench_dir() / "dashboard.json"``. The browser helpers here also serve
``tests/test_browser.py``.
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
SERVER_START_S = 90
READY_S = 240  # cold engine load + first search + thumbnails on 2 shared cores
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1600",
)
ERROR_SELECTOR = "[data-testid='stAlertContentError'], [data-testid='stException']"


def browser_paths() -> tuple[str | None, str | None]:
    """(chromium, chromedriver) executables, None where missing."""
    chromium = (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )
    return chromium, shutil.which("chromedriver")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(port: int, process: subprocess.Popen, timeout: float) -> None:
    url = f"http://127.0.0.1:{port}/_stcore/health"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CantusError(f"streamlit exited with code {process.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.2)
    raise CantusError(f"streamlit did not answer on port {port} within {timeout} s")


@contextlib.contextmanager
def running(cmd: list[str], env: dict[str, str], log_path: Path, port: int) -> Iterator[int]:
    """``cmd`` (a Streamlit server on ``port``) running until the block ends; yields the port."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_health(port, process, SERVER_START_S)
            yield port
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def chromium(profile_dir: Path) -> Iterator[Any]:
    """A headless Chromium WebDriver (selenium), quit when the block ends."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*CHROME_FLAGS, f"--user-data-dir={profile_dir}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for_results(driver: Any, timeout: float, at_least: int = 3) -> tuple[list, list]:
    """Result cards (their Play buttons) and engraved scores (SVG images), once enough show.

    Fails at once, with the message, when the page shows an error instead.
    """
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def ready(drv: Any) -> tuple[list, list] | None:
        errors = drv.find_elements(By.CSS_SELECTOR, ERROR_SELECTOR)
        if errors:
            raise AssertionError(f"the page shows an error: {errors[0].text}")
        plays = drv.find_elements(By.XPATH, "//button[contains(., 'Play')]")
        scores = drv.find_elements(By.CSS_SELECTOR, "img[src^='data:image/svg+xml']")
        return (plays, scores) if min(len(plays), len(scores)) >= at_least else None

    # Streamlit re-renders while the script runs, so elements found early may go stale
    ignored = (StaleElementReferenceException,)
    wait = WebDriverWait(driver, timeout, poll_frequency=0.2, ignored_exceptions=ignored)
    return wait.until(ready)


def _check_tools() -> None:
    binary, driver_path = browser_paths()
    try:
        import selenium  # noqa: F401
    except ImportError:
        binary = None
    if not (binary and driver_path):
        msg = (
            "bench dashboard needs selenium (pip install -e '.[test]') and Debian's chromium "
            "and chromium-driver (apt-get install -y chromium chromium-driver)"
        )
        raise CantusError(msg)


def bench_dashboard() -> dict[str, Any]:
    """Two starts on one fresh home; seconds from launch to results with scores."""
    from cantus.config import bench_dir

    _check_tools()
    report: dict[str, Any] = {"query": QUERY, "cpus": os.cpu_count(), "runs": {}}
    with tempfile.TemporaryDirectory(prefix="cantus-bench-dash-") as tmp:
        env = {**os.environ, "CANTUS_HOME": str(Path(tmp) / "home")}
        for name in ("first_start", "second_start"):
            port = free_port()
            cmd = [sys.executable, "-m", "cantus.cli", "dashboard", "--server.port", str(port)]
            cmd += ["--server.headless", "true"]
            started = time.monotonic()
            with running(cmd, env, Path(tmp) / f"{name}.log", port):
                up = time.monotonic() - started
                with chromium(Path(tmp) / f"chrome-{name}") as driver:
                    driver.get(f"http://127.0.0.1:{port}/?q={QUERY.replace(' ', '+')}")
                    wait_for_results(driver, READY_S)
                    total = time.monotonic() - started
            report["runs"][name] = {"server_up_s": round(up, 2), "first_results_s": round(total, 2)}
    report["target_first_results_s"] = 10
    path = bench_dir() / "dashboard.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    report["saved_to"] = str(path)
    return report
