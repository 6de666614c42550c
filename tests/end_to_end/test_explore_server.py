"""``lifecheck explore``'s server and command line without a browser: routes, bad input, exit codes."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from lifecheck.cli import main
from lifecheck.modelling.spec import load_specs
from lifecheck.ui.server import STATIC, make_server
from lifecheck.ui.session import Session

TARGET = "specs/extraction.py::extraction/in-place/crash"


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    (spec,) = load_specs(TARGET)
    server = make_server(Session(spec))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()


def request(base: str, path: str, body: bytes | None = None) -> tuple[int, str, bytes]:
    req = urllib.request.Request(base + path, data=body, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=60) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


def test_the_server_binds_to_this_machine_only(base):
    assert base.startswith("http://127.0.0.1:")


@pytest.mark.parametrize("name", sorted(STATIC))
def test_the_page_and_its_files_come_from_the_package(base, name):
    status, kind, body = request(base, "/" if name == "index.html" else f"/static/{name}")
    assert status == 200 and kind == STATIC[name] and body
    assert b"http://" not in body and b"https://" not in body  # nothing fetched from elsewhere


def test_a_move_answers_the_new_view_and_a_bad_one_a_json_error(base):
    status, _, body = request(base, "/api/reset", b"{}")
    assert status == 200 and json.loads(body)["key"] == "0"
    status, _, body = request(base, "/api/step", b'{"index": 0}')
    assert status == 200 and json.loads(body)["key"] == "0.0"
    for route, payload, message in [
        ("/api/step", b'{"index": 9}', "step #9 is not enabled"),
        ("/api/step", b'{"index": "0"}', "the request needs 'index' as a int"),
        ("/api/step", b"not json", "the request's body is not JSON"),
        ("/api/step", b"[1]", "not a JSON object"),
        ("/api/replay", b'{"key": "a.b"}', "is not a key"),
        ("/api/counterexample", b'{"property": "Nope"}', "no property 'Nope'"),
    ]:
        status, kind, body = request(base, route, payload)
        assert (status, kind) == (400, "application/json; charset=utf-8"), route
        assert message in json.loads(body)["error"]
    status, _, body = request(base, "/api/view")
    assert json.loads(body)["key"] == "0.0"  # no bad move moved


def test_unknown_pages_and_moves_are_404_in_json(base):
    for path, body in [("/nope", None), ("/static/../server.py", None), ("/api/jump", b"{}")]:
        status, _, answer = request(base, path, body)
        assert status == 404 and "error" in json.loads(answer)


def test_the_diagram_is_svg(base):
    status, kind, body = request(base, "/api/diagram.svg")
    assert status == 200 and kind.startswith("image/svg+xml") and b"<svg" in body


@pytest.mark.parametrize(("argv", "message"), [
    (["explore", "specs/no_such_file.py", "--no-open"], "no_such_file.py"),
    (["explore", "specs/extraction.py", "--no-open"], "name one as PATH::NAME"),
    (["explore", "specs/extraction.py::nope", "--no-open"], "nope"),
    (["explore", TARGET, "--key", "0.7", "--no-open"], "the key does not fit this spec"),
])
def test_the_command_refuses_bad_input_with_exit_status_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_port_in_use_is_refused_with_exit_status_2(capsys):
    (spec,) = load_specs(TARGET)
    taken = make_server(Session(spec))
    try:
        port = taken.server_address[1]
        assert main(["explore", TARGET, "--port", str(port), "--no-open"]) == 2
        assert f"cannot serve on 127.0.0.1:{port}" in capsys.readouterr().err
    finally:
        taken.server_close()


def test_a_name_that_also_groups_others_selects_the_spec_named_exactly(capsys):
    """``extraction/in-place/power-loss`` is a spec and the group of its file-system
    variants: ``replay`` (and ``explore``, which loads its spec the same way) take the spec."""
    assert main(["replay", "specs/extraction.py::extraction/in-place/power-loss", "0"]) == 0
    assert capsys.readouterr().out.startswith("extraction/in-place/power-loss: replay 0")
    assert main(["replay", "specs/extraction.py::extraction/in-place", "0"]) == 2
    assert "holds 7 specs" in capsys.readouterr().err
