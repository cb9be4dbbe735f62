// MARK: - The web page served at /: one self-contained file (no CDN, no web fonts), plain
// HTML, CSS and JavaScript over the API. A poem tab (streamed text) and a names tab (classify
// with probabilities as bars; invent names in a language). Errors the API names a field for
// are shown beside that field.

let pageHTML = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>charrnn</title>
<style>
  :root { --fg: #1d1d1f; --muted: #6b6b70; --line: #d9d9de; --accent: #8a2b2b; --bg: #fbfaf7; --err: #b00020; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", sans-serif;
         color: var(--fg); background: var(--bg); }
  header { padding: 1rem 1.25rem .25rem; }
  header h1 { margin: 0; font-size: 1.3rem; }
  header p { margin: .1rem 0 0; color: var(--muted); font-size: .9rem; }
  nav { display: flex; gap: .25rem; padding: 0 1.25rem; border-bottom: 1px solid var(--line); }
  nav button { border: 0; background: none; padding: .6rem .9rem; font: inherit; cursor: pointer; color: var(--muted);
               border-bottom: 3px solid transparent; }
  nav button[aria-selected="true"] { color: var(--fg); border-bottom-color: var(--accent); font-weight: 600; }
  main { max-width: 56rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
  section[hidden] { display: none; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(10.5rem, 1fr)); gap: .75rem 1rem; }
  label { display: block; font-size: .85rem; color: var(--muted); }
  input, select, textarea { width: 100%; font: inherit; padding: .4rem .5rem; border: 1px solid var(--line);
                            border-radius: 6px; background: #fff; color: var(--fg); }
  input[type=range] { padding: 0; }
  label.check { display: flex; gap: .4rem; align-items: center; color: var(--fg); font-size: 1rem; padding: .4rem 0; }
  input[type=checkbox] { width: auto; }
  textarea { min-height: 7rem; resize: vertical; }
  .err { display: block; min-height: 1.1em; color: var(--err); font-size: .8rem; }
  .actions { display: flex; gap: .5rem; align-items: center; margin: .75rem 0; flex-wrap: wrap; }
  button.primary, button.secondary { font: inherit; padding: .5rem 1.1rem; border-radius: 6px; cursor: pointer; }
  button.primary { background: var(--accent); color: #fff; border: 1px solid var(--accent); }
  button.secondary { background: #fff; color: var(--fg); border: 1px solid var(--line); }
  button:disabled { opacity: .5; cursor: default; }
  .status { color: var(--muted); font-size: .85rem; }
  pre.output { white-space: pre-wrap; word-break: break-word; min-height: 8rem; margin: 0; padding: 1rem;
               background: #fff; border: 1px solid var(--line); border-radius: 8px;
               font: 1.35rem/1.8 "Noto Serif CJK SC", "Songti SC", serif; letter-spacing: .05em; }
  .bars { display: grid; gap: .9rem; margin-top: .5rem; }
  .name h3 { margin: 0 0 .25rem; font-size: 1rem; }
  .bar { display: grid; grid-template-columns: 7rem 1fr 3.2rem; gap: .5rem; align-items: center; font-size: .9rem; }
  .bar .track { background: #eee; border-radius: 4px; height: .8rem; overflow: hidden; }
  .bar .fill { background: var(--accent); height: 100%; }
  .bar .p { text-align: right; font-variant-numeric: tabular-nums; }
  ul.generated { margin: .5rem 0 0; padding-left: 1.2rem; }
  h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
</style>
</head>
<body>
<header>
  <h1>charrnn</h1>
  <p>Character-level recurrent networks: write poems, classify and invent names.</p>
</header>
<nav role="tablist">
  <button role="tab" id="tab-poem" aria-selected="true" data-panel="poem">Poems &amp; text</button>
  <button role="tab" id="tab-names" aria-selected="false" data-panel="names">Names</button>
</nav>
<main>
<section id="poem">
  <div class="grid">
    <div><label for="g-model">Model</label><select id="g-model" data-field="model"></select><span class="err" data-for="model"></span></div>
    <div><label for="g-seed">Seed</label><input id="g-seed" data-field="seed" value="春"><span class="err" data-for="seed"></span></div>
    <div><label for="g-temperature">Temperature <span id="g-temperature-value">0.8</span></label>
      <input id="g-temperature" data-field="temperature" type="range" min="0" max="2" step="0.05" value="0.8"><span class="err" data-for="temperature"></span></div>
    <div><label for="g-form">Form</label><select id="g-form" data-field="form">
      <option value="">free text</option><option value="5">5 characters (五言)</option><option value="7">7 characters (七言)</option></select>
      <span class="err" data-for="form"></span></div>
    <div><label for="g-regulated">Tones and rhyme</label>
      <label class="check"><input id="g-regulated" data-field="regulated" type="checkbox"> regulated (格律)</label>
      <span class="err" data-for="regulated"></span><span class="err" data-for="pattern"></span></div>
    <div><label for="g-lines">Lines</label><input id="g-lines" data-field="lines" type="number" min="1" placeholder="4"><span class="err" data-for="lines"></span></div>
    <div><label for="g-acrostic">Acrostic (藏头)</label><input id="g-acrostic" data-field="acrostic" placeholder="春夏秋冬"><span class="err" data-for="acrostic"></span></div>
    <div><label for="g-length">Length (free text)</label><input id="g-length" data-field="length" type="number" min="1" value="300"><span class="err" data-for="length"></span></div>
    <div><label for="g-top_k">Top-k</label><input id="g-top_k" data-field="top_k" type="number" min="1" placeholder="all"><span class="err" data-for="top_k"></span></div>
    <div><label for="g-top_p">Top-p</label><input id="g-top_p" data-field="top_p" type="number" min="0" max="1" step="0.05" placeholder="1"><span class="err" data-for="top_p"></span></div>
    <div><label for="g-rng_seed">Random seed</label><input id="g-rng_seed" data-field="rng_seed" type="number" min="0" placeholder="random"><span class="err" data-for="rng_seed"></span></div>
  </div>
  <div class="actions">
    <button class="primary" id="generate">Write</button>
    <button class="secondary" id="stop" disabled>Stop</button>
    <button class="secondary" id="copy">Copy</button>
    <span class="status" id="poem-status" role="status"></span>
  </div>
  <pre class="output" id="poem-output" aria-live="polite"></pre>
</section>

<section id="names" hidden>
  <h2>Which language is a name?</h2>
  <div class="grid">
    <div><label for="c-model">Classifier</label><select id="c-model" data-field="model"></select><span class="err" data-for="model"></span></div>
    <div><label for="c-top">Languages shown</label><input id="c-top" data-field="top" type="number" min="1" value="3"><span class="err" data-for="top"></span></div>
  </div>
  <label for="c-names">Names, one per line</label>
  <textarea id="c-names" data-field="names">Schmidt
王伟
Nguyen</textarea><span class="err" data-for="names"></span>
  <div class="actions"><button class="primary" id="classify">Classify</button><span class="status" id="classify-status" role="status"></span></div>
  <div class="bars" id="bars"></div>

  <h2>Invent names</h2>
  <div class="grid">
    <div><label for="n-model">Generator</label><select id="n-model" data-field="model"></select><span class="err" data-for="model"></span></div>
    <div><label for="n-category">Language</label><select id="n-category" data-field="category"></select><span class="err" data-for="category"></span></div>
    <div><label for="n-samples">How many</label><input id="n-samples" data-field="samples" type="number" min="1" value="8"><span class="err" data-for="samples"></span></div>
    <div><label for="n-temperature">Temperature</label><input id="n-temperature" data-field="temperature" type="number" min="0" step="0.1" value="0.8"><span class="err" data-for="temperature"></span></div>
  </div>
  <div class="actions"><button class="primary" id="invent">Invent</button><span class="status" id="invent-status" role="status"></span></div>
  <ul class="generated" id="invented"></ul>
</section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let models = [];

for (const tab of document.querySelectorAll("nav button")) {
  tab.addEventListener("click", () => {
    for (const other of document.querySelectorAll("nav button")) {
      other.setAttribute("aria-selected", String(other === tab));
      $(other.dataset.panel).hidden = other !== tab;
    }
  });
}

// Errors: the API names the field at fault; show the message beside it.
function clearErrors(panel) { for (const e of panel.querySelectorAll(".err")) e.textContent = ""; }
function showError(panel, error, statusElement) {
  const slot = error.field && panel.querySelector(`.err[data-for="${error.field}"]`);
  if (slot) { slot.textContent = error.error; statusElement.textContent = ""; }
  else statusElement.textContent = error.error;
}

// Reads the fields of a panel into a request; empty fields are left out (the server's defaults).
function fields(panel, ids) {
  const request = {};
  for (const id of ids) {
    const input = $(id), key = input.dataset.field, raw = input.value.trim();
    if (input.type === "checkbox") { if (input.checked) request[key] = true; continue; }
    if (raw === "") continue;
    request[key] = input.type === "number" || input.type === "range" || key === "form" ? Number(raw) : raw;
  }
  return request;
}

function fillSelect(select, entries) {
  select.innerHTML = "";
  for (const entry of entries) select.add(new Option(entry, entry));
}

async function loadModels() {
  const response = await fetch("api/models");
  models = (await response.json()).models;
  const writers = models.filter((m) => m.task === "language-model").map((m) => m.name);
  fillSelect($("g-model"), writers);
  fillSelect($("c-model"), models.filter((m) => m.task === "classifier").map((m) => m.name));
  fillSelect($("n-model"), models.filter((m) => m.task === "conditional-generator").map((m) => m.name));
  updateCategories();
  $("generate").disabled = writers.length === 0;
  $("classify").disabled = $("c-model").options.length === 0;
  $("invent").disabled = $("n-model").options.length === 0;
}
function updateCategories() {
  const model = models.find((m) => m.name === $("n-model").value);
  fillSelect($("n-category"), model ? model.categories : []);
}
$("n-model").addEventListener("change", updateCategories);
$("g-temperature").addEventListener("input", () => { $("g-temperature-value").textContent = $("g-temperature").value; });

// Poems: streamed as server-sent events over a POST; each "text" event is appended as it comes.
let controller = null;
async function generate() {
  const panel = $("poem"), output = $("poem-output"), status = $("poem-status");
  clearErrors(panel);
  const request = fields(panel, ["g-model", "g-seed", "g-temperature", "g-form", "g-regulated", "g-lines", "g-acrostic", "g-length",
                                 "g-top_k", "g-top_p", "g-rng_seed"]);
  if (request.form === undefined) delete request.lines;
  output.textContent = "";
  status.textContent = "writing…";
  controller = new AbortController();
  $("generate").disabled = true; $("stop").disabled = false;
  try {
    const response = await fetch("api/generate", {
      method: "POST", signal: controller.signal,
      headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
      body: JSON.stringify(request),
    });
    if (!response.ok) { showError(panel, await response.json(), status); return; }
    const reader = response.body.getReader(), decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end); buffer = buffer.slice(end + 2);
        const name = (block.match(/^event: (.*)$/m) || [])[1], data = (block.match(/^data: (.*)$/m) || [])[1];
        if (!data) continue;
        const event = JSON.parse(data);
        if (name === "text") output.textContent += event.text;
        else if (name === "done") {
          output.textContent = event.samples.join("\n\n");
          status.textContent = event.verses ? `done: ${event.verses.map((v) => `pattern ${v.pattern}, rhyme ${v.rhyme}`).join("; ")}` : "done";
        }
        else if (name === "error") status.textContent = event.error;
      }
    }
  } catch (error) {
    status.textContent = error.name === "AbortError" ? "stopped" : "the server cannot be reached";
  } finally {
    controller = null;
    $("generate").disabled = false; $("stop").disabled = true;
  }
}
$("generate").addEventListener("click", generate);
$("stop").addEventListener("click", () => controller && controller.abort());
$("copy").addEventListener("click", async () => {
  try { await navigator.clipboard.writeText($("poem-output").textContent); $("poem-status").textContent = "copied"; }
  catch { $("poem-status").textContent = "copying needs https or localhost"; }
});

// Names: probabilities as bars.
// A JSON request from the names tab: the answer, or null after showing the error (beside its
// field) and emptying `output`.
async function post(path, request, status, output, doing) {
  clearErrors($("names"));
  status.textContent = doing;
  const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" },
                                       body: JSON.stringify(request) });
  const answer = await response.json();
  output.innerHTML = "";
  if (!response.ok) { showError($("names"), answer, status); return null; }
  status.textContent = "";
  return answer;
}

async function classify() {
  const names = $("c-names").value.split("\n").map((n) => n.trim()).filter((n) => n !== "");
  const request = { model: $("c-model").value, names, top: Number($("c-top").value || 3) };
  const bars = $("bars");
  const answer = await post("api/classify", request, $("classify-status"), bars, "classifying…");
  if (!answer) return;
  for (const name of answer) {
    const block = document.createElement("div"); block.className = "name";
    const title = document.createElement("h3"); title.textContent = name.input; block.append(title);
    for (const p of name.predictions) {
      const row = document.createElement("div"); row.className = "bar";
      row.dataset.category = p.category; row.dataset.probability = p.probability;
      const label = document.createElement("span"); label.textContent = p.category;
      const track = document.createElement("span"); track.className = "track";
      const fill = document.createElement("span"); fill.className = "fill"; fill.style.display = "block";
      fill.style.width = `${(p.probability * 100).toFixed(1)}%`; track.append(fill);
      const value = document.createElement("span"); value.className = "p"; value.textContent = p.probability.toFixed(2);
      row.append(label, track, value); block.append(row);
    }
    bars.append(block);
  }
}
$("classify").addEventListener("click", classify);

async function invent() {
  const request = fields($("names"), ["n-model", "n-category", "n-samples", "n-temperature"]);
  request.length = 30;
  const list = $("invented");
  const answer = await post("api/generate", request, $("invent-status"), list, "inventing…");
  if (!answer) return;
  for (const name of answer.samples) { const item = document.createElement("li"); item.textContent = name; list.append(item); }
}
$("invent").addEventListener("click", invent);

loadModels().catch(() => { $("poem-status").textContent = "the server cannot be reached"; });
</script>
</body>
</html>
"""#
