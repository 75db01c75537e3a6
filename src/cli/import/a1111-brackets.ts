/**
 * A1111 reads emphasis brackets leniently (modules/prompt_parser.py, parse_prompt_attention): a
 * bracket never closed weights the rest of the prompt, and a closer with nothing open is text.
 * scenec's compiler reports both (S2025). An imported prompt is made to say explicitly what A1111
 * read: the missing closers are written at its end, the stray ones escaped (`\)`), so the scene
 * weights it exactly as A1111 did.
 */
export function balanceBrackets(prompt: string): { text: string; changed: boolean } {
  let text = "";
  const open: string[] = [];
  let changed = false;
  for (let i = 0; i < prompt.length; i++) {
    const c = prompt[i]!;
    if (c === "\\" && i + 1 < prompt.length) {
      // An escape (`\(`, `\\`, ...) is text, whatever follows.
      text += c + prompt[++i]!;
      continue;
    }
    if (c === "(" || c === "[") open.push(c);
    else if (c === ")" || c === "]") {
      const opener = c === ")" ? "(" : "[";
      // A1111 keeps a stack per bracket kind: a closer pops the last opener of its own kind.
      const at = open.lastIndexOf(opener);
      if (at === -1) {
        text += `\\${c}`;
        changed = true;
        continue;
      }
      open.splice(at, 1);
    }
    text += c;
  }
  if (open.length > 0) changed = true;
  for (const opener of open.reverse()) text += opener === "(" ? ")" : "]";
  return { text, changed };
}
