/**
 * The dashboard's page: one static HTML document with inline CSS and JavaScript, served as is at `/` (no build
 * step, no CDN, works offline). It opens `/events` with `EventSource`, renders every snapshot with `textContent`
 * (never HTML from the data), and lists the latest changes with added and removed members highlighted.
 * Colours meet WCAG AA contrast on their backgrounds; the live regions are labelled for screen readers.
 */

/** The HTML served at `/`. */
export const dashboardHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Nitrox dashboard</title>
<style>
  :root { color-scheme: light; --fg: #1b1f24; --muted: #4a525c; --bg: #ffffff; --line: #d0d7de;
    --ok: #116329; --ok-bg: #dafbe1; --bad: #a40e26; --bad-bg: #ffebe9; --warn: #7d4e00; --warn-bg: #fff8c5; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
  header { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: baseline; padding: .8rem 1.2rem; border-bottom: 1px solid var(--line); }
  h1 { font-size: 1.25rem; margin: 0; }
  h2 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
  main { padding: 0 1.2rem 1.2rem; max-width: 1200px; }
  table { border-collapse: collapse; width: 100%; }
  caption { text-align: left; font-weight: 600; padding: .3rem 0; }
  th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { font-size: .85rem; color: var(--muted); font-weight: 600; }
  td.num { font-variant-numeric: tabular-nums; }
  .badge { display: inline-block; padding: 0 .45rem; border-radius: .6rem; font-size: .85rem; font-weight: 600; }
  .ok { color: var(--ok); background: var(--ok-bg); }
  .bad { color: var(--bad); background: var(--bad-bg); }
  .warn { color: var(--warn); background: var(--warn-bg); }
  .muted { color: var(--muted); }
  .added { color: var(--ok); background: var(--ok-bg); font-weight: 600; padding: 0 .3rem; }
  .removed { color: var(--bad); background: var(--bad-bg); font-weight: 600; padding: 0 .3rem; }
  ol#changes { list-style: none; padding: 0; margin: 0; max-height: 16rem; overflow-y: auto; border: 1px solid var(--line); }
  ol#changes li { padding: .25rem .6rem; border-bottom: 1px solid var(--line); font-variant-numeric: tabular-nums; }
  ol#changes time { color: var(--muted); margin-right: .6rem; }
  :focus-visible { outline: 3px solid #0969da; outline-offset: 2px; }
</style>
</head>
<body>
<header>
  <h1>Nitrox</h1>
  <span>Connection: <span id="conn" class="badge warn" role="status" aria-live="polite">connecting</span></span>
  <span>Readiness: <span id="ready" class="badge warn">unknown</span></span>
  <span>Leader: <span id="leader" class="badge warn">unknown</span></span>
  <span id="notes" class="muted"></span>
</header>
<main>
  <h2 id="mappings-title">Mappings</h2>
  <table aria-labelledby="mappings-title">
    <thead><tr><th scope="col">Mapping</th><th scope="col">Source → app</th><th scope="col">Sink → pool</th>
      <th scope="col">Desired</th><th scope="col">Actual</th><th scope="col">Last change</th>
      <th scope="col">Last reconcile</th><th scope="col">State</th></tr></thead>
    <tbody id="mappings"></tbody>
  </table>
  <h2 id="sources-title">Sources</h2>
  <table aria-labelledby="sources-title">
    <thead><tr><th scope="col">Source</th><th scope="col">Type</th><th scope="col">Synced</th><th scope="col">Contact with its peer</th></tr></thead>
    <tbody id="sources"></tbody>
  </table>
  <h2 id="changes-title">Latest changes</h2>
  <ol id="changes" aria-labelledby="changes-title" aria-live="polite"></ol>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; }
function badge(node, text, cls) { node.textContent = text; node.className = "badge " + cls; }
function time(iso) { return iso ? new Date(iso).toLocaleTimeString() : "never"; }
function render(s) {
  badge($("ready"), s.ready ? "ready" : "waiting: " + s.waiting.join(", "), s.ready ? "ok" : "warn");
  badge($("leader"), s.leader ? "this replica" : "standby", s.leader ? "ok" : "warn");
  $("notes").textContent = s.notes.join("; ");
  const rows = s.mappings.map((m) => {
    const tr = el("tr");
    tr.dataset.mapping = m.name;
    tr.append(el("th", m.name), el("td", m.source + " → " + m.app), el("td", m.sink + " → " + m.pool),
      el("td", m.desired ?? "–", "num"), el("td", m.actual ?? "–", m.desired !== null && m.actual !== m.desired ? "num warn" : "num"));
    const change = el("td");
    if (m.added) change.append(el("span", "+" + m.added + " added", "added"), " ");
    if (m.removed) change.append(el("span", "−" + m.removed + " removed", "removed"), " ");
    if (m.updated) change.append(el("span", "~" + m.updated + " re-weighted"), " ");
    if (m.before === null) change.append(el("span", "none", "muted"));
    else change.append(el("span", "(from " + m.before + ")", "muted"));
    tr.append(change, el("td", time(m.lastReconcile) + (m.lastReason ? " (" + m.lastReason + ")" : "")));
    const state = el("td");
    if (m.error) state.append(el("span", "error: " + m.error, "badge bad"));
    else if (m.held) state.append(el("span", "held (empty desired set)", "badge warn"));
    else if (m.lastReconcile) state.append(el("span", "converged", "badge ok"));
    else state.append(el("span", "waiting", "badge warn"));
    tr.append(state);
    return tr;
  });
  $("mappings").replaceChildren(...rows);
  $("sources").replaceChildren(...s.sources.map((src) => {
    const tr = el("tr");
    const contact = src.downSeconds === null ? el("span", "not reported", "muted")
      : src.downSeconds === 0 ? el("span", "in contact", "badge ok") : el("span", "out of contact for " + src.downSeconds + " s", "badge bad");
    const synced = el("td"); synced.append(el("span", src.synced ? "yes" : "not yet", "badge " + (src.synced ? "ok" : "warn")));
    const c = el("td"); c.append(contact);
    tr.append(el("th", src.name), el("td", src.type), synced, c);
    return tr;
  }));
}
function log(change) {
  const li = el("li");
  li.dataset.kind = change.kind;
  li.append(el("time", time(change.at)), el("span", change.text, change.kind === "error" ? "bad" : change.kind === "held" ? "warn" : undefined));
  const list = $("changes");
  list.prepend(li);
  while (list.children.length > 100) list.lastElementChild.remove();
}
const source = new EventSource("events");
source.addEventListener("open", () => badge($("conn"), "live", "ok"));
source.addEventListener("error", () => badge($("conn"), "reconnecting", "bad"));
source.addEventListener("snapshot", (e) => render(JSON.parse(e.data)));
source.addEventListener("change", (e) => { const d = JSON.parse(e.data); render(d.snapshot); log(d.change); });
</script>
</body>
</html>
`;
