// evalkit report: the sample browsers. Reads the JSON blob once and renders one page at a time.
// Every text from a run goes into the page with textContent, never as markup.
(function () {
  "use strict";
  var PAGE = 50;
  var data = { turns: [], browsers: {} };
  var S = null, T = data.turns;  // S: the texts, once read

  // A data element holds JSON, or for large runs gzipped JSON in base64.
  function read(id, fallback) {
    var blob = document.getElementById(id);
    if (!blob) return Promise.resolve(fallback);
    if (blob.getAttribute("data-encoding") !== "gzip+base64") {
      return Promise.resolve(JSON.parse(blob.textContent));
    }
    var bin = atob(blob.textContent), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }
  // The texts are read once, after the first page is drawn (summaries need none of them).
  var stringsRead = null;
  function strings() {
    if (!stringsRead) {
      stringsRead = read("report-strings", []).then(function (loaded) {
        S = loaded;
        document.body.setAttribute("data-strings", "1");
      });
    }
    return stringsRead;
  }

  function txt(v) {
    if (v === undefined || v === null) return "";
    return typeof v === "number" ? S[v] : String(v);
  }
  function shown(v) {
    if (v === undefined || v === null) return "(none)";
    return typeof v === "string" ? v : JSON.stringify(v);
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function field(label, value) {
    var f = el("span", "field", label + ": ");
    f.appendChild(el("b", null, shown(value)));
    return f;
  }
  function part(title, child) {
    var box = el("div", "part");
    box.appendChild(el("h4", null, title));
    box.appendChild(child);
    return box;
  }

  // Conversations: prompt turns, transcripts (tool calls and results), judge messages.
  function toolCalls(calls) {
    var box = el("div", "tool-calls");
    calls.forEach(function (c) {
      var f = c["function"] || c;
      var line = el("div", "tool-call");
      line.appendChild(el("span", "tool-name", "call " + shown(f.name)));
      if (c.id) line.appendChild(el("code", "tool-id", c.id));
      line.appendChild(el("pre", "tool-args", txt(f.arguments)));
      box.appendChild(line);
    });
    return box;
  }
  function turn(m) {
    var role = String(m.role || "?");
    var box = el("div", "turn role-" + role.replace(/[^a-z_]/gi, ""));
    var head = el("div", "turn-head", role);
    if (m.name) head.appendChild(el("code", "turn-name", m.name));
    if (m.tool_call_id) head.appendChild(el("code", "tool-id", "answers " + m.tool_call_id));
    box.appendChild(head);
    var content = txt(m.content);
    if (content) box.appendChild(el("pre", "turn-text", content));
    if (m.tool_calls && m.tool_calls.length) box.appendChild(toolCalls(m.tool_calls));
    return box;
  }
  // Turns are indices into the turn table (prompts, transcripts) or objects (judge messages).
  function conversation(turns, cls) {
    var box = el("div", "conversation" + (cls ? " " + cls : ""));
    turns.forEach(function (m) { box.appendChild(turn(typeof m === "number" ? T[m] : m)); });
    return box;
  }
  function isTurns(v) {
    return Array.isArray(v) && v.length > 0 && v.every(function (m) {
      return m && typeof m === "object" && "role" in m;
    });
  }
  // Score details, judge verdicts included: tables of values, message lists as conversations.
  function value(v) {
    if (isTurns(v)) return conversation(v, "judge");
    if (Array.isArray(v) && v.some(function (x) { return x && typeof x === "object"; })) {
      var ol = el("ol", "values");  // e.g. a judge's judgments, one per turn or order
      v.forEach(function (x) { var li = el("li"); li.appendChild(value(x)); ol.appendChild(li); });
      return ol;
    }
    if (v && typeof v === "object" && !Array.isArray(v)) {
      var dl = el("dl", "kv");
      Object.keys(v).forEach(function (k) {
        dl.appendChild(el("dt", null, k));
        var dd = el("dd");
        dd.appendChild(value(v[k]));
        dl.appendChild(dd);
      });
      return dl;
    }
    var text = shown(v);
    return text.length > 80 || text.indexOf("\n") >= 0 ? el("pre", null, text) : el("span", null, text);
  }

  // A chat prompt shows its last turn; the turns before it (system, few-shot) fold away.
  function prompt(p) {
    if (!Array.isArray(p)) return el("pre", "prompt", txt(p));
    if (p.length < 3) return conversation(p, "prompt last");
    var box = el("div", "prompt");
    var earlier = el("details", "earlier");
    earlier.appendChild(el("summary", null, (p.length - 1) + " earlier turns (system, few-shot)"));
    earlier.appendChild(conversation(p.slice(0, -1)));
    box.appendChild(earlier);
    box.appendChild(conversation(p.slice(-1), "last"));
    return box;
  }
  function outcome(s) {
    var line = el("div", "outcome");
    line.appendChild(field("answer", s.a));
    line.appendChild(field("gold", s.g));
    line.appendChild(field("score", s.s));
    if (s.r) line.appendChild(field("reason", s.r));
    if (s.fr) line.appendChild(field("finish", s.fr));
    return line;
  }
  function sampleParts(s, box) {
    box.appendChild(outcome(s));
    if (s.err) box.appendChild(part("Error", el("pre", "error", s.err)));
    if (s.x) box.appendChild(part("Transcript (" + s.x.length + " turns)", conversation(s.x, "transcript")));
    if (s.c !== undefined) box.appendChild(part("Completion", el("pre", "completion", txt(s.c))));
    if (s.d) box.appendChild(part("Score details", value(s.d)));
    if (s.m) box.appendChild(part("Metrics", value(s.m)));
    return box;
  }
  function sampleBody(s) {
    var box = el("div", "body");
    if (s.p !== undefined) box.appendChild(part("Prompt", prompt(s.p)));
    sampleParts(s, box);
    if (s.md) box.appendChild(part("Metadata", value(s.md)));
    return box;
  }
  function sampleSummary(s, sum) {
    s.st.forEach(function (f) { sum.appendChild(el("span", "badge " + f, f.replace("_", " "))); });
    sum.appendChild(el("span", "sid", s.id + (s.ep ? " #" + s.ep : "")));
    sum.appendChild(field("answer", s.a));
    sum.appendChild(field("gold", s.g));
    sum.appendChild(field("score", s.s));
  }
  function flipBody(f) {
    var box = el("div", "body");
    if (f.b.p !== undefined) box.appendChild(part("Prompt", prompt(f.b.p)));
    if (JSON.stringify(f.c.p) !== JSON.stringify(f.b.p)) {
      box.appendChild(part("Candidate prompt (differs)", prompt(f.c.p)));
    }
    var sides = el("div", "sides");
    [["Baseline", f.b, "base"], ["Candidate", f.c, "cand"]].forEach(function (side) {
      var col = el("div", "side " + side[2]);
      col.appendChild(el("h4", null, side[0]));
      sides.appendChild(sampleParts(side[1], col));
    });
    box.appendChild(sides);
    return box;
  }
  function flipSummary(f, sum) {
    sum.appendChild(el("span", "badge " + f.st[0], f.st[0]));
    sum.appendChild(el("span", "sid", f.id + (f.ep ? " #" + f.ep : "")));
    sum.appendChild(field("gold", f.g));
    sum.appendChild(field("baseline", f.b.a));
    sum.appendChild(field("candidate", f.c.a));
  }

  // What the search box looks in: ids, answers, the last prompt turn, completion, transcript.
  function sampleText(s) {
    var parts = [s.id, shown(s.a), shown(s.g), txt(s.c), s.err || ""];
    if (Array.isArray(s.p)) { if (s.p.length) parts.push(txt(T[s.p[s.p.length - 1]].content)); }
    else parts.push(txt(s.p));
    (s.x || []).forEach(function (m) { parts.push(txt(T[m].content)); });
    return parts.join("\n").toLowerCase();
  }
  function flipText(f) { return sampleText(f.b) + "\n" + sampleText(f.c); }

  function Browser(root, spec) {
    var flips = spec.kind === "flips";
    var items = spec.items;
    var state = { filter: "all", query: "", page: 0, matched: items };
    var counts = { all: items.length };
    items.forEach(function (it) { it.st.forEach(function (f) { counts[f] = (counts[f] || 0) + 1; }); });

    var controls = el("div", "controls");
    var buttons = [];
    [["all", "all"]].concat(spec.filters).forEach(function (f) {
      var b = el("button", "filter", f[1] + " (" + (counts[f[0]] || 0) + ")");
      b.type = "button";
      b.setAttribute("data-filter", f[0]);
      b.setAttribute("aria-pressed", f[0] === "all" ? "true" : "false");
      b.addEventListener("click", function () {
        state.filter = f[0];
        buttons.forEach(function (o) { o.setAttribute("aria-pressed", o === b ? "true" : "false"); });
        apply();
      });
      buttons.push(b);
      controls.appendChild(b);
    });
    var search = el("input", "search");
    search.type = "search";
    search.placeholder = "search ids, answers, questions, completions";
    var timer = null;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { state.query = search.value.trim().toLowerCase(); apply(); }, 120);
    });
    controls.appendChild(search);
    var pager = el("div", "pager");
    var prev = el("button", "prev", "← previous"), next = el("button", "next", "next →");
    var where = el("span", "where");
    prev.type = next.type = "button";
    prev.addEventListener("click", function () { state.page -= 1; render(); });
    next.addEventListener("click", function () { state.page += 1; render(); });
    pager.appendChild(prev); pager.appendChild(where); pager.appendChild(next);
    var list = el("div", "items");
    root.appendChild(controls); root.appendChild(pager); root.appendChild(list);

    function haystack(it) {
      if (it._h === undefined) it._h = flips ? flipText(it) : sampleText(it);
      return it._h;
    }
    function apply() {
      if (state.query && S === null) { strings().then(apply); return; }  // search reads texts
      var q = state.query, f = state.filter;
      state.matched = items.filter(function (it) {
        return (f === "all" || it.st.indexOf(f) >= 0) && (!q || haystack(it).indexOf(q) >= 0);
      });
      state.page = 0;
      render();
    }
    function item(it) {
      var d = el("details", "item");
      d.setAttribute("data-id", it.id);
      var sum = el("summary");
      (flips ? flipSummary : sampleSummary)(it, sum);
      d.appendChild(sum);
      d.addEventListener("toggle", function () {  // bodies are built when first opened
        if (!d.open) return;
        strings().then(function () {
          if (d.childNodes.length === 1) d.appendChild((flips ? flipBody : sampleBody)(it));
        });
      });
      return d;
    }
    function render() {
      var pages = Math.max(1, Math.ceil(state.matched.length / PAGE));
      state.page = Math.min(Math.max(state.page, 0), pages - 1);
      var start = state.page * PAGE;
      var frag = document.createDocumentFragment();
      state.matched.slice(start, start + PAGE).forEach(function (it) { frag.appendChild(item(it)); });
      list.textContent = "";
      list.appendChild(frag);
      where.textContent = state.matched.length + " of " + items.length + (flips ? " flips" : " samples") +
        " · page " + (state.page + 1) + " of " + pages;
      root.setAttribute("data-matching", String(state.matched.length));
      prev.disabled = state.page === 0;
      next.disabled = state.page >= pages - 1;
    }
    render();
  }

  // Breakdown tables sort by a column when its header is clicked (again: the other way).
  function sortable(table) {
    var heads = table.querySelectorAll("thead th");
    Array.prototype.forEach.call(heads, function (th, col) {
      if (th.classList.contains("chart")) return;
      th.classList.add("sortable");
      th.addEventListener("click", function () {
        var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        var down = th.getAttribute("aria-sort") !== "descending";
        var key = function (r) {
          var t = r.cells[col].textContent, n = parseFloat(t);
          return isNaN(n) ? t : n;
        };
        rows.sort(function (a, b) {
          var x = key(a), y = key(b), c = x < y ? -1 : x > y ? 1 : 0;
          return down ? -c : c;
        });
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", down ? "descending" : "ascending");
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  function start(loaded) {
    Array.prototype.forEach.call(document.querySelectorAll("table.groups"), sortable);
    data = loaded;
    T = data.turns;
    var roots = document.querySelectorAll("[data-browser]");
    for (var i = 0; i < roots.length; i++) {
      var spec = data.browsers[roots[i].getAttribute("data-browser")];
      if (spec) Browser(roots[i], spec);
    }
    window.__reportRenderMs = performance.now();
    document.body.setAttribute("data-ready", "1");
    setTimeout(strings, 0);
  }
  read("report-data", data).then(start, function (err) {
    var roots = document.querySelectorAll("[data-browser]");
    for (var i = 0; i < roots.length; i++) {
      roots[i].appendChild(el("p", "warn", "Cannot read the samples in this browser: " + err));
    }
  });
})();
