// am-dbg's inspector page. It shows the view /api/view returns, and
// fetches it again when /api/events says the store changed: the newest
// transition while following, the one the user traveled to otherwise. Every string from the server is a peer's
// and is set as text (textContent), never parsed as HTML; the diagram is
// SVG the server escaped, parsed as XML.
"use strict";

const $ = (id) => document.getElementById(id);

const state = {
  // mach is the selected machine's ID, "" for the server's choice; the
  // page's ?m= names it, so a link can open a machine.
  mach: new URLSearchParams(location.search).get("m") || "",
  // filter keeps the tree's machines whose ID holds it, any case; ?f=
  // names it. The server applies it, and lists MaxTreeRows at most.
  filter: new URLSearchParams(location.search).get("f") || "",
  // at is the transition shown, or null to follow the newest.
  at: null,
  view: null,
  // svgSum identifies the diagram shown, so the server sends it again
  // only when it changed.
  svgSum: "",
  // focus is the state picked in the diagram, "" for none: [ and ] jump
  // to the transitions touching it.
  focus: "",
  // seek is "next" or "prev" for a jump the next load makes.
  seek: "",
  // treeVersion names the tree shown: the server sends the tree again
  // only when it is no longer the one shown.
  treeVersion: "",
  // treeRows are the tree's rows, in the order of the view's txs;
  // treeShown is the filter and the selected machine they were made for.
  treeRows: [],
  treeShown: { filter: "", selected: "" },
  inflight: false,
  again: false,
  // newest is the end time of the newest transition last shown, to tell
  // how long it took to reach the screen.
  newest: 0,
};

// amdbg exposes what the page measured, per update while following, the
// newest last: lags are the times, in ms, from the newest transition's
// end to the frame showing it; waits bound the same for the oldest
// transition the update brought.
window.amdbg = { lags: [], waits: [], renders: 0 };

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

async function load() {
  if (state.inflight) {
    state.again = true;
    return;
  }
  state.inflight = true;
  try {
    const q = new URLSearchParams({ m: state.mach });
    if (state.at !== null) q.set("at", String(state.at));
    if (state.svgSum) q.set("svg", state.svgSum);
    if (state.treeVersion) q.set("tree", state.treeVersion);
    if (state.filter) q.set("filter", state.filter);
    const seek = state.seek;
    if (seek) {
      q.set("state", state.focus);
      q.set("seek", seek);
      state.seek = "";
    }
    // a response that never comes must not hold every later update
    const res = await fetch("/api/view?" + q.toString(), { cache: "no-store", signal: AbortSignal.timeout(10000) });
    if (!res.ok) throw new Error(res.status + " " + res.statusText);
    const v = await res.json();
    if (seek && v.mach && v.mach.at >= 0) {
      // a jump travels like a click on the transition it found
      state.at = v.mach.at === v.mach.next - 1 ? null : v.mach.at;
    }
    render(v);
  } catch (err) {
    $("mode").textContent = "error: " + err.message;
    $("mode").className = "paused";
  } finally {
    state.inflight = false;
    if (state.again) {
      state.again = false;
      load();
    }
  }
}

function render(v) {
  state.view = v;
  const m = v.mach;
  if (m) state.mach = m.id;
  $("source").textContent = v.source;
  $("clients").textContent = v.conns === 1 ? "1 client" : v.conns + " clients";
  $("dropped").textContent = v.dropped ? v.dropped + " dropped" : "";
  $("turned").textContent = v.turnedAway ? v.turnedAway + " turned away" : "";
  const following = state.at === null;
  $("mode").textContent = following ? "live" : "paused";
  $("mode").className = following ? "live" : "paused";
  if (v.tree) renderTree(v.tree, m ? m.id : "");
  state.treeVersion = v.treeVersion;
  renderCounts(v.txs);
  renderMachine(m);
  window.amdbg.renders++;
  document.body.dataset.rev = String(v.rev);
  // the first view shows what came before the page: no lag to tell
  if (state.newest === 0) state.newest = v.newest;
  if (following && v.newest && v.newest !== state.newest) {
    const before = state.newest;
    state.newest = v.newest;
    // the frame is drawn after this task; measure once it is
    requestAnimationFrame(() => {
      const now = Date.now();
      // the newest transition's lag, and a bound on the oldest one's: it
      // came after the newest of the previous frame
      measure(window.amdbg.lags, now - v.newest / 1000);
      measure(window.amdbg.waits, now - before / 1000);
      $("lag").textContent = "lag " + Math.max(0, Math.round(now - v.newest / 1000)) + " ms";
    });
  }
}

function measure(list, ms) {
  list.push(ms);
  if (list.length > 1000) list.shift();
}

const lifeMarks = { running: "●", disposed: "✕", gone: "○" };
const lifeTitles = {
  running: "running, its client connected",
  disposed: "disposed",
  gone: "its client went away without disposing it: crashed, or cut off",
};

function renderTree(tree, selected) {
  const ul = $("tree");
  // a row the keyboard is on stays focused as the rows are made again
  const focused = ul.contains(document.activeElement) ? document.activeElement.dataset.id : undefined;
  ul.replaceChildren();
  state.treeRows = [];
  $("tree-count").textContent = state.filter ? tree.matched + " of " + tree.total : String(tree.total);
  $("tree-more").hidden = true;
  if (!tree.total) {
    ul.append(el("li", "empty-note", "no machine yet: bind pkg/telemetry/dbg, or run a program with AM_DBG_ADDR set"));
    return;
  }
  const filter = state.filter.toLowerCase();
  let tabStop = null;
  for (const r of tree.rows) {
    const cls = [r.life];
    if (r.id === selected) cls.push("selected");
    if (r.context) cls.push("context");
    if (r.pinned) cls.push("pinned");
    const li = el("li", cls.join(" "));
    li.dataset.id = r.id;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", String(r.id === selected));
    li.tabIndex = -1;
    li.title = r.context ? "an ancestor of machines matching the filter" : lifeTitles[r.life] || "";
    li.style.paddingLeft = 4 + r.depth * 14 + "px";
    li.append(el("span", "life", lifeMarks[r.life] || "?"));
    if (r.stuck) {
      const mark = el("span", "stuck", "⏱");
      mark.title = "a handler is stuck past its timeout now";
      li.append(mark);
    }
    li.append(el("span", "id", r.id));
    if (r.pinned) {
      const outside = filter && !r.id.toLowerCase().includes(filter);
      const pin = el("span", "pin", "pinned");
      pin.title = outside ? "selected, though it does not match the filter" : "selected, though past the machines listed";
      li.append(pin);
    }
    li.append(el("span", "txs", ""));
    ul.append(li);
    state.treeRows.push(li);
    if (r.id === selected || !tabStop) tabStop = li;
  }
  // below the rows, never scrolled away: the bound is not the end
  const more = $("tree-more");
  more.hidden = !tree.more;
  more.textContent = tree.more ? tree.more.toLocaleString("en-US") + (tree.more === 1 ? " more machine" : " more machines") + " — refine the filter" : "";
  if (!tree.rows.length) ul.append(el("li", "empty-note", "no machine matches"));
  if (tabStop) tabStop.tabIndex = 0;
  const again = focused !== undefined && state.treeRows.find((li) => li.dataset.id === focused);
  if (again) again.focus({ preventScroll: true });
  // a new filter shows its first matches; a machine selected from
  // elsewhere, or pinned past them, is scrolled to
  const shown = state.treeShown;
  if (shown.filter !== state.filter) {
    ul.scrollTop = 0;
  } else if (shown.selected !== selected && tabStop && tabStop.classList.contains("selected")) {
    tabStop.scrollIntoView({ block: "nearest" });
  }
  state.treeShown = { filter: state.filter, selected };
}

// renderCounts writes each tree row's transition count, which comes with
// every view, the rows only when they change.
function renderCounts(txs) {
  if (!txs || txs.length !== state.treeRows.length) return;
  for (let i = 0; i < txs.length; i++) {
    const span = state.treeRows[i].lastChild;
    const text = String(txs[i]);
    if (span.textContent !== text) span.textContent = text;
  }
}

function renderMachine(m) {
  if (!m) {
    state.svgSum = "";
    $("diagram").replaceChildren();
    for (const id of ["states", "steps", "timeline", "log", "details"]) $(id).replaceChildren();
    return;
  }
  const shown = m.at >= 0 ? m.at : null;
  $("diagram-title").textContent = "states · " + m.id + (m.tx ? " after #" + m.tx.id : "");
  if (m.svg) {
    state.svgSum = m.svgSum;
    const doc = new DOMParser().parseFromString(m.svg, "image/svg+xml");
    $("diagram").replaceChildren(document.importNode(doc.documentElement, true));
  }
  markFocus(m);
  const states = $("states");
  states.replaceChildren();
  for (const s of m.states) {
    const li = el("li", s.active ? "active" : "", s.name);
    if (s.change) li.append(el("span", "change", s.change));
    if (s.called) li.append(el("span", "change", "*"));
    states.append(li);
  }
  renderTimeline(m, shown);
  renderSteps(m.tx);
  renderDetails(m.tx, m.stuck);
  renderLog(m.log, m.tx);
}

// markFocus outlines the focused state in the diagram, or forgets it
// when the machine has no such state.
function markFocus(m) {
  let found = false;
  for (const n of document.querySelectorAll("#diagram g.node")) {
    const on = n.dataset.state === state.focus;
    n.classList.toggle("focus", on);
    found = found || on;
  }
  if (!found) state.focus = "";
  $("focus").textContent = state.focus ? "state " + state.focus + ": [ and ] jump to the transitions touching it" : "click a state to follow it with [ and ]";
}

function renderTimeline(m, shown) {
  const slider = $("slider");
  const total = m.next - m.first;
  slider.min = String(m.first);
  slider.max = String(Math.max(m.first, m.next - 1));
  slider.disabled = total === 0;
  if (shown !== null && document.activeElement !== slider) slider.value = String(shown);
  $("position").textContent = shown === null ? "no transitions" : "#" + (shown + 1) + " of " + m.next +
    (m.first > 0 ? " (" + m.first + " evicted)" : "");
  $("timeline-title").textContent = "transitions · " + m.id;
  const ol = $("timeline");
  ol.replaceChildren();
  let selected = null;
  for (const t of m.timeline) {
    const cls = [t.accepted ? "accepted" : "canceled"];
    if (t.empty) cls.push("empty");
    if (t.check) cls.push("check");
    if (t.failed) cls.push("failed");
    if (t.seq === shown) cls.push("selected");
    const li = el("li", cls.join(" "));
    li.dataset.seq = String(t.seq);
    li.append(
      el("span", "time", t.time),
      el("span", "id", "#" + t.id),
      el("span", "result", t.accepted ? "✓" : "✗"),
      el("span", "type", t.check ? "check" : t.type),
      el("span", "called", t.called.join(" ") + (t.auto ? "  auto" : "")),
    );
    ol.append(li);
    if (t.seq === shown) selected = li;
  }
  if (selected) selected.scrollIntoView({ block: "nearest" });
}

// stepText says what a step decided, and how long its handler ran when
// the client timed it.
function stepText(s) {
  return s.took ? s.text + " in " + s.took : s.text;
}

function renderSteps(tx) {
  const ol = $("steps");
  ol.replaceChildren();
  $("steps-title").textContent = tx ? "steps · #" + tx.id : "steps";
  if (!tx) return;
  if (!tx.steps || !tx.steps.length) {
    ol.append(el("li", "empty-note", "none recorded"));
    return;
  }
  tx.steps.forEach((s, i) => {
    const li = el("li", s.cancels ? "cancels" : "");
    li.title = s.type;
    li.append(el("span", "n", String(i + 1)), document.createTextNode(stepText(s)));
    ol.append(li);
  });
}

// renderDetails explains the transition shown, after the handler stuck
// in the machine now, if any: its own transition has not ended.
function renderDetails(tx, stuck) {
  const box = $("details");
  box.replaceChildren();
  box.className = "details";
  $("details-title").textContent = tx ? "transition #" + tx.id : "details";
  if (stuck) {
    box.append(el("div", "err stuck-now", "⏱ stuck now: " + stuck.handler + " in #" + stuck.tx +
      " still running after " + stuck.elapsed + " (seen " + stuck.time + ")"));
  }
  if (!tx) {
    box.append(el("p", "empty-note", "no transition shown"));
    return;
  }
  box.append(el("div", "head", "#" + tx.id + " [" + tx.type + "] " + tx.called.join(" ") + (tx.auto ? " auto" : "")));
  if (tx.accepted) {
    box.append(el("div", "ok", "✓ accepted " + (tx.changes && tx.changes.length ? tx.changes.join(" ") : "no state changed")));
  } else {
    box.append(el("div", "err", "✗ canceled: " + tx.err));
  }
  box.append(el("div", "meta", tx.time + " · took " + tx.took + " · queue " + tx.queueLen + " · queue tick " + tx.queueTick));
  if (tx.from) box.append(el("div", "meta", "from " + tx.from));
  if (tx.check) box.append(el("div", "meta", "a dry run: resolved, not applied"));
  if (tx.stuck && tx.stuck.length) box.append(el("div", "err", "overran its timeout: " + tx.stuck.join(", ")));
  const list = (title, items, text) => {
    if (!items || !items.length) return;
    box.append(el("h3", "", title));
    const ul = el("ul");
    for (const it of items) ul.append(el("li", it.cancels ? "cancels" : "", text(it)));
    box.append(ul);
  };
  list("args", tx.args, (a) => a[0] + "=" + a[1]);
  list("handlers", tx.handlers, stepText);
  list("steps", tx.steps, stepText);
  list("log", tx.logs, (l) => l.time + " " + l.text);
}

function renderLog(lines, tx) {
  const ol = $("log");
  ol.replaceChildren();
  if (!lines || !lines.length) {
    ol.append(el("li", "empty-note", "no log entries"));
    return;
  }
  let last = null;
  for (const l of lines) {
    const li = el("li", tx && l.tx === tx.id ? "current" : "");
    li.title = l.level;
    li.append(el("span", "time", l.time), document.createTextNode(l.text));
    ol.append(li);
    last = li;
  }
  if (last && state.at === null) last.scrollIntoView({ block: "nearest" });
}

// travel shows the transition with seq, or follows the newest with null.
function travel(seq) {
  const m = state.view && state.view.mach;
  if (m && seq !== null) {
    if (m.next === 0) return;
    seq = Math.min(Math.max(seq, m.first), m.next - 1);
    // reaching the newest transition resumes following
    if (seq === m.next - 1) seq = null;
  }
  state.at = seq;
  load();
}

function step(delta) {
  const m = state.view && state.view.mach;
  if (!m || m.at < 0) return;
  travel(m.at + delta);
}

// remember puts the selected machine and the filter in the page's
// address, so that a reload or a link shows the same.
function remember() {
  const q = new URLSearchParams({ m: state.mach });
  if (state.filter) q.set("f", state.filter);
  history.replaceState(null, "", "?" + q.toString());
}

function selectMachine(id) {
  state.mach = id;
  state.at = null;
  state.svgSum = "";
  remember();
  load();
}

$("tree").addEventListener("click", (ev) => {
  const li = ev.target.closest("li[data-id]");
  if (!li) return;
  li.focus({ preventScroll: true });
  selectMachine(li.dataset.id);
});
// the tree is one tab stop: arrows move between its rows, Enter or
// Space selects one, and up from the first row goes back to the filter
$("tree").addEventListener("keydown", (ev) => {
  if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
  const rows = state.treeRows;
  const i = rows.indexOf(document.activeElement);
  let to = -1;
  switch (ev.key) {
    case "ArrowDown":
      to = Math.min(i + 1, rows.length - 1);
      break;
    case "ArrowUp":
      if (i <= 0) {
        $("tree-filter").focus();
        ev.preventDefault();
        return;
      }
      to = i - 1;
      break;
    case "Home":
      to = 0;
      break;
    case "End":
      to = rows.length - 1;
      break;
    case "Enter":
    case " ":
      if (i >= 0) selectMachine(rows[i].dataset.id);
      break;
    default:
      return;
  }
  ev.preventDefault();
  ev.stopPropagation();
  if (to >= 0 && rows[to]) {
    for (const li of rows) li.tabIndex = -1;
    rows[to].tabIndex = 0;
    rows[to].focus();
  }
});
const filterBox = $("tree-filter");
filterBox.value = state.filter;
// slashed is set from the "/" that moved the focus to the filter box
// until that key is up: its keypress, when one still comes (as from the
// DevTools protocol), must not type it in the box
let slashed = false;
filterBox.addEventListener("keypress", (ev) => {
  if (slashed && ev.key === "/") ev.preventDefault();
  slashed = false;
});
document.addEventListener("keyup", () => {
  slashed = false;
});
filterBox.addEventListener("input", () => {
  state.filter = filterBox.value.trim();
  remember();
  load();
});
// Enter selects the first machine matching, Escape clears the filter,
// and down goes to the tree's rows
filterBox.addEventListener("keydown", (ev) => {
  switch (ev.key) {
    case "Enter": {
      const first = state.treeRows.find((li) => !li.classList.contains("context") && !li.classList.contains("pinned"));
      if (first) selectMachine(first.dataset.id);
      break;
    }
    case "Escape":
      if (!filterBox.value) {
        filterBox.blur();
        break;
      }
      filterBox.value = "";
      state.filter = "";
      remember();
      load();
      break;
    case "ArrowDown": {
      const to = state.treeRows.find((li) => li.tabIndex === 0) || state.treeRows[0];
      if (to) to.focus();
      break;
    }
    default:
      return;
  }
  ev.preventDefault();
});
$("diagram").addEventListener("click", (ev) => {
  const node = ev.target.closest("g.node");
  if (!node) return;
  state.focus = node.dataset.state === state.focus ? "" : node.dataset.state;
  if (state.view && state.view.mach) markFocus(state.view.mach);
});
$("timeline").addEventListener("click", (ev) => {
  const li = ev.target.closest("li[data-seq]");
  if (li) travel(Number(li.dataset.seq));
});
$("slider").addEventListener("input", (ev) => travel(Number(ev.target.value)));
$("prev").addEventListener("click", () => step(-1));
$("next").addEventListener("click", () => step(1));
$("follow").addEventListener("click", () => travel(null));
document.addEventListener("keydown", (ev) => {
  if (ev.target === $("slider") || ev.target === filterBox || ev.altKey || ev.ctrlKey || ev.metaKey) return;
  const m = state.view && state.view.mach;
  switch (ev.key) {
    case "/":
      slashed = true;
      filterBox.focus();
      filterBox.select();
      break;
    case "ArrowLeft":
    case "ArrowUp":
      step(-1);
      break;
    case "ArrowRight":
    case "ArrowDown":
      step(1);
      break;
    case "Home":
      if (m) travel(m.first);
      break;
    case "End":
      travel(null);
      break;
    case "[":
    case "]":
      if (!state.focus || !m || m.at < 0) return;
      state.seek = ev.key === "]" ? "next" : "prev";
      state.at = m.at;
      load();
      break;
    default:
      return;
  }
  ev.preventDefault();
});

const events = new EventSource("/api/events");
// while following, an update moves to the newest transition; after
// traveling back, it keeps the transition shown and only brings the
// tree, the counts and the timeline's tail up to date
events.addEventListener("rev", () => load());
events.addEventListener("error", () => {
  $("mode").textContent = "reconnecting";
  $("mode").className = "paused";
});
load();
