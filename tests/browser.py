"""A real headless Chromium for page tests: Debian's ``chromium`` package, installed on first use.

Installed from the test rather than a CI step so ``make test`` works the same on a fresh machine
and on a laptop. The install runs once per machine (a file lock keeps parallel test workers from
fighting over dpkg's lock); only when it cannot be installed (not root, no apt, no network) are
the browser tests skipped, with the reason.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
INSTALL_LOCK = Path("/tmp/naibot-chromium-install.lock")
INSTALL_TIMEOUT = 900
# A CI machine with a slow mirror may need minutes for the first install; tests that need the
# browser allow for that (a ceiling, not a wait).
BROWSER_TEST_TIMEOUT = INSTALL_TIMEOUT + 120


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(["apt-get", *args], env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)


def _install() -> str | None:
    """Install the package; None on success, else why not."""
    if shutil.which("apt-get") is None:
        return "apt-get is not available on this machine"
    if os.geteuid() != 0:
        return "not root, so `apt-get install chromium` is not possible here"
    attempt = _apt("install", "-y", "chromium")
    if attempt.returncode != 0:  # a fresh machine has no package lists yet
        update = _apt("update")
        if update.returncode != 0:
            return f"apt-get update failed: {update.stderr.strip()[-500:]}"
        attempt = _apt("install", "-y", "chromium")
    if attempt.returncode != 0:
        return f"apt-get install chromium failed: {attempt.stderr.strip()[-500:]}"
    return None


def chromium_path() -> str:
    """The Chromium binary, installing the Debian package if needed; skips the test if impossible."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    with INSTALL_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test worker may be installing right now
        if not os.access(CHROMIUM, os.X_OK):
            try:
                problem = _install()
            except subprocess.TimeoutExpired:
                problem = f"installing chromium took over {INSTALL_TIMEOUT} s"
            if problem is None and not os.access(CHROMIUM, os.X_OK):
                problem = f"the chromium package installed no {CHROMIUM}"
            if problem is not None:
                pytest.skip(f"no headless Chromium for the browser test: {problem}")
    return CHROMIUM


@asynccontextmanager
async def open_page() -> AsyncIterator[Any]:
    """A fresh page (1280×900) in Debian's Chromium, driven by Playwright (no `playwright install`).

    The page's Content-Security-Policy is bypassed: Playwright's waits evaluate JavaScript the
    policy forbids, and a page test must prove the page safe without that second line of defence.
    """
    from playwright.async_api import async_playwright

    executable = chromium_path()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
            yield await context.new_page()
            await context.close()
        finally:
            await browser.close()
