/**
 * Runs `task` as soon as the server has handled every message it has already received, instead of
 * after a fixed pause: a burst of changes that arrived together (or while a compile ran) is
 * handled first, so only the latest text is compiled, and a lone change is compiled at once.
 * Returns a function that cancels the task; a newer change cancels the one scheduled before it.
 *
 * vscode-jsonrpc handles one queued message per `setImmediate`, scheduled after the handler
 * returns, so it is one turn of the event loop ahead of a task scheduled from that handler with
 * a single `setImmediate`: the second one makes the next queued message (if any) come first.
 */
export function afterPendingMessages(task: () => void): () => void {
  let handle = setImmediate(() => {
    handle = setImmediate(task);
  });
  return () => clearImmediate(handle);
}
