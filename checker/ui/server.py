"""The page of ``lifecheck explore`` and its JSON API, served by the standard library.

No framework and nothing fetched at run time: the page is three files shipped in the
package (``static/``), and the sequence diagram is drawn on the server by graphviz,
as the design documents' are. The server binds to 127.0.0.1 only: a session runs
the spec's own code, so it is for the person at this machine.

The API (every answer is JSON, except the page, its files and the diagram):

* ``GET /api/view``: the path, the current state, the enabled steps, the properties.
* ``GET /api/diagram.svg``: the sequence diagram of the path so far.
* ``POST /api/step`` ``{"index": i}``, ``POST /api/back``, ``POST /api/reset``
  ``{"init": n}``, ``POST /api/replay`` ``{"key": "0.0.1"}``, ``POST /api/counterexample``
  ``{"property": name}``: a move; the answer is the new view.

A move that cannot be made is answered 400 with ``{"error": message}`` and leaves the
path as it was; a page or route that does not exist, 404.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from lifecheck.errors import ModelError
from lifecheck.ui.session import Session

#: The page's files: name -> content type.
STATIC = {"index.html": "text/html; charset=utf-8", "explore.js": "text/javascript; charset=utf-8",
          "explore.css": "text/css; charset=utf-8"}
LARGEST_BODY = 64 * 1024  # a move is a few bytes of JSON


def moves(session: Session) -> dict[str, Callable[[dict[str, Any]], None]]:
    """The POST routes: each reads its arguments from the request's JSON body."""
    return {
        "/api/step": lambda body: session.take(_argument(body, "index", int)),
        "/api/back": lambda body: session.back(),
        "/api/reset": lambda body: session.reset(_argument(body, "init", int, 0)),
        "/api/replay": lambda body: session.follow_key(_argument(body, "key", str)),
        "/api/counterexample": lambda body: session.counterexample(_argument(body, "property", str)),
    }


def _argument(body: dict[str, Any], name: str, kind: type, default: Any = None) -> Any:
    value = body.get(name, default)
    if value is None or not isinstance(value, kind) or isinstance(value, bool):
        raise ModelError(f"the request needs {name!r} as a {kind.__name__}, got {value!r}")
    return value


def page_file(name: str) -> bytes:
    """One of the page's files, from the installed package."""
    return resources.files("lifecheck.ui").joinpath("static", name).read_bytes()


def make_server(session: Session, port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """A server for ``session`` on ``host:port`` (port 0: a free one, see ``server_address``)."""
    routes = moves(session)

    class Handler(BaseHTTPRequestHandler):
        server_version = "lifecheck-explore"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the terminal shows the URL and errors, not every request

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path in ("/", "/index.html"):
                self._send(HTTPStatus.OK, STATIC["index.html"], page_file("index.html"))
            elif path.startswith("/static/") and path[len("/static/"):] in STATIC:
                name = path[len("/static/"):]
                self._send(HTTPStatus.OK, STATIC[name], page_file(name))
            elif path == "/api/view":
                self._answer(session.view)
            elif path == "/api/diagram.svg":
                self._answer(session.diagram_svg, svg=True)
            else:
                self._json(HTTPStatus.NOT_FOUND, {"error": f"there is no page {path}"})

        def do_POST(self) -> None:
            move = routes.get(self.path)
            if move is None:
                self._json(HTTPStatus.NOT_FOUND, {"error": f"there is no move {self.path}"})
                return
            try:
                body = self._body()
            except ModelError as exc:
                self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
                return

            def moved() -> dict[str, Any]:
                move(body)
                return session.view()

            self._answer(moved)

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            if length > LARGEST_BODY:
                raise ModelError(f"the request's body is {length} bytes; a move is a few")
            raw = self.rfile.read(length) if length else b"{}"
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                raise ModelError("the request's body is not JSON") from None
            if not isinstance(body, dict):
                raise ModelError("the request's body is not a JSON object")
            return body

        def _answer(self, make: Callable[[], Any], svg: bool = False) -> None:
            try:
                out = make()
            except ModelError as exc:
                self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
                return
            except Exception as exc:  # lifecheck's own bug: the page says so, the terminal shows where
                traceback.print_exc(file=sys.stderr)
                self._json(HTTPStatus.INTERNAL_SERVER_ERROR,
                           {"error": f"lifecheck explore failed: {type(exc).__name__}: {exc}"})
                return
            if svg:
                self._send(HTTPStatus.OK, "image/svg+xml; charset=utf-8", out.encode())
            else:
                self._json(HTTPStatus.OK, out)

        def _json(self, status: HTTPStatus, data: Any) -> None:
            self._send(status, "application/json; charset=utf-8", json.dumps(data).encode())

        def _send(self, status: HTTPStatus, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    return ThreadingHTTPServer((host, port), Handler)
