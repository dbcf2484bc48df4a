// Number formatting shared by the findings, the terminal table and the HTML report.

/** A number in at most `digits` significant digits, without trailing zeros. */
export function num(v: number | null | undefined, digits = 5): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '-';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return '0';
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  if (a >= 1e-4 && a < 1e9) return String(Number(v.toPrecision(digits)));
  return v.toExponential(digits - 1).replace(/\.?0+e/, 'e');
}

/** A share (0..1) as a percentage. */
export function pct(share: number | null | undefined, digits = 3): string {
  if (share === null || share === undefined || Number.isNaN(share)) return '-';
  if (share === 0) return '0%';
  const p = share * 100;
  if (p < 0.001) return '<0.001%';
  return `${Number(p.toPrecision(digits))}%`;
}

/** A count with thousands separators. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** "Int8Conv #2 (conv_1_q)". */
export function opLabel(op: { type: string; index: number; outputs: readonly string[] }): string {
  return `${op.type} #${op.index}${op.outputs[0] !== undefined ? ` (${op.outputs[0]})` : ''}`;
}
