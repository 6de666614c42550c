"""``lifecheck explore`` in a real browser: Debian's chromium driven by Playwright for Python.

The command runs as a user runs it, in a subprocess; the test reads the address it
prints and clicks through the shipped in-place extraction design to its violation
(a crash after mkdir, then a restart that loads the empty directory), goes back,
follows replay keys and jumps to a liveness counterexample, asserting on the text a
person sees. Chromium is Debian's (``.ci/run`` and ``./dev`` install it) launched by
its path; ``playwright install`` is never run. Where chromium or Playwright is
missing the test skips, except in CI, where a skipped browser test would be a test
that cannot fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET = "specs/extraction.py::extraction/in-place/crash"
CHROMIUM = "/usr/bin/chromium"
VIOLATION_KEY = "0.0.0.1.0.0.0"


def _missing() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    if not shutil.which(CHROMIUM):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return ""


@pytest.fixture(scope="module")
def browser_page():
    missing = _missing()
    if missing:
        if os.environ.get("CI"):  # as tests/snapshot.py reads it; .ci/run sets CI=true
            pytest.fail(f"the browser test cannot run in CI: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """``lifecheck explore`` serving the in-place design on a free port; its printed address."""
    proc = subprocess.Popen([sys.executable, "-m", "lifecheck", "explore", TARGET, "--no-open"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(60)
    try:
        found = re.search(r"http://127\.0\.0\.1:\d+/", first[0] if first else "")
        if not found:
            proc.kill()
            raise AssertionError(f"lifecheck explore printed no address: {first!r}, "
                                 f"stderr: {proc.stderr.read()!r}")
        yield found.group(0)
    finally:
        proc.terminate()
        proc.wait(10)


def test_clicking_through_the_in_place_bug_to_its_violation(browser_page, url, tmp_path):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(url)
    expect(page.locator("h1")).to_have_text("extraction/in-place/crash")
    page.get_by_role("button", name="Reset").click()  # the server's path outlives a test
    expect(page.locator("#depth")).to_have_text("0")
    expect(page.locator("#budgets")).to_contain_text("crash: 2 of 2 left")
    steps = ["broker1 lock", "broker1 boot", "broker1 crash", "broker1 lock", "broker1 boot"]
    for n, label in enumerate(steps, start=1):
        # a fault's button is named with its badge: "broker1 crash (fault)"
        page.get_by_role("button", name=re.compile(rf"^{label}( \(fault\))?$")).click()
        expect(page.locator("#depth")).to_have_text(str(n))
    expect(page.locator("#budgets")).to_contain_text("crash: 1 of 2 left")
    expect(page.locator("#verdict")).to_be_hidden()
    # The state as the model declares it: the crash kept the durable directory, the
    # restarted broker found it and is about to load it.
    expect(page.locator(".holder", has_text="broker1")).to_contain_text("'load'")
    expect(page.locator(".holder", has_text="fs")).to_contain_text("'/tmp/plugin': 'dir'")
    load = page.locator(".step", has_text="broker1 load")
    expect(load).to_contain_text("breaks NoPartialLoad")
    page.screenshot(path=str(tmp_path / "explore-before-the-violation.png"), full_page=True)

    load.get_by_role("button").click()
    expect(page.locator("#verdict")).to_be_visible()
    expect(page.locator("#verdict")).to_contain_text("Violated: NoPartialLoad does not hold")
    expect(page.locator("#key-input")).to_have_value(VIOLATION_KEY)
    expect(page.locator("tr", has_text="NoPartialLoad")).to_contain_text("violated")
    expect(page.locator("#path")).to_contain_text("breaks NoPartialLoad")
    diagram = page.locator("#diagram")
    expect(diagram).to_have_attribute("src", re.compile(r"key=0\.0\.0\.1\.0\.0\.0"))
    page.wait_for_function("document.getElementById('diagram').complete")
    assert page.evaluate("document.getElementById('diagram').naturalWidth") > 100


def test_going_back_and_following_replay_keys(browser_page, url):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(url)
    page.get_by_role("button", name="Reset").click()
    expect(page.locator("#depth")).to_have_text("0")
    expect(page.get_by_role("button", name="◀ Back")).to_be_disabled()

    page.locator("#key-input").fill(VIOLATION_KEY)
    page.get_by_role("button", name="Follow key").click()
    expect(page.locator("#depth")).to_have_text("6")
    expect(page.locator("#verdict")).to_contain_text("NoPartialLoad does not hold")

    page.get_by_role("button", name="◀ Back").click()
    expect(page.locator("#depth")).to_have_text("5")
    expect(page.locator("#verdict")).to_be_hidden()
    expect(page.locator("#key-input")).to_have_value("0.0.0.1.0.0")

    page.locator("#path li", has_text="broker1 boot").first.get_by_role("link").click()
    expect(page.locator("#depth")).to_have_text("2")

    page.locator("#key-input").fill("0.9")
    page.locator("#key-input").press("Enter")
    expect(page.locator("#error")).to_contain_text("the key does not fit this spec")
    expect(page.locator("#depth")).to_have_text("2")  # a bad key leaves the path as it was


def test_jumping_to_a_liveness_counterexample_shows_its_loop(browser_page, url):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(url)
    page.locator("tr", has_text="EventuallyStarts").get_by_role("button").click()
    expect(page.locator("#note")).to_contain_text("steps 4..7 repeat forever")
    expect(page.locator("#path")).to_contain_text("then steps 4..7 repeat forever")
    expect(page.locator("#depth")).to_have_text("7")
    page.locator("tr", has_text="NoLeak").get_by_role("button").click()
    expect(page.locator("#error")).to_contain_text("NoLeak holds within the spec's bounds")
