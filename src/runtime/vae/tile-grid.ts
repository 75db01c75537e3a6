/**
 * A canvas (in latent elements) cut into tiles for staged decoding: `cols` x `rows` cores that
 * partition the canvas into near-equal parts; each tile is its core grown by `padding` on every
 * side that is not the canvas edge, so that what the decoder computes in the core does not
 * depend on where the tile was cut (the padding covers the receptive field).
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

export function tileGrid(width: number, height: number, cols: number, rows: number, padding: number): GridTile[] {
  const valid = (n: number, length: number) => Number.isInteger(n) && n >= 1 && n <= length;
  if (!(valid(cols, width) && valid(rows, height) && Number.isInteger(padding) && padding >= 0))
    throw new RangeError(`a ${width} x ${height} grid needs 1 to ${width} columns, 1 to ${height} rows and padding >= 0, got ${cols} x ${rows}, padding ${padding}`);
  return spans(height, rows).flatMap(([cy0, cy1]) =>
    spans(width, cols).map(([cx0, cx1]) => ({
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

/** [start, end) of n near-equal parts of a length (they differ by at most 1). */
export function spans(length: number, n: number): [number, number][] {
  return Array.from({ length: n }, (_, i) => [Math.round((i * length) / n), Math.round(((i + 1) * length) / n)]);
}
