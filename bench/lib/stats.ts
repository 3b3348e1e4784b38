// Small statistics for benchmark reports.

/** Nearest-rank percentile of `values` (p in 0..100); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export const round = (value: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

export function latencySummary(values: readonly number[]): { p50: number; p95: number; p99: number; max: number; mean: number; count: number } {
  const mean = values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
  return {
    p50: round(percentile(values, 50), 2),
    p95: round(percentile(values, 95), 2),
    p99: round(percentile(values, 99), 2),
    max: round(values.length === 0 ? Number.NaN : Math.max(...values), 2),
    mean: round(mean, 2),
    count: values.length,
  };
}

/**
 * Percentiles from a Prometheus histogram in `/metrics` text: for each p, the upper bound (in ms) of the first bucket
 * whose cumulative count reaches p percent of the series matching `labels`. Coarse by design: a bucket, not a value.
 */
export function histogramPercentilesMs(
  metrics: string,
  name: string,
  labels: Record<string, string>,
): { p50: number; p95: number; p99: number; count: number } | null {
  const matches = (line: string) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
  const buckets = metrics
    .split("\n")
    .filter((line) => line.startsWith(`${name}_bucket{`) && matches(line))
    .map((line) => ({ le: /le="([^"]+)"/.exec(line)![1]!, count: Number(line.slice(line.lastIndexOf(" ") + 1)) }))
    .map(({ le, count }) => ({ le: le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le) * 1000, count }))
    .sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return null;
  const at = (p: number) => buckets.find((b) => b.count >= (p / 100) * total)!.le;
  return { p50: at(50), p95: at(95), p99: at(99), count: total };
}
