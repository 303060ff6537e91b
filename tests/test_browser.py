"""The chat in headless Debian Chromium, driven by Playwright, against a live uvicorn server."""

import os
import re

import pytest

from web.app import create_app

from .conftest import live

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("QA_TEST_CHROMIUM", "/usr/bin/chromium")
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(service):
    with live(create_app(qa=service)) as url:
        yield url


@pytest.fixture(scope="module")
def browser(base_url):
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
        yield browser
        browser.close()


def new_page(browser, width: int, height: int, javascript: bool = True):
    page = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=javascript).new_page()
    page.set_default_timeout(20_000)
    return page


@pytest.fixture(scope="module")
def page(browser):
    return new_page(browser, 1280, 720)


@pytest.fixture(scope="module", params=[(1280, 720), (390, 844)], ids=["desktop", "phone"])
def sized(browser, request):
    """A page at desktop and at phone width."""
    return new_page(browser, *request.param)


def test_chat_answers_cites_and_highlights(page, base_url):
    expect = playwright.expect
    page.goto(base_url + "/")
    page.fill("#question", "Who is the Italian foreign minister?")
    page.click("#ask")
    first = page.locator(".turn").nth(0)
    expect(first.locator(".answer").first.locator("mark")).to_have_text("Angelino Alfano")
    expect(first.locator(".answer-text").first).to_have_text("Angelino Alfano")
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
    expect(mark).to_have_text("Angelino Alfano")
    expect(mark).to_be_in_viewport()


def test_a_guess_is_shown_as_a_guess_with_the_passages_open(sized, base_url):
    """An abstention with a candidate: the reader's best guess, labelled and drawn apart from answers, its score
    explained on hover, and the passages it read open; an off-topic question gets no guess."""
    expect = playwright.expect
    sized.goto(base_url + "/")
    sized.click("#clear")
    sized.fill("#question", "Who threatened sanctions?")
    sized.click("#ask")
    turn = sized.locator(".turn").nth(0)
    expect(turn.locator(".no-answer")).to_contain_text("No answer the reader is sure of")
    guess = turn.locator(".answer.guess")
    expect(guess).to_have_count(1)
    expect(guess.locator(".guess-label")).to_have_text("Best guess (the reader is not sure):")
    expect(guess.locator(".score")).to_have_attribute("title", re.compile("about 7 in 10 were right"))
    expect(turn.locator("details.passages")).to_have_attribute("open", "")
    expect(turn.locator("details.passages summary")).to_have_text(
        re.compile(r"Passages searched \(\d+ from 1 article\)")
    )
    expect(turn.locator("details.passages .passage-title")).to_have_count(1)  # one article: its title said once
    expect(guess.locator("a.citation")).to_have_attribute("title", re.compile(r"characters \d+–\d+ of the article"))
    expect(turn.locator("ul.answers.single")).to_have_count(1)  # one shown: not numbered
    sized.fill("#question", "Who painted the Mona Lisa?")
    sized.click("#ask")
    second = sized.locator(".turn").nth(1)
    expect(second.locator(".no-answer")).to_have_text("No answer found in the indexed articles.")
    expect(second.locator(".answer")).to_have_count(0)
    sized.goto(base_url + "/?q=Who+threatened+sanctions%3F")  # without script: the page says the same
    expect(sized.locator(".turn .answer.guess .guess-label").last).to_be_visible()


def test_who_else_shows_what_it_left_out(browser, base_url):
    """The chat sends its earlier questions: "who else?" is read as the previous question without its answer."""
    expect = playwright.expect
    page = new_page(browser, 1280, 720)
    page.goto(base_url + "/")
    page.click("#clear")
    page.fill("#question", "Who is the Italian foreign minister?")
    page.click("#ask")
    expect(page.locator(".turn").nth(0).locator(".answer-text").first).to_have_text("Angelino Alfano")
    page.fill("#question", "who else?")
    page.click("#ask")
    second = page.locator(".turn").nth(1)
    expect(second.locator(".interpreted")).to_have_text(
        "Read as: Who is the Italian foreign minister, other than Angelino Alfano?"
    )
    expect(second.locator(".answer-text").filter(has_text="Angelino Alfano")).to_have_count(0)
    page.close()


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
    page.fill("#question", "Who is the Italian foreign minister?")
    page.click("#ask")
    expect(page.locator(".turn .answer").first).to_be_visible()
    page.goto(base_url + "/articles/russia-sanctions-syria?start=0&end=10")
    for docs in ("/schema", "/schema/swagger"):
        page.goto(base_url + docs)
        expect(page.locator(".swagger-ui .opblock-summary-path").first).to_contain_text("/api/")
    foreign = [u for u in requests if not u.startswith(base_url + "/") and not u.startswith("data:")]
    assert requests and not foreign
    assert not problems


def ask_in_new_chat(page, base_url, question):
    page.goto(base_url + "/")
    page.click("#clear")
    page.fill("#question", question)
    page.press("#question", "Enter")


def box(page, selector):
    return page.locator(selector).last.bounding_box()


def test_newest_reply_is_in_view_above_the_question_bar(sized, base_url):
    expect = playwright.expect
    sized.goto(base_url + "/")
    sized.click("#clear")
    for n, question in enumerate(["who threatened sanctions?", "Who is Rex Tillerson?", "Where are the G7 talks?"]):
        sized.fill("#question", question)
        sized.press("#question", "Enter")
        expect(sized.locator(".turn")).to_have_count(n + 1)
        expect(sized.locator(".turn").last.locator(".answers, .no-answer").first).to_be_visible()
        sized.wait_for_timeout(100)
        bar = box(sized, "#ask-form")
        first = box(sized, ".turn:last-child :is(.answer, .no-answer)")
        assert box(sized, ".turn:last-child .question")["y"] >= 0
        assert first["y"] + first["height"] <= bar["y"] + 1, (question, first, bar)


@pytest.mark.parametrize(
    "text, shown_apart",
    [
        ("The talks ended without an agreement.", False),
        ("talks ended without an agreement", False),
        ("without an agreement", True),
    ],
)
def test_a_sentence_long_answer_is_shown_once(page, base_url, text, shown_apart):
    """An answer that is (most of) its sentence is shown once, highlighted in the quote, not twice."""
    expect = playwright.expect
    page.goto(base_url + "/")
    sentence = "The talks ended without an agreement."
    start = sentence.index(text)
    citation = {"article_id": "a", "title": "T", "start": start, "end": start + len(text)}
    answer = {
        "text": text,
        "score": 0.9,
        "sentence": sentence,
        "citation": {**citation, "sentence_start": 0, "sentence_end": len(sentence)},
    }
    turn = {
        "question": "How did the talks end?",
        "response": {"question": "How did the talks end?", "answers": [answer], "passages": [], "abstained": False},
    }
    page.evaluate("t => sessionStorage.setItem('newsqa-turns', JSON.stringify([t]))", turn)
    page.reload()
    expect(page.locator(".turn .answer")).to_have_count(1)
    expect(page.locator(".turn .answer-text")).to_have_count(1 if shown_apart else 0)
    expect(page.locator(".turn .sentence mark")).to_have_text(text)


def test_answers_below_the_unsure_probability_are_drawn_uncertain_by_the_server_and_the_script(page, base_url):
    """Both renderings take the threshold from qa.payload.UNSURE: the page the server sends, and the chat's script
    redrawing the stored conversation."""
    expect = playwright.expect
    page.goto(base_url + "/")
    page.click("#clear")  # the served turn joins the stored conversation: start from none
    page.goto(base_url + "/?q=Who%20is%20the%20British%20Foreign%20Secretary%3F")  # Boris Johnson, 0.59
    expect(page.locator(".turn .answer")).to_have_count(1)
    expect(page.locator(".turn .answer.unsure")).to_have_count(1)
    page.reload()  # the script draws it again, from the stored turn
    expect(page.locator(".turn .answer.unsure")).to_have_count(1)
    ask_in_new_chat(page, base_url, "Who is the Italian foreign minister?")  # Angelino Alfano, 0.73
    expect(page.locator(".turn .answer")).to_have_count(1)
    expect(page.locator(".turn .answer.unsure")).to_have_count(0)


def test_citation_jump_centres_the_span_below_the_title(sized, base_url):
    expect = playwright.expect
    ask_in_new_chat(sized, base_url, "What killed more than 80 people in Idlib province?")
    sized.locator(".turn a.citation").first.click()
    sized.wait_for_url("**/articles/**")
    expect(sized.locator("#highlight")).to_be_in_viewport()
    sized.wait_for_timeout(200)
    height = sized.viewport_size["height"]
    mark = box(sized, "#highlight")
    middle = mark["y"] + mark["height"] / 2
    assert 0.2 * height < middle < 0.8 * height, (mark, height)
    title = box(sized, "h1")
    assert title["y"] >= 0 and title["y"] + title["height"] <= mark["y"]
    expect(sized.get_by_text("back to the chat")).to_be_in_viewport()


def test_phone_width_does_not_overflow(browser, base_url):
    phone = new_page(browser, 390, 844)
    phone.goto(base_url + "/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    clear = box(phone, "#clear")
    assert clear["x"] >= 0 and clear["x"] + clear["width"] <= 390
    phone.goto(base_url + "/articles/russia-sanctions-syria")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_long_unbroken_question_wraps_inside_its_turn(sized, base_url, service):
    """A question of one word as long as the input allows (a pasted URL or hash) wraps; the page never scrolls
    sideways."""
    width = sized.viewport_size["width"]
    ask_in_new_chat(sized, base_url, "x" * service.settings.max_question_chars)
    playwright.expect(sized.locator(".turn:last-child :is(.answers, .no-answer, .error)")).to_be_visible()
    turn = box(sized, ".turn:last-child")
    assert turn["x"] >= 0 and turn["x"] + turn["width"] <= width
    assert sized.evaluate("document.documentElement.scrollWidth") <= width


def test_server_answer_joins_the_stored_chat_once(page, base_url):
    expect = playwright.expect
    ask_in_new_chat(page, base_url, "Who is Rex Tillerson?")
    expect(page.locator(".turn .answers, .turn .no-answer")).to_have_count(1)
    page.goto(base_url + "/?q=who+threatened+sanctions%3F")
    expect(page.locator(".turn")).to_have_count(2)
    expect(page.locator(".turn").last.locator(".question")).to_have_text("who threatened sanctions?")
    assert page.url == base_url + "/"
    page.reload()
    expect(page.locator(".turn")).to_have_count(2)


def test_page_without_javascript_answers_with_passages(browser, base_url):
    plain = new_page(browser, 1280, 720, javascript=False)
    plain.goto(base_url + "/?q=Who+is+the+Italian+foreign+minister%3F")
    playwright.expect(plain.locator(".turn .answer").first).to_be_visible()
    assert plain.locator("details.passages li").count() >= 1


def test_dates_limit_the_search_and_the_reply_says_so(page, browser, base_url):
    """The chat's Dates fields reach the search, with and without JavaScript; the seed article has no date, so
    a window leaves nothing to answer from, which the reply names."""
    expect = playwright.expect
    ask_in_new_chat(page, base_url, "Who is the Italian foreign minister?")
    expect(page.locator(".turn .answer").first).to_be_visible()
    page.click("#dates summary")
    page.fill("#since", "2017-04-01")
    page.fill("#question", "Who is the Italian foreign minister?")
    page.press("#question", "Enter")
    expect(page.locator(".turn").nth(1).locator(".no-answer")).to_have_text(
        "No answer found in the indexed articles published from 2017-04-01 on (articles without a date are left out)."
    )
    page.fill("#until", "2017-03-01")  # before since: the server's error, the question kept to fix and resend
    page.fill("#question", "Who is Rex Tillerson?")
    page.press("#question", "Enter")
    expect(page.locator("#error")).to_contain_text("since (2017-04-01) is after until (2017-03-01)")
    expect(page.locator("#question")).to_have_value("Who is Rex Tillerson?")
    page.fill("#since", "")
    page.fill("#until", "")

    plain = new_page(browser, 1280, 720, javascript=False)
    plain.goto(base_url + "/?q=Who+is+Rex+Tillerson%3F&since=2017-04-01&until=2017-04-30")
    expect(plain.locator(".turn .no-answer")).to_have_text(
        "No answer found in the indexed articles published from 2017-04-01 to 2017-04-30"
        " (articles without a date are left out)."
    )
    expect(plain.locator("#since")).to_have_value("2017-04-01")  # kept for the next question
    expect(plain.locator("#dates")).to_have_attribute("open", "")


def test_answers_take_feedback_and_keep_it(page, base_url, service):
    expect = playwright.expect
    before = len(service.feedback_log.all())
    ask_in_new_chat(page, base_url, "How many cruise missiles hit the Syrian airbase?")
    answer = page.locator(".turn .answer").first
    answer.locator("button.feedback-correct").click()
    expect(answer.locator(".feedback-done")).to_have_text("Marked correct, thank you")
    stored = service.feedback_log.all()
    assert len(stored) == before + 1 and stored[-1].verdict == "correct"
    assert stored[-1].question == "How many cruise missiles hit the Syrian airbase?"
    page.reload()  # the verdict stays with the stored chat
    expect(page.locator(".turn .answer").first.locator(".feedback-done")).to_have_text("Marked correct, thank you")


def test_the_empty_chat_says_what_it_does_and_offers_questions_to_click(sized, base_url):
    expect = playwright.expect
    sized.goto(base_url + "/")
    sized.click("#clear")
    intro = sized.locator("#intro")
    expect(intro).to_be_visible()
    expect(intro).to_contain_text("Each answer is an exact quote")
    example = intro.locator("a.example").first
    expect(example).to_be_visible()
    box = example.bounding_box()
    assert box and box["x"] + box["width"] <= sized.viewport_size["width"]  # nothing cut at 390 px
    question = example.inner_text()
    example.click()
    expect(sized.locator(".turn .question").first).to_have_text(question)
    expect(intro).to_be_hidden()
    expect(sized.locator(".turn .answer").first).to_be_visible()


def test_new_chat_hangs_up_on_the_question_in_flight_and_its_reply_stays_out(page, base_url):
    expect = playwright.expect
    with page.expect_request("**/api/ask") as asked:
        ask_in_new_chat(page, base_url, "Who is the Italian foreign minister?")
        page.click("#clear")  # while the question is still being answered
    page.wait_for_timeout(300)
    if asked.value.failure is None:  # answered before the click: then it came back to no chat shown
        assert asked.value.response() is not None
    else:  # hung up on (the server drops it unread)
        assert "ABORTED" in asked.value.failure
    expect(page.locator(".turn")).to_have_count(0)
    page.reload()  # nor is it kept as the stored conversation (the next question's history)
    expect(page.locator(".turn")).to_have_count(0)


def test_a_dates_filter_shows_when_closed_and_new_chat_clears_it_with_an_undo(page, base_url):
    expect = playwright.expect
    ask_in_new_chat(page, base_url, "Who is the Italian foreign minister?")
    expect(page.locator(".turn .answer").first).to_be_visible()  # answered: the chat has a turn to undo
    page.click("#dates summary")
    page.fill("#since", "2017-04-01")
    page.dispatch_event("#since", "change")
    page.click("#dates summary")  # closed again: the summary still says what is searched
    expect(page.locator("#dates summary")).to_have_text("Dates: published from 2017-04-01 on")
    page.click("#clear")
    expect(page.locator("#since")).to_have_value("")
    expect(page.locator("#dates summary")).to_have_text("Dates")
    expect(page.locator(".turn")).to_have_count(0)
    expect(page.locator("#error")).to_contain_text("New chat started.")
    page.locator("#error button").click()  # undo: the conversation and its dates come back
    expect(page.locator(".turn")).to_have_count(1)
    expect(page.locator("#since")).to_have_value("2017-04-01")
    page.click("#clear")  # leave no filter for the tests after


def test_a_busy_server_is_explained_not_shown_as_a_status_code(page, base_url):
    expect = playwright.expect
    page.goto(base_url + "/")
    page.click("#clear")
    page.route("**/api/ask", lambda route: route.fulfill(status=429, body='{"detail": "Too Many Requests"}'))
    page.fill("#question", "Who is Rex Tillerson?")
    page.click("#ask")
    expect(page.locator("#error")).to_have_text(
        "Too many questions from here in the last minute: wait a moment, then ask again."
    )
    page.unroute("**/api/ask")


def test_on_a_phone_the_article_head_and_the_open_dates_stay_small(browser, base_url):
    expect = playwright.expect
    phone = new_page(browser, 390, 844)
    phone.goto(base_url + "/articles/russia-sanctions-syria?start=1889&end=1904#highlight")
    expect(phone.locator("#highlight")).to_be_in_viewport()
    head = phone.locator(".article-head").bounding_box()
    assert head["height"] <= 100  # the title on one line, not a quarter of the screen (it was 238 px)
    phone.goto(base_url + "/")
    phone.click("#dates summary")
    assert phone.locator("#ask-form").bounding_box()["height"] <= 120  # the sticky bar stays a bar
    articles = phone.locator("aside.articles")
    assert articles.bounding_box()["y"] < phone.locator("section.chat").bounding_box()["y"]  # above the chat
    assert articles.bounding_box()["height"] <= 60  # folded to its title
    phone.click("#article-list summary")
    expect(articles.locator("li a").first).to_be_visible()
    phone.close()


ACCESSIBILITY = """() => {
  const labels = (el) => el.labels && [...el.labels].map((l) => l.textContent).join(" ");
  const name = (el) => (el.getAttribute("aria-label") || labels(el) || el.textContent || el.value || el.title || "")
    .trim();
  const unnamed = [...document.querySelectorAll("input:not([type=hidden]), button, a, summary, select, textarea")]
    .filter((el) => el.offsetParent !== null && !name(el)).map((el) => el.outerHTML.slice(0, 80));
  const luminance = (rgb) => {
    const [r, g, b] = rgb.match(/[\\d.]+/g).slice(0, 3).map((v) => {
      v = v / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor;
      if (c && !c.endsWith(", 0)") && c !== "transparent") return c;
    }
    return "rgb(255, 255, 255)";
  };
  const low = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.offsetParent === null || ![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const [a, b] = [luminance(getComputedStyle(el).color), luminance(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) low.push(`${el.tagName}.${el.className}: ${ratio.toFixed(2)}`);
  }
  return { lang: document.documentElement.lang, unnamed, low };
}"""


def test_the_chat_is_usable_by_keyboard_and_readable(sized, base_url):
    """Every control has a name, text has 4.5:1 contrast (WCAG AA), the page says its language, and the whole
    question round trip works from the keyboard: type, Enter, then Tab to the answer's citation."""
    expect = playwright.expect
    ask_in_new_chat(sized, base_url, "Who threatened sanctions?")  # an answer, or a guess, with passages
    expect(sized.locator(".turn .answer").first).to_be_visible()
    sized.fill("#question", "Who is the Italian foreign minister?")
    sized.press("#question", "Enter")
    expect(sized.locator(".turn").nth(1).locator(".answer").first).to_be_visible()
    report = sized.evaluate(ACCESSIBILITY)
    assert report["lang"] == "en" and report["unnamed"] == [] and report["low"] == []
    sized.focus("#question")
    for _ in range(3):  # Ask, New chat, the Dates summary: all reachable by Tab, in that order
        sized.keyboard.press("Tab")
    assert sized.evaluate("document.activeElement.tagName") == "SUMMARY"
