// Chat page: asks POST /api/ask, keeps the conversation in sessionStorage, renders answers with their citations.
// All article text is inserted with textContent, never as HTML.
(() => {
  const KEY = "newsqa-turns";
  const form = document.getElementById("ask-form");
  const input = document.getElementById("question");
  const button = document.getElementById("ask");
  const conversation = document.getElementById("conversation");
  const errorBox = document.getElementById("error");
  const since = document.getElementById("since");
  const until = document.getElementById("until");
  const dates = document.getElementById("dates");
  const intro = document.getElementById("intro");
  const maxHistory = 10;
  // The trained reader's score is a calibrated probability of being right; the rules' is a match score.
  const calibrated = document.getElementById("chat").dataset.answerer === "reader";
  const scoreLabel = (score) => (calibrated ? `${Math.round(100 * score)}% likely right` : `score ${score.toFixed(2)}`);
  const { scoreHelp: SCORE_HELP, unsure, sentenceLike: SENTENCE_LIKE } = document.getElementById("chat").dataset;
  const UNSURE = Number(unsure);  // qa.payload.UNSURE: below this an answer is drawn as uncertain

  const load = () => { try { return JSON.parse(sessionStorage.getItem(KEY)) || []; } catch { return []; } };
  const save = (turns) => sessionStorage.setItem(KEY, JSON.stringify(turns.slice(-50)));
  let turns = load();

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The publication dates a question searched, worded as the server words them (qa.payload.published_window).
  function publishedWindow(from, to) {
    if (from && to) return `published from ${from} to ${to}`;
    return from ? `published from ${from} on` : `published up to ${to}`;
  }

  const articleLink = (id, start, end) => `/articles/${encodeURIComponent(id)}?start=${start}&end=${end}#highlight`;

  // Scroll a turn into view above the sticky question bar: all of it if it fits, else from its question.
  function reveal(turn) {
    const bar = form.getBoundingClientRect().height;
    turn.style.scrollMarginBottom = `${bar + 8}px`;
    turn.scrollIntoView({ block: turn.getBoundingClientRect().height < window.innerHeight - bar ? "end" : "start" });
  }

  // "Correct" / "Wrong" under an answer: POST /api/feedback, then the verdict replaces the buttons (kept in the chat).
  function feedbackBar(a, question) {
    const bar = el("div", "feedback");
    const done = (text) => bar.replaceChildren(el("span", "feedback-done", text));
    if (a.feedback) { done(`Marked ${a.feedback}, thank you`); return bar; }
    for (const verdict of ["correct", "wrong"]) {
      const b = el("button", `feedback-${verdict}`, verdict === "correct" ? "Correct" : "Wrong");
      b.type = "button";
      b.addEventListener("click", async () => {
        bar.querySelectorAll("button").forEach((x) => { x.disabled = true; });
        const sending = el("span", "feedback-sending", "Sending…");
        bar.append(sending);
        const c = a.citation;
        try {
          const res = await fetch("/api/feedback", {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ question, answer: a.text, citation: { article_id: c.article_id, start: c.start, end: c.end }, verdict }),
          });
          const body = await res.json().catch(() => ({}));
          if (!res.ok) throw new Error(body.detail || `The server answered ${res.status}`);
          a.feedback = verdict;
          save(turns);
          done(`Marked ${verdict}, thank you`);
        } catch (err) {
          sending.remove();
          bar.querySelectorAll("button").forEach((x) => { x.disabled = false; });
          showError(`Feedback not sent: ${err.message || err}`);
        }
      });
      bar.append(b);
    }
    return bar;
  }

  // Most of its sentence: shown once, as the highlighted quote (qa.payload.SENTENCE_LIKE).
  const sentenceLike = (a) => a.text.length >= Number(SENTENCE_LIKE) * a.sentence.length;

  // One answer (or, with `guess`, the reader's best candidate after it abstained, which is not an answer).
  function renderAnswer(a, question, guess = false) {
    const c = a.citation;
    const li = el("li", guess ? "answer guess" : a.score < UNSURE && calibrated ? "answer unsure" : "answer");
    if (guess) li.append(el("p", "guess-label", "Best guess (the reader is not sure):"));
    if (!sentenceLike(a)) li.append(el("p", "answer-text", a.text));  // a sentence-long answer is the quote
    const quote = el("blockquote", "sentence");
    const from = c.start - c.sentence_start, to = c.end - c.sentence_start;
    quote.append(a.sentence.slice(0, from), el("mark", "", a.sentence.slice(from, to)), a.sentence.slice(to));
    li.append(quote);
    // cited as a person cites (qa.payload.cited_as): outlet, date, title; the offsets on hover
    const link = el("a", "citation", [c.source, (c.published || "").slice(0, 10), c.title].filter(Boolean).join(" · "));
    link.title = `characters ${c.start}–${c.end} of the article`;
    link.href = articleLink(c.article_id, c.start, c.end);
    li.append(link);
    if (/^https?:\/\//i.test(c.url || "")) {  // the story where it was published
      const original = el("a", "original", "original ↗");
      original.href = c.url;
      original.rel = "noopener noreferrer";
      li.append(" ", original);
    }
    const score = el("span", "score", scoreLabel(a.score));
    score.title = SCORE_HELP;
    li.append(score, feedbackBar(a, question));
    return li;
  }

  function renderReply(reply, response) {
    reply.replaceChildren();
    if (response.interpreted) reply.append(el("p", "interpreted", `Read as: ${response.interpreted}`));
    if ((response.since || response.until) && !response.abstained) {
      reply.append(el("p", "window", `Searched articles ${publishedWindow(response.since, response.until)}`));
    }
    const asked = response.interpreted || response.question;
    if (response.abstained) {
      reply.append(el("p", "no-answer", response.message || "No answer found in the indexed articles."));
    }
    const shown = response.abstained ? (response.guess ? [response.guess] : []) : response.answers;
    if (shown.length) {
      const list = el(shown.length > 1 ? "ol" : "ul", shown.length > 1 ? "answers" : "answers single");
      shown.forEach((a) => list.append(renderAnswer(a, asked, response.abstained)));
      reply.append(list);
    }
    if (response.passages && response.passages.length) {
      const details = el("details", "passages");
      details.open = Boolean(response.abstained && response.guess);  // the passages are where to look
      const byArticle = new Map();  // in rank order, each article's title once
      response.passages.forEach((p) => {
        if (!byArticle.has(p.article_id)) byArticle.set(p.article_id, { title: p.title, passages: [] });
        byArticle.get(p.article_id).passages.push(p);
      });
      const count = response.passages.length, articles = byArticle.size;
      details.append(el("summary", "", `Passages searched (${count} from ${articles} article${articles > 1 ? "s" : ""})`));
      const list = el("ul", "by-article");
      byArticle.forEach((group) => {
        const item = el("li");
        item.append(el("span", "passage-title", group.title));
        const snippets = el("ol");
        group.passages.forEach((p) => {
          const link = el("a", "", p.text.length > 220 ? p.text.slice(0, 220) + "…" : p.text);
          link.href = articleLink(p.article_id, p.start, p.end);
          snippets.append(el("li").appendChild(link).parentNode);
        });
        item.append(snippets);
        list.append(item);
      });
      details.append(list);
      reply.append(details);
    }
  }

  function addTurn(question) {
    const turn = el("div", "turn");
    turn.append(el("p", "question", question));
    const reply = el("div", "reply");
    reply.append(el("p", "pending", "Searching the articles…"));
    turn.append(reply);
    conversation.append(turn);
    reveal(turn);
    return reply;
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
    errorBox.className = "error";
  }

  // What a failed request means to the person asking (the server's own detail where it gives one).
  function failure(status, detail) {
    if (status === 429) return "Too many questions from here in the last minute: wait a moment, then ask again.";
    if (status === 503) return `The articles cannot be searched right now (${detail || "the index is unavailable"}). Try again shortly.`;
    if (status >= 500) return "The server failed to answer this question. Try again; if it keeps failing, tell whoever runs it.";
    return detail || `The server answered ${status}.`;
  }

  const TIMEOUT_MS = 30000;
  let asking = null;  // the question in flight: "New chat" hangs up on it, and the server then drops it unread

  // The dates summary says what is searched, so a filter left on is seen even when the panel is closed.
  function showDates() {
    const on = since.value || until.value;
    dates.querySelector("summary").textContent = on ? `Dates: ${publishedWindow(since.value, until.value)}` : "Dates";
  }
  since.addEventListener("change", showDates);
  until.addEventListener("change", showDates);

  async function ask(question) {
    const history = turns.map((t) => t.question).slice(-maxHistory);
    const chat = turns;  // "New chat" replaces it: a reply that comes back after that belongs to no chat shown
    const reply = addTurn(question);
    intro.hidden = true;
    button.disabled = true;
    showError("");
    const timer = new AbortController();
    asking = timer;
    const timeout = setTimeout(() => timer.abort(), TIMEOUT_MS);
    try {
      const res = await fetch("/api/ask", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ question, history, since: since.value || null, until: until.value || null }),
        signal: timer.signal,
      }).catch((err) => {
        throw new Error(err.name === "AbortError"
          ? `No answer within ${TIMEOUT_MS / 1000} seconds: the server may be busy. Try again.`
          : "The server cannot be reached: check your connection, or whether it is running.");
      });
      const body = await res.json().catch(() => ({}));
      if (turns !== chat || !reply.isConnected) return;
      if (!res.ok) throw new Error(failure(res.status, body.detail));
      renderReply(reply, body);
      reveal(reply.closest(".turn"));
      turns.push({ question, response: body });
      save(turns);
    } catch (err) {
      if (turns !== chat || !reply.isConnected) return;
      reply.closest(".turn").remove();
      showError(err.message || String(err));
      input.value = question;
    } finally {
      clearTimeout(timeout);
      if (asking === timer) asking = null;
      button.disabled = false;
      input.focus();
    }
  }

  // A turn answered on the server (/?q=) joins the stored conversation as its newest turn, once.
  const served = conversation.querySelector(".turn[data-response]");
  if (served) {
    const response = JSON.parse(served.dataset.response);
    const last = turns[turns.length - 1];
    if (!last || last.question !== response.question) turns.push({ question: response.question, response });
    save(turns);
    conversation.replaceChildren();
    history.replaceState(null, "", "/");  // a reload shows the stored chat instead of asking again
  }
  for (const t of turns) renderReply(addTurn(t.question), t.response);
  if (conversation.lastElementChild) reveal(conversation.lastElementChild);
  intro.hidden = turns.length > 0;

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question) { showError("Please type a question."); return; }
    input.value = "";
    ask(question);
  });

  // An example question is asked here (its link asks on the server, for browsers without JavaScript).
  intro.querySelectorAll("a.example").forEach((a) => a.addEventListener("click", (event) => {
    event.preventDefault();
    ask(a.textContent);
  }));

  // On a narrow screen the article list sits above the chat, folded to its title.
  if (window.matchMedia("(max-width: 800px)").matches) document.getElementById("article-list").open = false;

  // "New chat" clears the conversation and the dates, and offers to bring them back.
  document.getElementById("clear").addEventListener("click", () => {
    const kept = { turns, since: since.value, until: until.value };
    turns = [];
    if (asking) asking.abort();
    save(turns);
    conversation.replaceChildren();
    since.value = until.value = "";
    showDates();
    intro.hidden = false;
    showError("");
    if (kept.turns.length) {
      const undo = el("button", "secondary", "Undo");
      undo.type = "button";
      undo.addEventListener("click", () => {
        turns = kept.turns;
        save(turns);
        since.value = kept.since;
        until.value = kept.until;
        showDates();
        for (const t of turns) renderReply(addTurn(t.question), t.response);
        intro.hidden = true;
        showError("");
      });
      errorBox.replaceChildren("New chat started.", undo);
      errorBox.className = "notice";
      errorBox.hidden = false;
    }
    input.focus();
  });
})();
