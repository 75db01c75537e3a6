/**
 * A canvas (in latent elements) cut into tiles for staged decoding: the cores partition the
 * canvas into near-equal parts of at most `tile` elements a side; each tile is its core grown by
 * `padding` on every side that is not the canvas edge, so that what the decoder computes in the
 * core does not depend on where the tile was cut (the padding covers the receptive field).
 */
export interface GridTile {
  /** The padded region, [y0, y1) x [x0, x1). */
  y0: number;
  y1: number;
  x0: number;
  x1: number;
  /** The core, inside the padded region; the cores of a grid partition the canvas. */
  cy0: number;
  cy1: number;
  cx0: number;
  cx1: number;
}

export function tileGrid(width: number, height: number, tile: number, padding: number): GridTile[] {
  if (!(Number.isInteger(tile) && tile >= 1 && Number.isInteger(padding) && padding >= 0)) throw new RangeError(`tiles need an integer size >= 1 and padding >= 0, got tile ${tile}, padding ${padding}`);
  const rows = spans(height, tile);
  const cols = spans(width, tile);
  return rows.flatMap(([cy0, cy1]) =>
    cols.map(([cx0, cx1]) => ({
      y0: Math.max(0, cy0 - padding),
      y1: Math.min(height, cy1 + padding),
      x0: Math.max(0, cx0 - padding),
      x1: Math.min(width, cx1 + padding),
      cy0,
      cy1,
      cx0,
      cx1,
    })),
  );
}

/** [start, end) of n near-equal parts of at most `tile` each. */
function spans(length: number, tile: number): [number, number][] {
  const n = Math.ceil(length / tile);
  return Array.from({ length: n }, (_, i) => [Math.round((i * length) / n), Math.round(((i + 1) * length) / n)]);
}
