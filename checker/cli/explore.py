"""``lifecheck explore SPEC``: walk a spec's state space in the browser, a step at a time.

A local page shows the current state as the model declares it (per process, durable
and volatile fields apart, and per component), the steps enabled in it, faults
included while their budget lasts, what each would change and break, and the
sequence diagram of the path so far. Take a step, go back, follow a replay key, or
jump to the counterexample the checker finds for a property. Served on 127.0.0.1
only, until Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
import webbrowser

from lifecheck.cli.targets import load_one


def add_parser(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("explore", help="walk a spec's state space in the browser, a step at a time",
                         description=__doc__.splitlines()[0])
    cmd.add_argument("spec", metavar="PATH::NAME", help="the spec to explore (PATH alone when the "
                     "file has one spec)")
    cmd.add_argument("--port", type=int, default=0, metavar="N",
                     help="serve on port N of 127.0.0.1 (default 0: a free port, printed)")
    cmd.add_argument("--key", metavar="KEY", help="start on the path of this replay key")
    cmd.add_argument("--no-open", action="store_true", help="print the page's address, do not open "
                     "a browser")
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from lifecheck.ui.server import make_server
    from lifecheck.ui.session import Session

    spec = load_one(args.spec)
    if spec is None:
        return 2
    session = Session(spec)
    if args.key:
        session.follow_key(args.key)
    try:
        server = make_server(session, args.port)
    except OSError as exc:
        print(f"lifecheck: cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    host, port = server.server_address[:2]
    url = f"http://{host}:{port}/"
    print(f"lifecheck explore: {spec.name} at {url} (Ctrl-C stops)", flush=True)
    if not args.no_open:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
