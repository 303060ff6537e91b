"""The chat in headless Debian Chromium, driven by Playwright, against a live uvicorn server."""

import os
import socket
import threading
import time

import pytest
import uvicorn

from web.app import create_app

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("QA_TEST_CHROMIUM", "/usr/bin/chromium")
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(service):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(qa=service), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def page(base_url):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        page = browser.new_page()
        page.set_default_timeout(20_000)
        yield page
        browser.close()


def test_chat_answers_cites_and_highlights(page, base_url):
    expect = playwright.expect
    page.goto(base_url + "/")
    page.fill("#question", "who threatened sanctions?")
    page.click("#ask")
    first = page.locator(".turn").nth(0)
    expect(first.locator(".answer").first.locator("mark")).to_have_text("Boris Johnson")
    expect(first.locator(".answer-text").first).to_have_text("Boris Johnson")
    citation = first.locator("a.citation").first
    expect(citation).to_contain_text("Russian military officers could face sanctions")

    page.fill("#question", "Who painted the Mona Lisa?")
    page.press("#question", "Enter")
    expect(page.locator(".turn")).to_have_count(2)
    expect(page.locator(".turn").nth(1).locator(".no-answer")).to_contain_text("No answer found")

    page.reload()
    expect(page.locator(".turn")).to_have_count(2)  # the conversation survives a reload

    page.locator("a.citation").first.click()
    page.wait_for_url("**/articles/russia-sanctions-syria?*")
    mark = page.locator("#highlight")
    expect(mark).to_have_text("Boris Johnson")
    expect(mark).to_be_in_viewport()


def test_empty_question_shows_error(page, base_url):
    expect = playwright.expect
    page.goto(base_url + "/")
    page.click("#clear")
    page.fill("#question", "   ")
    page.click("#ask")
    expect(page.locator("#error")).to_have_text("Please type a question.")
    expect(page.locator(".turn")).to_have_count(0)


def test_pages_and_docs_stay_on_this_server(page, base_url):
    """Every page, the API docs included, loads only from this server and breaks no CSP rule."""
    expect = playwright.expect
    requests, problems = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(base_url + "/")
    page.fill("#question", "who threatened sanctions?")
    page.click("#ask")
    expect(page.locator(".turn .answer").first).to_be_visible()
    page.goto(base_url + "/articles/russia-sanctions-syria?start=0&end=10")
    for docs in ("/schema", "/schema/swagger"):
        page.goto(base_url + docs)
        expect(page.locator(".swagger-ui .opblock-summary-path").first).to_contain_text("/api/")
    foreign = [u for u in requests if not u.startswith(base_url + "/") and not u.startswith("data:")]
    assert requests and not foreign
    assert not problems
