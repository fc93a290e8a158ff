"""The dashboard in headless Chromium: every page renders, acknowledge and resume click through.

Screenshots of each page (desktop 1280x800 and phone 375x812) go to test-artifacts/screenshots/.
The world has a failed run, a failed saga and a trigger that misfired.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from rfs.web.dashboard import create_app

from ._data import MISFIRED, TOKEN, World, build_world, misfired_scheduler

pytestmark = [pytest.mark.service("chromium"), pytest.mark.slow]

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]


async def serve(world: World) -> tuple[str, Any, asyncio.Task[None]]:
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # listening now: the browser's connections queue until uvicorn accepts
    port = sock.getsockname()[1]
    app = create_app(token=TOKEN, state=world.state)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    return f"http://127.0.0.1:{port}", server, task


@pytest.fixture
async def site() -> AsyncIterator[tuple[str, World, Any]]:
    playwright = pytest.importorskip("playwright.async_api")
    world = await build_world()
    scheduler, _clock = await misfired_scheduler()
    world.state.scheduler = scheduler
    url, server, task = await serve(world)
    try:
        async with playwright.async_playwright() as p:
            browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            try:
                yield url, world, browser
            finally:
                await browser.close()
    finally:
        server.should_exit = True
        await task
        await scheduler.stop()


async def open_page(browser: Any, url: str, width: int = 1280, height: int = 800) -> Any:
    page = await browser.new_page(viewport={"width": width, "height": height})
    await page.goto(f"{url}/ui/#token={TOKEN}")
    await page.wait_for_selector("body[data-ready='1']")
    return page


async def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def test_every_page_renders(site: tuple[str, World, Any]) -> None:
    """Attention, runs, run detail (with the DAG), sagas, saga timeline and triggers render."""
    url, world, browser = site
    page = await open_page(browser, url)
    assert await page.get_by_role("heading", name="Needs attention").is_visible()
    assert await page.get_by_role("link", name=world.failed_run).is_visible()
    await shot(page, "attention")
    await page.get_by_role("link", name=world.failed_run).click()
    await page.wait_for_selector("svg.dag")
    assert await page.locator("svg.dag g.node").count() == 3
    assert await page.locator("svg.dag path.edge").count() == 2
    assert "bad row 7" in await page.locator("main").inner_text()
    await shot(page, "run")
    await page.get_by_role("link", name="Runs", exact=True).click()
    await page.wait_for_selector("#state-filter")
    await shot(page, "runs")
    await page.get_by_role("link", name="Sagas", exact=True).click()
    await page.get_by_role("link", name=world.failed_saga).click()
    await page.wait_for_selector("ol.timeline li")
    assert "card declined" in await page.locator("ol.timeline").inner_text()
    await shot(page, "saga")
    await page.get_by_role("link", name="Triggers", exact=True).click()
    await page.get_by_role("cell", name=MISFIRED, exact=True).wait_for()
    assert await page.get_by_role("button", name=f"Pause trigger {MISFIRED}").is_visible()
    await shot(page, "triggers")
    from rfs.monitoring.metrics import ResultMetricsCollector
    from rfs.result import Failure, Success

    op = f"browser_check_{uuid.uuid4().hex[:6]}"
    for ms in (12.0, 15.0, 40.0):
        ResultMetricsCollector.instance().record(op, Success(1), ms)
    ResultMetricsCollector.instance().record(op, Failure(TimeoutError()), 80.0)
    await page.get_by_role("link", name="Metrics", exact=True).click()
    await page.get_by_role("cell", name=op, exact=True).wait_for()
    assert await page.locator("svg.chart rect.bar").count() >= 24
    await shot(page, "metrics")
    phone = await open_page(browser, url, 375, 812)
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # no horizontal scrolling of the page at phone width
    await shot(phone, "attention-phone")
    await phone.get_by_role("link", name=world.failed_run).click()
    await phone.wait_for_selector("svg.dag")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 375
    await shot(phone, "run-phone")


async def test_acknowledge_and_resume_click_through(site: tuple[str, World, Any]) -> None:
    """Resume from the run page makes the run succeed; acknowledge empties the attention list."""
    url, world, browser = site
    page = await open_page(browser, url)
    await page.get_by_role("button", name=f"Acknowledge run {world.failed_run}").click()
    await page.get_by_text("No failed runs waiting.").wait_for()
    world.broken["b"] = False
    await page.get_by_role("link", name="Runs", exact=True).click()
    await page.get_by_role("link", name=world.failed_run).click()
    await page.get_by_role("button", name=f"Resume run {world.failed_run}").click()
    await page.locator("main .badge", has_text="succeeded").first.wait_for(timeout=15_000)
    await shot(page, "run-resumed")


async def test_database_down_is_said_not_spun(site: tuple[str, World, Any]) -> None:
    """With the run store down the page says the database is unavailable (no spinner);
    once it is back the next poll shows the data again."""
    url, world, browser = site

    class Down:
        async def list_runs(self, limit: int = 20) -> list[Any]:
            raise ConnectionRefusedError("refused")

    stores = world.state.run_store, world.state.saga_store
    world.state.run_store = Down()  # type: ignore[assignment]
    world.state.saga_store = None
    page = await open_page(browser, url)
    assert "database is unavailable" in await page.locator("#banner").inner_text()
    assert not await page.locator("#loading").is_visible()
    await shot(page, "database-down")
    world.state.run_store, world.state.saga_store = stores  # the database is back
    await page.locator("#banner").wait_for(state="hidden", timeout=15_000)
    assert await page.get_by_role("link", name=world.failed_run).is_visible()


async def test_misfire_click_through(site: tuple[str, World, Any]) -> None:
    """The misfired trigger has its own section; acknowledging it empties that section."""
    url, _world, browser = site
    page = await open_page(browser, url)
    section = page.locator("section", has=page.get_by_role("heading", name="Misfires"))
    assert MISFIRED in await section.inner_text()
    assert "1 misfired triggers" in await page.locator("ul.counts").inner_text()
    assert "No failing triggers." in await page.locator("main").inner_text()
    await shot(page, "misfires")
    await page.get_by_role("button", name=f"Acknowledge misfires of {MISFIRED}").click()
    await page.get_by_text("No misfires waiting.").wait_for()
    assert "0 misfired triggers" in await page.locator("ul.counts").inner_text()
    await shot(page, "misfires-acknowledged")


async def test_keyboard_reaches_and_activates_the_actions(site: tuple[str, World, Any]) -> None:
    """Tab alone reaches Acknowledge (with a visible focus ring) and Enter activates it;
    every control on each page has an accessible name."""
    url, world, browser = site
    page = await open_page(browser, url)
    unnamed = """() => [...document.querySelectorAll('button, input, select, a')]
        .filter((el) => !(el.getAttribute('aria-label') || el.textContent.trim()
                          || (el.labels && el.labels.length)))
        .map((el) => el.outerHTML)"""
    assert await page.evaluate(unnamed) == []
    target = f"Acknowledge run {world.failed_run}"
    focused = ""
    for _ in range(60):
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement.getAttribute('aria-label') || ''")
        if focused == target:
            break
    assert focused == target
    ring = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert ring != "none"  # the focused button is visibly marked
    await shot(page, "keyboard-focus")
    await page.keyboard.press("Enter")
    await page.get_by_text("No failed runs waiting.").wait_for()
    await page.get_by_role("link", name="Runs", exact=True).click()
    await page.get_by_role("link", name=world.failed_run).click()
    await page.wait_for_selector("svg.dag")
    assert await page.evaluate(unnamed) == []
    resume = f"Resume run {world.failed_run}"
    for _ in range(60):
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement.getAttribute('aria-label') || ''")
        if focused == resume:
            break
    assert focused == resume
