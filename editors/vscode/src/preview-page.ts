/**
 * The webview's page: the preview server's page in a full-size iframe. The Content Security Policy
 * lets the webview frame only that origin and run no script of its own.
 */
export function previewPageHtml(url: string, title: string): string {
  const origin = new URL(url).origin;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; frame-src ${origin}; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>html, body, iframe { margin: 0; padding: 0; border: 0; width: 100%; height: 100%; overflow: hidden; }</style>
</head>
<body><iframe src="${escapeHtml(url)}" title="${escapeHtml(title)}"></iframe></body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
