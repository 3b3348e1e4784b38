import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { WorkerLoop } from "../../../relayer/application/worker-loop.js";

describe("WorkerLoop", () => {
  it("runs rounds back to back while they find work, then rests idleMs between rounds", async () => {
    const starts: number[] = [];
    let work = 3;
    const loop = new WorkerLoop(async () => {
      starts.push(performance.now());
      return work > 0 ? work-- : 0;
    }, { idleMs: 200, failed: (error) => assert.fail(String(error)) });
    loop.start();
    await sleep(300);
    await loop.stop();
    // Three rounds with work and the first empty one straight away; the next empty one only after the rest.
    assert.equal(starts.length, 5);
    assert.ok(starts[3]! - starts[0]! < 100, `busy rounds ran back to back (${starts[3]! - starts[0]!} ms)`);
    assert.ok(starts[4]! - starts[3]! >= 195, `an idle round waited (${starts[4]! - starts[3]!} ms)`);
  });

  /** A loop that never rests out its idle time in a test, whose second round is held until released. */
  function holdingSecondRound() {
    const state = { rounds: 0, release: undefined as (() => void) | undefined };
    const loop = new WorkerLoop(async () => {
      state.rounds += 1;
      if (state.rounds === 2) await new Promise<void>((resolve) => (state.release = resolve));
      return 0;
    }, { idleMs: 10_000, failed: (error) => assert.fail(String(error)) });
    return { loop, state };
  }

  for (const signal of ["nudge", "wake"] as const) {
    it(`starts a round at once when given a ${signal} while resting`, async () => {
      const { loop, state } = holdingSecondRound();
      loop.start();
      await sleep(20);
      assert.equal(state.rounds, 1); // resting
      loop[signal]();
      await sleep(20);
      assert.equal(state.rounds, 2); // the second round runs (and is held)
      loop[signal](); // during the round
      state.release!();
      await sleep(50);
      if (signal === "wake") {
        assert.equal(state.rounds, 3, "no rest after a round during which it was woken");
      } else {
        assert.equal(state.rounds, 2, "a nudge during a round does not chain another");
        loop.nudge();
        await sleep(20);
        assert.equal(state.rounds, 3, "resting again, a nudge starts a round");
      }
      const stopped = performance.now();
      await loop.stop();
      assert.ok(performance.now() - stopped < 100, "stop ends the rest at once");
    });
  }

  it("reports a round that throws, keeps going, and times every round", async () => {
    const failures: unknown[] = [];
    const durations: number[] = [];
    let rounds = 0;
    const loop = new WorkerLoop(async () => {
      rounds += 1;
      if (rounds === 1) throw new Error("rpc down");
      return 0;
    }, { idleMs: 10, failed: (error) => failures.push(error), observe: (seconds) => durations.push(seconds) });
    loop.start();
    await sleep(60);
    await loop.stop();
    assert.equal(failures.length, 1);
    assert.equal((failures[0] as Error).message, "rpc down");
    assert.ok(rounds >= 3, `it went on after the failure (${rounds} rounds)`);
    assert.equal(durations.length, rounds);
    assert.ok(durations.every((s) => s >= 0 && s < 1));
  });

  it("lets the current round finish before stop resolves", async () => {
    let finished = false;
    const loop = new WorkerLoop(async () => {
      await sleep(50);
      finished = true;
      return 1;
    }, { idleMs: 10, failed: (error) => assert.fail(String(error)) });
    loop.start();
    await sleep(10);
    await loop.stop();
    assert.equal(finished, true);
  });
});
