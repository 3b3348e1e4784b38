// Injected faults for crash tests: RELAYER_FAILPOINTS="after_raw_persisted:0.2,after_broadcast:0.1" kills the
// process with SIGKILL at that point with that probability. Never set in production.
import type { Failpoint } from "./submitter.js";

const NAMES = ["after_nonce_allocation", "after_raw_persisted", "after_broadcast"] as const;

export function failpointsFromEnv(spec: string | undefined, random: () => number = Math.random): Failpoint | undefined {
  if (!spec) return undefined;
  const odds = new Map<string, number>();
  for (const part of spec.split(",")) {
    const [name, probability] = part.split(":");
    if (!name || !NAMES.includes(name as (typeof NAMES)[number])) throw new Error(`RELAYER_FAILPOINTS: unknown failpoint ${name}`);
    const p = Number(probability ?? "1");
    if (!(p >= 0 && p <= 1)) throw new Error(`RELAYER_FAILPOINTS: probability of ${name} must be within 0..1`);
    odds.set(name, p);
  }
  return (name) => {
    const p = odds.get(name);
    if (p !== undefined && random() < p) process.kill(process.pid, "SIGKILL");
  };
}
