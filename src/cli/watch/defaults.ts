/*
 * Watch mode's defaults, in a module of their own so that `scenec watch --help` can name them
 * without loading the session (and with it the compiler and the renderer).
 */

/** How long the files must be quiet after a save before the scene is recompiled (see watch-machine.ts). */
export const DEFAULT_DEBOUNCE_MS = 150;

/** The preview server's port when `--serve` names none. */
export const DEFAULT_PORT = 4750;
