"""The API reference (docs/api) builds cleanly and documents the whole public API.

It is built as ``./dev docs`` builds it: nitpicky, with warnings as errors. So a
docstring with broken reST, or one that points at a name that no longer exists,
fails here rather than leaving a dead link; and a public name added without being
documented, or a command-line flag missing from the CLI page, fails too.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import pydoc
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

import lifecheck
import lifecheck.components
from lifecheck.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "api"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("sphinx") is None,
    reason="sphinx is not installed, so the API reference cannot be built "
           "(pip install -e '.[dev]' installs it)")


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("api")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html",
         "-d", str(out / "doctrees"), str(DOCS), str(out / "html")],
        capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, f"the API reference does not build cleanly:\n{proc.stderr}{proc.stdout}"
    return out / "html"


def inventory(html: Path) -> dict[str, str]:
    """Every documented object, by full name, with its role (``py:class``...): objects.inv."""
    raw = (html / "objects.inv").read_bytes()
    header_end = 0
    for _ in range(4):  # four lines of plain-text header, then the zlib-compressed body
        header_end = raw.index(b"\n", header_end) + 1
    entries = {}
    for line in zlib.decompress(raw[header_end:]).decode().splitlines():
        name, role = line.split(" ", 2)[:2]
        entries[name] = role
    return entries


def test_every_public_name_of_lifecheck_is_documented_where_users_import_it(html: Path) -> None:
    documented = inventory(html)
    missing = [name for name in lifecheck.__all__ if f"lifecheck.{name}" not in documented]
    assert not missing, f"lifecheck exports {missing} but the API reference does not document them"


def test_every_component_export_is_documented(html: Path) -> None:
    # Components are documented in the module that defines them (their notes are the
    # module's docstring), so an export counts as documented when some documented name
    # is that very object.
    objects = [pydoc.locate(name) for name in inventory(html) if name.startswith("lifecheck.components")]
    missing = [name for name in lifecheck.components.__all__
               if not any(obj is getattr(lifecheck.components, name) for obj in objects)]
    assert not missing, f"lifecheck.components exports {missing}, which the reference does not document"


def test_testing_bridges_are_documented(html: Path) -> None:
    documented = inventory(html)
    for name in ("lifecheck.stateful.stateful_test", "lifecheck.stateful.find_violation",
                 "lifecheck.conformance.Adapter", "lifecheck.conformance.conformance_test",
                 "lifecheck.conformance.check_conformance"):
        assert name in documented, name
    testing = (html / "testing.html").read_text()
    assert "lifecheck_specs" in testing  # the pytest plugin's ini option, read from the plugin


def test_pages_show_the_objects_they_are_about(html: Path) -> None:
    assert 'id="lifecheck.components.filesystem.FileSystem"' in (html / "components.html").read_text()
    specs = (html / "specs.html").read_text()
    assert 'id="lifecheck.Spec"' in specs and 'id="lifecheck.check_spec"' in specs
    # A declared field is documented by its declaration: durability and doc string.
    components = (html / "components.html").read_text()
    assert "Page cache contents by inode" in components
    assert "Volatile: reset to its initial value when the machine loses power" in components  # locks


def _help(*argv: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main([*argv, "--help"])
    return out.getvalue()


def _section(page: str, command: str, commands: list[str]) -> str:
    """The HTML of one subcommand's section of the CLI page."""
    start = page.index(f'<section id="lifecheck-{command}">')
    ends = [page.index(f'<section id="lifecheck-{other}">', start) for other in commands
            if f'<section id="lifecheck-{other}">' in page[start:] and other != command]
    return page[start:min(ends, default=len(page))]


def test_cli_page_shows_every_subcommand_with_every_flag(html: Path) -> None:
    page = (html / "cli.html").read_text()
    listed = re.search(r"\{([\w,-]+)\}", _help()).group(1).split(",")  # lifecheck --help
    assert "check" in listed
    for command in listed:
        usage = _help(command)
        shown = {part for kbd in re.findall(r"<kbd>([^<]*)</kbd>", _section(page, command, listed))
                 for part in kbd.split(", ")}
        expected = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", usage.split("\n\n", 1)[0]))
        expected -= {"-h", "--help"}
        assert expected <= shown, f"lifecheck {command}: {sorted(expected - shown)} not on the CLI page"
    check = _section(page, "check", listed)
    assert "<kbd>--workers</kbd>" in check and "explore with N worker processes" in check

