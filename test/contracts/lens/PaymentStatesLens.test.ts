import { expect } from "chai";
import { network } from "hardhat";

import { PaymentStatus } from "../../../relayer/chain/typed-data.js";
import { PaymentStatesLens__factory } from "../../../typechain-types/index.js";
import { authorizeAndCapture, authorizeErc3009, deploySystem, makeTerms, UNIT } from "../fixtures.js";

const { ethers, networkHelpers } = await network.getOrCreate();

const FIELDS = ["capturable", "held", "heldSince", "status", "disputeUsed", "released", "refundedAfterRelease"] as const;
const STATE_TYPE = "tuple(uint96 capturable, uint96 held, uint40 heldSince, uint8 status, bool disputeUsed, uint96 released, uint96 refundedAfterRelease)[]";

/** A state's fields by name (an ethers Result, or a typechain struct). */
const fieldsOf = (state: object) => Object.fromEntries(FIELDS.map((f) => [f, (state as Record<string, unknown>)[f]]));

/** Three payments in different states: authorized, partly captured, and voided. */
async function payments() {
  const sys = await deploySystem(ethers);
  const authorized = await authorizeErc3009(sys, await makeTerms(sys, { amount: 40n * UNIT }));
  const captured = await authorizeAndCapture(sys, await makeTerms(sys), 60n * UNIT);
  const voidedTerms = await makeTerms(sys, { amount: 5n * UNIT });
  const voided = await authorizeErc3009(sys, voidedTerms);
  await (await sys.escrow.connect(sys.operator).void(voidedTerms)).wait();
  return { sys, ids: { authorized, captured, voided } };
}

/** The lens's answer for `ids`, from one `eth_call` without `to` (nothing deployed). */
async function readStates(escrow: string, ids: string[]): Promise<{ raw: string; states: Record<string, unknown>[] }> {
  const { data } = await new PaymentStatesLens__factory().getDeployTransaction(escrow, ids);
  const raw = await ethers.provider.call({ data });
  const [decoded] = ethers.AbiCoder.defaultAbiCoder().decode([STATE_TYPE], raw);
  return { raw, states: Array.from(decoded as ArrayLike<object>, fieldsOf) };
}

describe("PaymentStatesLens", () => {
  it("answers each payment's state as escrow.paymentState does, in the order asked, repeats included", async () => {
    const { sys, ids } = await networkHelpers.loadFixture(payments);
    const asked = [ids.captured, ids.voided, ids.authorized, ids.captured];
    const { states } = await readStates(sys.escrowAddress, asked);
    expect(states).to.have.length(4);
    for (const [i, id] of asked.entries()) {
      expect(states[i]).to.deep.equal(fieldsOf(await sys.escrow.paymentState(id)));
    }
    expect(states.map((s) => Number(s.status))).to.deep.equal([PaymentStatus.Captured, PaymentStatus.Voided, PaymentStatus.Authorized, PaymentStatus.Captured]);
    expect(states[0]!.held).to.equal(60n * UNIT);
    expect(states[0]!.capturable).to.equal(40n * UNIT);
  });

  it("answers an all-zero state for an unknown id", async () => {
    const { sys, ids } = await networkHelpers.loadFixture(payments);
    const { states } = await readStates(sys.escrowAddress, [ethers.id("no such payment"), ids.authorized]);
    expect(Object.values(states[0]!).every((v) => v === 0n || v === false)).to.equal(true);
    expect(states[1]!.capturable).to.equal(40n * UNIT);
  });

  it("answers an empty list for no ids", async () => {
    const { sys } = await networkHelpers.loadFixture(payments);
    const { raw, states } = await readStates(sys.escrowAddress, []);
    expect(states).to.deep.equal([]);
    expect(raw).to.equal(ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [32, 0]));
  });

  // 109 is the most a real chain takes: the answer, treated as code, must fit the 24,576-byte limit (this test chain
  // lifts the limit for the unoptimized escrow, so it cannot show the 110th failing).
  it("reads 109 payments in one call, an answer of 24,480 bytes", async () => {
    const { sys, ids } = await networkHelpers.loadFixture(payments);
    const asked = Array.from({ length: 109 }, (_, i) => [ids.authorized, ids.captured, ids.voided][i % 3]!);
    const { raw, states } = await readStates(sys.escrowAddress, asked);
    expect((raw.length - 2) / 2).to.equal(24_480);
    expect(states.map((s) => Number(s.status))).to.deep.equal(asked.map((id) => (id === ids.authorized ? PaymentStatus.Authorized : id === ids.captured ? PaymentStatus.Captured : PaymentStatus.Voided)));
  });

  it("leaves nothing deployed behind", async () => {
    const { sys, ids } = await networkHelpers.loadFixture(payments);
    const before = await ethers.provider.getBlockNumber();
    const sender = await sys.operator.getAddress();
    const nonce = await ethers.provider.getTransactionCount(sender);
    await readStates(sys.escrowAddress, [ids.authorized]);
    expect(await ethers.provider.getBlockNumber()).to.equal(before);
    expect(await ethers.provider.getCode(ethers.getCreateAddress({ from: sender, nonce }))).to.equal("0x");
  });
});
