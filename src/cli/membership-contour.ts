/**
 * The outline of a mask as the renderer sees it, for the layout picture: SVG path data along the
 * edges between latent elements on either side of half membership (`values`, `width × height`
 * elements of `factor` pixels, laid from `x`, `y` in pixels). The rectangle's own sides are left
 * out (the picture dashes the rectangle), and runs of edges on one line are joined into one stroke.
 */
export function membershipContour(values: ArrayLike<number>, width: number, height: number, factor: number, x: number, y: number): string {
  const inside = (i: number, j: number) => values[j * width + i]! >= 0.5;
  const strokes: string[] = [];
  // Vertical edges, between columns i - 1 and i, joined down each line.
  for (let i = 1; i < width; i++) {
    let start = -1;
    for (let j = 0; j <= height; j++) {
      const edge = j < height && inside(i - 1, j) !== inside(i, j);
      if (edge && start < 0) start = j;
      if (!edge && start >= 0) {
        strokes.push(`M${x + i * factor},${y + start * factor}V${y + j * factor}`);
        start = -1;
      }
    }
  }
  // Horizontal edges, between rows j - 1 and j, joined along each line.
  for (let j = 1; j < height; j++) {
    let start = -1;
    for (let i = 0; i <= width; i++) {
      const edge = i < width && inside(i, j - 1) !== inside(i, j);
      if (edge && start < 0) start = i;
      if (!edge && start >= 0) {
        strokes.push(`M${x + start * factor},${y + j * factor}H${x + i * factor}`);
        start = -1;
      }
    }
  }
  return strokes.join("");
}
