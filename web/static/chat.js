// Chat page: asks POST /api/ask, keeps the conversation in sessionStorage, renders answers with their citations.
// All article text is inserted with textContent, never as HTML.
(() => {
  const KEY = "newsqa-turns";
  const form = document.getElementById("ask-form");
  const input = document.getElementById("question");
  const button = document.getElementById("ask");
  const conversation = document.getElementById("conversation");
  const errorBox = document.getElementById("error");
  const maxHistory = 10;

  const load = () => { try { return JSON.parse(sessionStorage.getItem(KEY)) || []; } catch { return []; } };
  const save = (turns) => sessionStorage.setItem(KEY, JSON.stringify(turns.slice(-50)));
  let turns = load();

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function renderAnswer(a) {
    const c = a.citation;
    const li = el("li", "answer");
    li.append(el("p", "answer-text", a.text));
    const quote = el("blockquote", "sentence");
    const from = c.start - c.sentence_start, to = c.end - c.sentence_start;
    quote.append(a.sentence.slice(0, from), el("mark", "", a.sentence.slice(from, to)), a.sentence.slice(to));
    li.append(quote);
    const link = el("a", "citation", `${c.title} · characters ${c.start}–${c.end}`);
    link.href = `/articles/${encodeURIComponent(c.article_id)}?start=${c.start}&end=${c.end}#highlight`;
    li.append(link, el("span", "score", `score ${a.score.toFixed(2)}`));
    return li;
  }

  function renderReply(reply, response) {
    reply.replaceChildren();
    if (response.abstained) {
      reply.append(el("p", "no-answer", response.message || "No answer found in the indexed articles."));
    } else {
      const list = el("ol", "answers");
      response.answers.forEach((a) => list.append(renderAnswer(a)));
      reply.append(list);
    }
    if (response.passages && response.passages.length) {
      const details = el("details", "passages");
      details.append(el("summary", "", `Passages searched (${response.passages.length})`));
      const list = el("ol");
      response.passages.forEach((p) => {
        const item = el("li");
        const link = el("a", "", p.title);
        link.href = `/articles/${encodeURIComponent(p.article_id)}?start=${p.start}&end=${p.end}#highlight`;
        item.append(link, ": ", p.text.length > 220 ? p.text.slice(0, 220) + "…" : p.text);
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
    turn.scrollIntoView({ block: "end" });
    return reply;
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  async function ask(question) {
    const history = turns.map((t) => t.question).slice(-maxHistory);
    const reply = addTurn(question);
    button.disabled = true;
    showError("");
    try {
      const res = await fetch("/api/ask", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ question, history }),
      });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(body.detail || `The server answered ${res.status}`);
      renderReply(reply, body);
      turns.push({ question, response: body });
      save(turns);
    } catch (err) {
      reply.closest(".turn").remove();
      showError(err.message || String(err));
      input.value = question;
    } finally {
      button.disabled = false;
      input.focus();
    }
  }

  // Replay the stored conversation (a server-rendered turn from ?q= is kept as is).
  for (const t of turns) renderReply(addTurn(t.question), t.response);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question) { showError("Please type a question."); return; }
    input.value = "";
    ask(question);
  });

  document.getElementById("clear").addEventListener("click", () => {
    turns = [];
    save(turns);
    conversation.replaceChildren();
    showError("");
    input.focus();
  });
})();
