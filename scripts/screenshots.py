#!/usr/bin/env python3
"""Look at the generated design documents as a reader would: HTML pages, screenshots in Chromium.

Each Markdown document under ``diagrams/`` (and ``docs/tutorial.md``) is rendered
to HTML at the width of a code host's Markdown column (about 880 px), cut into one
page per section so that every screenshot shows text and diagrams at the size a
reader sees them, and photographed with headless Chromium. Mermaid blocks are
drawn by mermaid.js when a copy is given (``--mermaid``, or ``LIFECHECK_MERMAID``;
``npm pack mermaid`` gives one in ``package/dist/mermaid.min.js``); without it
they show as code, as on a host that does not render Mermaid.

It also prints, for every SVG the documents embed, its width and how much the
page scales it down: a diagram wider than the column is shrunk, and its text with
it. Not part of the test suite (it needs Chromium: ``apt-get install chromium``);
``tests/unit/test_diagrams.py`` checks the SVG sizes heuristically instead.

    python scripts/screenshots.py [--diagrams diagrams] [--out /tmp/lifecheck-screens]
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from markdown_it import MarkdownIt

from lifecheck.diagrams.dot import MIN_TEXT_PX, PAGE_WIDTH_PX, PX_PER_PT, smallest_text_px, svg_size

ROOT = Path(__file__).resolve().parent.parent
COLUMN = PAGE_WIDTH_PX  # px: the Markdown column of a common code host

CSS = f"""
body {{ margin: 0; background: #fff; }}
.page {{ box-sizing: border-box; width: {COLUMN + 64}px; padding: 16px 32px; color: #1f2328;
  font: 16px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }}
img {{ max-width: 100%; }}
pre {{ background: #f6f8fa; padding: 12px; overflow: auto; font-size: 13px; }}
code {{ font-size: 85%; }}
table {{ border-collapse: collapse; display: block; overflow: auto; }}
td, th {{ border: 1px solid #d0d7de; padding: 4px 10px; }}
"""


def render_pages(md_file: Path, mermaid_js: Path | None) -> list[tuple[str, str]]:
    """(name, html) per section of a document: the text before the first ### is one page."""
    text = md_file.read_text()
    parts = re.split(r"(?m)^(?=#{2,4} )", text)
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    pages = []
    for i, part in enumerate(parts):
        body = md.render(part)
        body = re.sub(r'<pre><code class="language-mermaid">(.*?)</code></pre>',
                      lambda m: f'<pre class="mermaid">{m.group(1)}</pre>', body, flags=re.S)
        body = body.replace("<details>", "<details open>")
        script = ""
        if mermaid_js is not None:
            script = (f'<script src="{mermaid_js.as_uri()}"></script>'
                      '<script>mermaid.initialize({startOnLoad: true});</script>')
        head = part.strip().split("\n", 1)[0].lstrip("# ")[:40]
        name = f"{md_file.stem}-{i:02d}-{re.sub(r'[^a-z0-9]+', '-', head.lower()).strip('-')}"
        base = md_file.parent.resolve().as_uri() + "/"
        pages.append((name, f"<!doctype html><html><head><meta charset='utf-8'><base href='{base}'>"
                            f"<style>{CSS}</style>{script}</head><body><div class='page'>{body}</div>"
                            "</body></html>"))
    return pages


def screenshot(chromium: str, page: Path, png: Path, height: int) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
                        "--allow-file-access-from-files", "--virtual-time-budget=8000",
                        f"--window-size={COLUMN + 64},{height}", f"--screenshot={png}", page.as_uri()],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)


def mermaid_errors(chromium: str, docs: list[Path], mermaid_js: Path) -> list[str]:
    """Every Mermaid block of the documents that mermaid.js cannot draw, by document and number."""
    blocks = [(doc.name, i, text) for doc in docs
              for i, text in enumerate(re.findall(r"```mermaid\n(.*?)```", doc.read_text(), flags=re.S))]
    body = "".join(f'<pre class="mermaid" id="m{n}">{html.escape(text)}</pre>'
                   for n, (_, _, text) in enumerate(blocks))
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "mermaid.html"
        page.write_text(f"<!doctype html><html><head><meta charset='utf-8'>"
                        f"<script src='{mermaid_js.as_uri()}'></script>"
                        "<script>mermaid.initialize({startOnLoad: true});</script></head>"
                        f"<body>{body}</body></html>")
        dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              "--disable-background-networking", "--disable-component-update",
                              "--disable-sync", f"--user-data-dir={tmp}/profile",
                              "--allow-file-access-from-files", "--virtual-time-budget=30000",
                              "--dump-dom", page.as_uri()],
                             capture_output=True, text=True, timeout=300).stdout
    errors = []
    for n, (doc, i, _) in enumerate(blocks):
        match = re.search(rf'<pre[^>]*id="m{n}"[^>]*>(.*?)</pre>', dom, flags=re.S)
        if match is None or "<svg" not in match.group(1) or "Syntax error" in match.group(1):
            errors.append(f"{doc}: Mermaid block {i + 1} does not render")
    return errors


def svg_report(md_file: Path) -> list[str]:
    """Every SVG a document shows or links, its width and its smallest text at page width."""
    lines = []
    for src in re.findall(r"\]\(([^)]+\.svg)\)", md_file.read_text()):
        svg = (md_file.parent / src).read_text()
        width_pt, _ = svg_size(svg)
        scale = min(1.0, COLUMN / (width_pt * PX_PER_PT)) if width_pt else 1.0
        text = smallest_text_px(svg, COLUMN)
        note = "" if text >= MIN_TEXT_PX else "  <- text too small"
        lines.append(f"  {src:<64} {width_pt * PX_PER_PT:6.0f} px wide, shown at {scale:4.0%}, "
                     f"smallest text {text:4.1f} px{note}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--diagrams", default=str(ROOT / "diagrams"))
    parser.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "lifecheck-screens"))
    parser.add_argument("--mermaid", default=os.environ.get("LIFECHECK_MERMAID"),
                        help="path of mermaid.min.js (optional)")
    parser.add_argument("--height", type=int, default=2600, help="window height of each screenshot")
    parser.add_argument("--only", default="", help="only documents whose name contains this")
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("screenshots: Chromium is not installed (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    mermaid_js = Path(args.mermaid).resolve() if args.mermaid else None
    if mermaid_js is not None and not mermaid_js.is_file():
        print(f"screenshots: no mermaid.js at {mermaid_js}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    docs = [d for d in [*sorted(Path(args.diagrams).glob("*.md")), ROOT / "docs" / "tutorial.md"]
            if d.exists() and args.only in d.name]
    if mermaid_js is not None:
        errors = mermaid_errors(chromium, docs, mermaid_js)
        print(f"mermaid: {len(errors)} block(s) that do not render" + "".join(f"\n  {e}" for e in errors))
    for md_file in docs:
        print(md_file)
        for line in svg_report(md_file):
            print(line)
        for name, page in render_pages(md_file, mermaid_js):
            html_path = out / f"{name}.html"
            html_path.write_text(page)
            png = out / f"{name}.png"
            screenshot(chromium, html_path, png, args.height)
            print(f"  {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
