/**
 * The one page `scenec watch --serve` serves: the latest picture, a live preview of the render in
 * progress, the status line and the scene's diagnostics when it is broken. It listens to
 * `/events` (Server-Sent Events; EventSource reconnects by itself) and never reloads: a new
 * picture is fetched as `/image.png?v=VERSION` and swapped in once it has loaded.
 *
 * Hooks for tests and tools: `#picture[data-version]` is the version shown, `#status[data-status]`
 * the watch status, `#diagnostics` the diagnostics text (hidden when there are none),
 * `#layout[data-version]` the layout overlay (who owns each pixel), shown while `#show-layout` is
 * checked, `#highlight[data-name]` the outline of what the editor's cursor is in.
 *
 * The highlight: the page that frames this one (the VS Code extension's webview) posts
 * `{ type: "scenec/highlight", target }`, `target` being the language server's
 * `scenec/regionAtCursor` answer (src/lsp/region-at-cursor.ts) or null; the page outlines that
 * region's rectangle (and shape), a grid's cells' bounds or a guide's rectangle, from
 * `/regions.json`, scaled to the picture as shown. The framing page's origin is the editor's own
 * and cannot be known here, so a message is taken only from the parent window and only in that
 * shape; it can do no more than draw an outline.
 */

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
:root { color-scheme: light dark; --bg: #f6f6f4; --fg: #1d1d1f; --muted: #6b6b70; --panel: #ffffff; --bad: #b3261e; --stale: #8a5a00; --ok: #1f7a3a; }
@media (prefers-color-scheme: dark) { :root { --bg: #161618; --fg: #e8e8ea; --muted: #9a9aa2; --panel: #212124; --bad: #ff8a80; --stale: #ffcc66; --ok: #7bd88f; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; gap: 1em; align-items: baseline; padding: 0.6em 1em; background: var(--panel); border-bottom: 1px solid #8884; position: sticky; top: 0; }
header h1 { font-size: 1em; margin: 0; font-weight: 600; }
#status { color: var(--muted); }
#status[data-status="ok"] { color: var(--ok); }
#status[data-status="errors"], #status[data-status="failed"], #status[data-status="missing"] { color: var(--bad); }
#status.stale::before { content: "stale · "; color: var(--stale); font-weight: 600; }
main { padding: 1em; display: grid; gap: 1em; }
figure { margin: 0; position: relative; }
#stage { position: relative; width: fit-content; max-width: 100%; }
#picture { max-width: 100%; height: auto; display: block; background: #8882; min-height: 4em; }
#picture.stale { opacity: 0.6; }
#layout { position: absolute; left: 0; top: 0; max-width: 100%; height: auto; opacity: 0.6; pointer-events: none; }
#highlight { position: absolute; border: 2px solid #ffd60a; box-shadow: 0 0 0 1px #000a, inset 0 0 0 1px #000a; pointer-events: none; }
#highlight.shaped { border-style: dashed; border-width: 1px; }
#highlight svg { position: absolute; left: 0; top: 0; width: 100%; height: 100%; overflow: visible; }
#highlight svg > * { fill: none; stroke: #ffd60a; stroke-width: 2px; vector-effect: non-scaling-stroke; }
#highlight-label { position: absolute; left: 0; top: 0; padding: 0 0.3em; background: #000b; color: #ffd60a; font-size: 12px; white-space: nowrap; }
header label { margin-left: auto; color: var(--muted); }
#live { position: absolute; right: 0.5em; top: 0.5em; width: 30%; min-width: 10em; background: var(--panel); padding: 0.3em; border-radius: 4px; box-shadow: 0 1px 6px #0006; }
#live img { width: 100%; image-rendering: pixelated; display: block; }
#live figcaption { font-size: 12px; color: var(--muted); }
#diagnostics { margin: 0; padding: 0.8em 1em; background: var(--panel); border-left: 4px solid var(--bad); overflow: auto; font: 13px/1.35 ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 0.3em; }
[hidden] { display: none !important; }
`;

const SCRIPT = `
const $ = (id) => document.getElementById(id);
const picture = $("picture"), caption = $("caption"), status = $("status"), diagnostics = $("diagnostics");
const live = $("live"), liveImage = $("live-image"), liveCaption = $("live-caption");
const layout = $("layout"), showLayout = $("show-layout");
const highlight = $("highlight"), highlightShape = $("highlight-shape"), highlightLabel = $("highlight-label");
/** /regions.json of the plan being rendered, and what the editor's cursor is in. */
let geometry = null, target = null;
showLayout.addEventListener("change", () => { layout.hidden = !showLayout.checked || !layout.dataset.version; });
let wanted = null;
function showImage(image) {
  if (!image) return;
  const version = String(image.version);
  if (picture.dataset.version === version || wanted === version) return;
  wanted = version;
  const next = new Image();
  next.onload = () => {
    if (wanted !== version) return;
    picture.src = next.src;
    picture.width = image.width;
    picture.height = image.height;
    picture.dataset.version = version;
    caption.textContent = image.width + " x " + image.height + " · rendered " + new Date(image.renderedAt).toLocaleTimeString() + " in " + image.renderMs + " ms";
  };
  next.src = "/image.png?v=" + encodeURIComponent(version);
}
function apply(state) {
  status.textContent = state.message;
  status.dataset.status = state.status;
  status.classList.toggle("stale", state.stale);
  picture.classList.toggle("stale", state.stale);
  showImage(state.image);
  diagnostics.textContent = state.diagnostics || "";
  diagnostics.hidden = !state.diagnostics;
  if (state.status !== "rendering") live.hidden = true;
  else if (state.progress) liveCaption.textContent = "rendering · step " + state.progress.step + "/" + state.progress.steps;
  document.title = (state.stale ? "(stale) " : "") + state.scene + " · scenec watch";
}
const events = new EventSource("/events");
events.addEventListener("state", (e) => apply(JSON.parse(e.data)));
events.addEventListener("preview", (e) => {
  const p = JSON.parse(e.data);
  liveImage.src = p.url;
  liveCaption.textContent = "rendering · step " + p.step + "/" + p.steps;
  live.hidden = false;
});
events.addEventListener("layout", (e) => {
  const version = String(JSON.parse(e.data).version);
  layout.src = "/layout.png?v=" + encodeURIComponent(version);
  layout.dataset.version = version;
  layout.hidden = !showLayout.checked;
});
let regionsWanted = null;
events.addEventListener("regions", (e) => {
  const version = String(JSON.parse(e.data).version);
  regionsWanted = version;
  fetch("/regions.json?v=" + encodeURIComponent(version)).then((r) => (r.ok ? r.json() : null)).then((g) => {
    // Two quick renders: the older answer must not win.
    if (!g || regionsWanted !== version) return;
    geometry = g;
    drawHighlight();
  }, () => {});
});
const KINDS = ["region", "grid", "cell", "guide"];
/** A message from the framing page: { type: "scenec/highlight", target: { kind, name, guide? } | null }. */
function highlightTarget(data) {
  if (!data || typeof data !== "object" || data.type !== "scenec/highlight") return undefined;
  const t = data.target;
  if (t === null) return null;
  if (!t || typeof t !== "object" || !KINDS.includes(t.kind) || typeof t.name !== "string") return undefined;
  if (t.kind === "guide" && !Number.isInteger(t.guide)) return undefined;
  return { kind: t.kind, name: t.name, guide: t.guide };
}
window.addEventListener("message", (e) => {
  if (window.parent === window || e.source !== window.parent) return;
  const t = highlightTarget(e.data);
  if (t === undefined) return;
  target = t;
  drawHighlight();
});
/** What to outline: a region's or cell's rectangle and shape, the bounds of a grid's paints, a guide's rectangle. */
function located(t) {
  if (t.kind === "guide") {
    const g = geometry.guides[t.guide];
    return g && { rect: g.rect, label: "guide " + g.path };
  }
  if (t.kind !== "grid") {
    const p = geometry.paints.find((p) => p.name === t.name);
    return p && { rect: p.rect, shape: p.shape, label: p.name };
  }
  const paints = geometry.paints.filter((p) => p.name === t.name || p.name.startsWith(t.name + "["));
  if (paints.length === 0) return undefined;
  const x0 = Math.min(...paints.map((p) => p.rect.x)), y0 = Math.min(...paints.map((p) => p.rect.y));
  const x1 = Math.max(...paints.map((p) => p.rect.x + p.rect.width)), y1 = Math.max(...paints.map((p) => p.rect.y + p.rect.height));
  return { rect: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, label: t.name };
}
const SVG = "http://www.w3.org/2000/svg";
function drawHighlight() {
  const found = target && geometry ? located(target) : undefined;
  highlight.hidden = !found;
  if (!found) {
    delete highlight.dataset.name;
    return;
  }
  const { width, height } = geometry.canvas, r = found.rect;
  // Percentages of the stage, which is the picture's box: the outline scales with the picture.
  highlight.style.left = (100 * r.x) / width + "%";
  highlight.style.top = (100 * r.y) / height + "%";
  highlight.style.width = (100 * r.width) / width + "%";
  highlight.style.height = (100 * r.height) / height + "%";
  highlight.dataset.name = found.label;
  highlightLabel.textContent = found.label;
  highlight.classList.toggle("shaped", !!found.shape);
  highlightShape.replaceChildren();
  highlightShape.setAttribute("viewBox", "0 0 " + r.width + " " + r.height);
  if (!found.shape) return;
  const outline = document.createElementNS(SVG, found.shape.kind === "ellipse" ? "ellipse" : "polygon");
  if (found.shape.kind === "ellipse") {
    for (const [k, v] of [["cx", r.width / 2], ["cy", r.height / 2], ["rx", r.width / 2], ["ry", r.height / 2]]) outline.setAttribute(k, String(v));
  } else outline.setAttribute("points", found.shape.points.map((p) => Number(p.x) + "," + Number(p.y)).join(" "));
  highlightShape.append(outline);
}
events.addEventListener("error", () => { status.textContent = "disconnected from scenec watch; retrying…"; status.dataset.status = "failed"; });
`;

export function previewPage(scene: string): string {
  const name = escapeHtml(scene);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${name} · scenec watch</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${name}</h1><span id="status" data-status="starting">connecting…</span><label><input type="checkbox" id="show-layout"> layout: who owns each pixel</label></header>
<main>
<figure>
<div id="stage">
<img id="picture" alt="the latest render of ${name}">
<img id="layout" alt="who owns each pixel" hidden>
<div id="highlight" hidden><svg id="highlight-shape" preserveAspectRatio="none" aria-hidden="true"></svg><span id="highlight-label"></span></div>
</div>
<figcaption id="caption">no picture yet</figcaption>
<figure id="live" hidden><img id="live-image" alt="the render in progress"><figcaption id="live-caption"></figcaption></figure>
</figure>
<pre id="diagnostics" hidden></pre>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
