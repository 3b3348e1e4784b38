// A relayer as a child process (`node --import tsx relayer/main.ts`, configured by the environment), for crash
// tests: start it, learn its URL from the RELAYER_LISTENING line, SIGKILL it, start it again on the same database,
// and keep it running across deaths the test did not cause (failpoints kill the process themselves).
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync } from "node:fs";
import path from "node:path";

import { devWallet, type TestSystem } from "./system.js";

export interface ChildExit {
  generation: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The test asked for it (kill or stop); otherwise the process died by itself (a failpoint, a crash). */
  requested: boolean;
  /** It had announced its URL before it died. */
  announced: boolean;
  uptimeMs: number;
}

export interface ChildRelayerOptions {
  /** The repository root (where relayer/main.ts is): defaults to the working directory. */
  cwd?: string;
  /** Every line the children print goes to this file too, prefixed by the generation. */
  logFile?: string;
  startTimeoutMs?: number;
  /** Runs after every death the supervisor saw, before it starts the next child (to inspect what was left). */
  onExit?: (exit: ChildExit) => Promise<void> | void;
}

/** The environment a child relayer needs to serve `system`'s chain, deployment and database. */
export function childEnvFor(system: TestSystem, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    RPC_URL: system.chain.rpcUrl,
    DEPLOYMENT_FILE: system.credentials.deploymentFile,
    DATABASE_PATH: system.config.DATABASE_PATH,
    ...(system.config.DATABASE_URL ? { DATABASE_URL: system.config.DATABASE_URL } : {}),
    SIGNER_PRIVATE_KEY: devWallet(1).privateKey,
    WEBHOOK_MASTER_KEY: randomBytes(32).toString("hex"),
    PORT: "0",
    LOG_LEVEL: "warn",
    POLL_INTERVAL_MS: "25",
    ...overrides,
  };
}

/**
 * One relayer at a time as a child process. `start` resolves with the URL; `kill` sends SIGKILL; with
 * `keepRunning(true)` every death (requested or not) is followed by a new start, and `ready()` waits for it.
 */
export class ChildRelayer {
  readonly exits: ChildExit[] = [];
  #env: Record<string, string>;
  #child: ChildProcess | undefined;
  #exited: Promise<ChildExit> | undefined;
  #url: string | undefined;
  #generation = 0;
  #requested = false;
  #keepRunning = false;
  #supervising: Promise<void> | undefined;
  #tail: string[] = [];
  #readyWaiters: Array<(url: string) => void> = [];
  #startError: Error | undefined;
  readonly #options: ChildRelayerOptions & { cwd: string; startTimeoutMs: number };

  constructor(env: Record<string, string>, options: ChildRelayerOptions = {}) {
    this.#env = env;
    this.#options = { ...options, cwd: options.cwd ?? process.cwd(), startTimeoutMs: options.startTimeoutMs ?? 120_000 };
  }

  /** The URL of the running child, if one is up. */
  get url(): string | undefined {
    return this.#url;
  }

  /** The running child's process id (relayers name themselves in the leases by hostname, pid and a random tag). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** How many children were started so far (the current one's number). */
  get generation(): number {
    return this.#generation;
  }

  /** Deaths by SIGKILL: the test's kills and the failpoints' self-kills. */
  get kills(): { requested: number; unrequested: number } {
    const killed = this.exits.filter((e) => e.signal === "SIGKILL");
    return { requested: killed.filter((e) => e.requested).length, unrequested: killed.filter((e) => !e.requested).length };
  }

  /** Changes the environment of the next starts (the running child keeps its own). */
  setEnv(changes: Record<string, string | undefined>): void {
    const next = { ...this.#env };
    for (const [name, value] of Object.entries(changes)) {
      if (value === undefined) delete next[name];
      else next[name] = value;
    }
    this.#env = next;
  }

  /** The last lines the children printed (stdout and stderr), for failure messages. */
  output(lines = 60): string {
    return this.#tail.slice(-lines).join("\n");
  }

  /** Starts a child and resolves with its URL once it listens; rejects if it dies or is silent first. */
  async start(): Promise<string> {
    if (this.#child) throw new Error("a child relayer is already running");
    const generation = ++this.#generation;
    const startedAt = Date.now();
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.#env, RELAYER_ANNOUNCE: "1" };
    delete env.NODE_TEST_CONTEXT; // the test runner's marker would make the child report to it
    if (!this.#env.RELAYER_FAILPOINTS) delete env.RELAYER_FAILPOINTS;
    const child = spawn(process.execPath, ["--import", "tsx", path.join("relayer", "main.ts")], {
      cwd: this.#options.cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    this.#requested = false;
    let announced = false;
    let announce: (url: string) => void = () => {};
    const listening = new Promise<string>((resolve) => (announce = resolve));
    const collect = (stream: NodeJS.ReadableStream | null, name: string) => {
      let partial = "";
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        const lines = (partial + chunk).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) {
          const match = /^RELAYER_LISTENING (\S+)/.exec(line);
          if (match && !announced) {
            announced = true;
            announce(match[1]!);
          }
          this.#record(`[${generation} ${name}] ${line}`);
        }
      });
    };
    collect(child.stdout, "out");
    collect(child.stderr, "err");
    this.#exited = new Promise<ChildExit>((resolve) => {
      child.once("exit", (code, signal) => {
        const exit: ChildExit = { generation, code, signal, requested: this.#requested, announced, uptimeMs: Date.now() - startedAt };
        this.exits.push(exit);
        this.#record(`[${generation}] exited: ${signal ?? `code ${code}`}${exit.requested ? " (requested)" : ""}`);
        if (this.#child === child) {
          this.#child = undefined;
          this.#url = undefined;
        }
        resolve(exit);
      });
    });
    const exited = this.#exited;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      listening.then((url) => ({ url })),
      exited.then((exit) => ({ exit })),
      new Promise<{ timeout: true }>((resolve) => (timer = setTimeout(() => resolve({ timeout: true }), this.#options.startTimeoutMs))),
    ]);
    clearTimeout(timer);
    if ("url" in outcome) {
      this.#url = outcome.url;
      for (const waiter of this.#readyWaiters.splice(0)) waiter(outcome.url);
      return outcome.url;
    }
    if ("timeout" in outcome) {
      await this.kill();
      throw new Error(`the child relayer did not announce within ${this.#options.startTimeoutMs} ms:\n${this.output()}`);
    }
    throw new ChildDiedError(outcome.exit, this.output());
  }

  /** SIGKILL, then waits for the process to be gone. No-op without a child. */
  async kill(): Promise<ChildExit | undefined> {
    const child = this.#child;
    const exited = this.#exited;
    if (!child || !exited) return undefined;
    this.#requested = true;
    this.#url = undefined;
    child.kill("SIGKILL");
    return exited;
  }

  /** Sends `signal` to the running child (SIGSTOP and SIGCONT pause and resume it). False without a child. */
  signal(signal: NodeJS.Signals): boolean {
    return this.#child?.kill(signal) ?? false;
  }

  /** Resolves when the current child dies (whoever killed it). */
  async waitForExit(): Promise<ChildExit | undefined> {
    return this.#exited && this.#child ? this.#exited : undefined;
  }

  /** With `true`, starts a child now if none runs and a new one after every death; `false` starts no more. */
  keepRunning(on: boolean): void {
    this.#keepRunning = on;
    if (on && !this.#supervising) {
      this.#startError = undefined;
      this.#supervising = this.#supervise().finally(() => (this.#supervising = undefined));
    }
  }

  /** The URL of a running child, waiting for the next start if none is up. */
  async ready(timeoutMs = 120_000): Promise<string> {
    if (this.#startError) throw this.#startError;
    if (this.#url) return this.#url;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        new Promise<string>((resolve) => this.#readyWaiters.push(resolve)),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(this.#startError ?? new Error(`no relayer came up within ${timeoutMs} ms:\n${this.output()}`)), timeoutMs))),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops supervising and ends the child gracefully (SIGTERM; SIGKILL after `graceMs`). */
  async stop(graceMs = 15_000): Promise<void> {
    this.#keepRunning = false;
    const child = this.#child;
    const exited = this.#exited;
    if (child && exited) {
      this.#requested = true;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    }
    await this.#supervising;
  }

  async #supervise(): Promise<void> {
    while (this.#keepRunning) {
      if (!this.#child) {
        try {
          await this.start();
        } catch (error) {
          if (error instanceof ChildDiedError && error.exit.signal === "SIGKILL") {
            await this.#options.onExit?.(error.exit); // killed while starting (a failpoint in the first round)
            continue;
          }
          this.#startError = error as Error;
          this.#keepRunning = false;
          return;
        }
      }
      const exit = await this.#exited;
      if (exit) await this.#options.onExit?.(exit);
    }
  }

  #record(line: string): void {
    this.#tail.push(line);
    if (this.#tail.length > 400) this.#tail.splice(0, this.#tail.length - 400);
    if (this.#options.logFile) appendFileSync(this.#options.logFile, line + "\n");
  }
}

export class ChildDiedError extends Error {
  constructor(
    readonly exit: ChildExit,
    output: string,
  ) {
    super(`the child relayer died before it listened (${exit.signal ?? `exit code ${exit.code}`}):\n${output}`);
  }
}
