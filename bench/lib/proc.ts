// Process helpers for benchmarks: find the real node process behind a wrapper (tsx re-launches node as a
// child) and sample its memory from /proc/<pid>/status.
import { readdirSync, readFileSync } from "node:fs";

/** The parent pid of `pid`, or undefined if it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[1]);
  } catch {
    return undefined;
  }
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

/** Every live descendant of `root` (children first, then their children). */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const parent = parentOf(pid);
    if (parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/**
 * The process that actually runs `script` under `root`: the deepest process (root included) whose command line
 * names the script. With tsx, `root` is the tsx CLI and the work runs in a node child it spawned.
 */
export function workerProcess(root: number, script: string): number {
  const candidates = [root, ...descendants(root)].filter((pid) => cmdline(pid).includes(script));
  return candidates.at(-1) ?? root;
}

export interface MemoryStatus {
  /** Resident set size now, in kB. */
  vmRssKb: number;
  /** Peak resident set size ("high water mark"), in kB. */
  vmHwmKb: number;
}

export function memoryOf(pid: number): MemoryStatus | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
    return { vmRssKb: field("VmRSS"), vmHwmKb: field("VmHWM") };
  } catch {
    return undefined;
  }
}

/** Samples a process's memory every `intervalMs` until stopped; keeps the maxima. */
export class MemorySampler {
  #timer: NodeJS.Timeout | undefined;
  maxRssKb = 0;
  maxHwmKb = 0;
  samples = 0;

  constructor(private readonly pid: number, private readonly intervalMs = 100) {}

  start(): this {
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.intervalMs);
    this.#timer.unref();
    return this;
  }

  sample(): void {
    const m = memoryOf(this.pid);
    if (!m) return;
    this.samples += 1;
    if (m.vmRssKb > this.maxRssKb) this.maxRssKb = m.vmRssKb;
    if (m.vmHwmKb > this.maxHwmKb) this.maxHwmKb = m.vmHwmKb;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.sample();
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; undefined if it is gone. */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After the command name: state is field 3, utime field 14, stime field 15 (1-based in proc(5)).
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}
