"""The dashboard page and assets are served from the package, with no external URL."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from rfs.web.dashboard import create_app


async def test_page_and_assets_are_served_without_cdn() -> None:
    """/ui/ serves the page, its script and style; none refers to another origin."""
    app = create_app(token="token-123456")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        root = await c.get("/")
        page = await c.get("/ui/")
        js = await c.get("/ui/static/app.js")
        css = await c.get("/ui/static/app.css")
        missing = await c.get("/ui/static/nope.js")
        traversal = await c.get("/ui/static/..%2F__init__.py")
    assert root.status_code == 307 and root.headers["location"] == "/ui/"
    assert page.status_code == 200 and 'data-api="/ops"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert js.headers["content-type"].startswith("text/javascript")
    assert css.headers["content-type"].startswith("text/css")
    for body in (page.text, js.text, css.text):
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", body)
    assert missing.status_code == 404 and traversal.status_code == 404


def test_ui_command_is_registered() -> None:
    """`rfs ui` is a command of the rfs CLI."""
    from typer.testing import CliRunner

    from rfs.cli.main import build_app

    out = CliRunner().invoke(build_app(), ["ui", "--help"])
    assert out.exit_code == 0 and "dashboard" in out.output


def test_readme_and_docs_screenshots_exist() -> None:
    """Every image README.md and docs/*.md show (the dashboard screenshot among them) exists."""
    root = Path(__file__).resolve().parents[2]
    shown = []
    for page in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if "://" not in target:
                shown.append((page.parent / target).resolve())
    assert root / "docs" / "dashboard.png" in shown
    assert [p for p in shown if not p.is_file()] == []
