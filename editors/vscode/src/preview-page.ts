/** What the extension posts to the webview, and the webview on to the framed preview page (src/cli/watch/preview-page.ts). */
export const HIGHLIGHT_MESSAGE = "scenec/highlight";

/**
 * The webview's page: the preview server's page in a full-size iframe. The Content Security Policy
 * lets the webview frame only that origin and run only its own script (`nonce`), which passes the
 * extension's highlight messages on to the framed page, addressed to the preview's origin alone.
 * VS Code delivers the extension's messages from the webview's own origin; the framed page's own
 * messages (another origin) are not passed anywhere. The last one is sent again whenever the frame
 * (re)loads: a message posted before its page listens would be lost.
 */
export function previewPageHtml(url: string, title: string, nonce: string): string {
  const origin = new URL(url).origin;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; frame-src ${origin}; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'">
<title>${escapeHtml(title)}</title>
<style>html, body, iframe { margin: 0; padding: 0; border: 0; width: 100%; height: 100%; overflow: hidden; }</style>
</head>
<body><iframe src="${escapeHtml(url)}" title="${escapeHtml(title)}"></iframe>
<script nonce="${nonce}">
const frame = document.querySelector("iframe");
let last = null;
const pass = () => last && frame.contentWindow.postMessage(last, ${JSON.stringify(origin)});
window.addEventListener("message", (event) => {
  if (event.origin !== window.origin || !event.data || event.data.type !== ${JSON.stringify(HIGHLIGHT_MESSAGE)}) return;
  last = event.data;
  pass();
});
frame.addEventListener("load", pass);
</script>
</body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
