// Reads from the escrow and the KYC registry for the use cases (implements application/ports ChainReader).
import { Contract, type FunctionFragment, type Interface, type JsonRpcProvider } from "ethers";

import type { KycReader, KycRecordView } from "../application/kyc.js";
import type { ChainReader, KycVerdict, OnChainPayment, ReceivableChainReader } from "../application/ports.js";
import type { ChainReceivable } from "../domain/receivable.js";
import {
  IReceivableRegistry__factory,
  KycRegistry__factory,
  PaymentEscrow__factory,
  PaymentStatesLens__factory,
  SettlementToken__factory,
} from "../../typechain-types/index.js";
import { functionEncoder, resultReader, type FunctionEncoder, type ResultReader } from "./abi-encoding.js";
import { ReceivableState } from "./receivable-typed-data.js";
import type { Outcome } from "./revert-reasons.js";
import { decodeRevert } from "./escrow-calls.js";
import { classifyRevert } from "./revert-reasons.js";
import type { PaymentStatus } from "./typed-data.js";

/** Payments read per PaymentStatesLens call: its answer (224 bytes each) counts as code, limited to 24,576 bytes. */
const STATES_PER_CALL = 100;
/** The ABI words of one PaymentState. */
const STATE_WORDS = 7;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const word = (n: number) => n.toString(16).padStart(64, "0");

/**
 * The escrow's and the registry's views the payment flow reads for every payment (the parties' KYC eligibility,
 * all in one call; payments' states, 100 in one call) are sent as plain `eth_call`s: calldata written as ABI
 * words and the states read back from their words (abi-encoding.ts), not through ethers' Contract, which spent
 * ~0.5 ms of the event loop per call resolving, checksumming and wrapping. Reverts arrive as ethers'
 * CALL_EXCEPTION with their data, as before.
 */
export class EscrowReader implements ChainReader {
  readonly #provider: JsonRpcProvider;
  readonly #escrowAddress: string;
  readonly #kycAddress: string;
  readonly #escrow;
  readonly #kyc;
  readonly #encodeKyc: FunctionEncoder;
  readonly #readPaymentState: ResultReader;

  constructor(provider: JsonRpcProvider, escrow: string, kycRegistry: string) {
    this.#provider = provider;
    this.#escrowAddress = escrow;
    this.#kycAddress = kycRegistry;
    this.#escrow = PaymentEscrow__factory.connect(escrow, provider);
    this.#kyc = KycRegistry__factory.connect(kycRegistry, provider);
    this.#encodeKyc = functionEncoder(this.#kyc.interface as unknown as Interface);
    const paymentState = this.#escrow.interface.getFunction("paymentState") as unknown as FunctionFragment;
    const words = resultReader(paymentState);
    const viaEthers: ResultReader = (data) => {
      const s = (this.#escrow.interface as unknown as Interface).decodeFunctionResult(paymentState, data)[0] as Record<string, unknown>;
      return Object.fromEntries(paymentState.outputs[0]!.components!.map((c) => [c.name, String(s[c.name])]));
    };
    this.#readPaymentState = (data) => words?.(data) ?? viaEthers(data);
  }

  #call(to: string, data: string): Promise<string> {
    return this.#provider.send("eth_call", [{ to, data }, "latest"]);
  }

  /**
   * Each payment's state, in the order of `paymentIds`: one `eth_call` per 100 ids, through the never-deployed
   * PaymentStatesLens (its creation code and arguments as the call's data; its constructor returns the states).
   */
  async paymentStates(paymentIds: readonly string[]): Promise<OnChainPayment[]> {
    const chunks: (readonly string[])[] = [];
    for (let i = 0; i < paymentIds.length; i += STATES_PER_CALL) chunks.push(paymentIds.slice(i, i + STATES_PER_CALL));
    const answers = await Promise.all(chunks.map((ids) => this.#provider.send("eth_call", [{ data: this.#lensCall(ids) }, "latest"]) as Promise<string>));
    return answers.flatMap((answer, i) => this.#readStates(answer, chunks[i]!.length));
  }

  #lensCall(ids: readonly string[]): string {
    const words = ids.map((id) => {
      if (!BYTES32.test(id)) throw new Error(`not a payment id: ${id}`);
      return id.slice(2).toLowerCase();
    });
    return PaymentStatesLens__factory.bytecode + this.#escrowAddress.slice(2).toLowerCase().padStart(64, "0") + word(0x40) + word(ids.length) + words.join("");
  }

  /** The lens's answer: the ABI encoding of PaymentState[] (an offset, a length, then 7 words per state). */
  #readStates(answer: string, count: number): OnChainPayment[] {
    const stateLength = 64 * STATE_WORDS;
    if (answer.length !== 2 + 128 + count * stateLength || !answer.startsWith(`0x${word(0x20)}${word(count)}`)) {
      throw new Error(`PaymentStatesLens answered ${answer.slice(0, 80)}… for ${count} payments, not their states`);
    }
    return Array.from({ length: count }, (_, i) => {
      const start = 130 + i * stateLength;
      const s = this.#readPaymentState(`0x${answer.slice(start, start + stateLength)}`);
      if (!s) throw new Error(`PaymentStatesLens answered an unreadable state at ${i}: ${answer.slice(start, start + stateLength)}`);
      const released = BigInt(s.released!);
      const refundedAfterRelease = BigInt(s.refundedAfterRelease!);
      return {
        status: Number(s.status) as PaymentStatus,
        capturable: BigInt(s.capturable!),
        held: BigInt(s.held!),
        released: released - refundedAfterRelease,
        refundedAfterRelease,
        heldSince: Number(s.heldSince),
      };
    });
  }

  escrowBalance(token: string, account: string): Promise<bigint> {
    return this.#escrow.balanceOf(token, account);
  }

  async kycCheck(accounts: readonly string[], tier: number): Promise<KycVerdict> {
    try {
      const tiers = await this.#call(this.#kycAddress, this.#encodeKyc("requireAllEligible", [accounts, tier]));
      // The eligible tiers, an array of one word each: anything else (0x from an address without code) is no answer.
      if (tiers.length !== 2 + 64 * (2 + accounts.length) || !/^0x[0-9a-f]*$/i.test(tiers)) {
        throw new Error(`requireAllEligible at ${this.#kycAddress} answered ${tiers.slice(0, 80)}, not ${accounts.length} KYC tiers`);
      }
      return { ok: true };
    } catch (error) {
      const data = (error as { data?: string }).data;
      if (typeof data !== "string") throw error; // not a revert: the RPC failed, let the caller retry
      // A revert without a reason says nothing about the parties (a registry without requireAllEligible, older
      // than this relayer, answers so): an error of the relayer's, not a refusal of the buyer or merchant.
      if (data === "0x") throw new Error(`requireAllEligible at ${this.#kycAddress} reverted without a reason: is the KycRegistry older than this relayer?`);
      const refused = classifyRevert(data, [this.#kyc.interface]) as Extract<Outcome, { ok: false }>;
      // Every KYC error names its account first; another revert (none of the registry's) is put on the first.
      const named = decodeRevert(data, [this.#kyc.interface])?.args[0];
      const account = accounts.find((a) => typeof named === "string" && a.toLowerCase() === named.toLowerCase()) ?? accounts[0]!;
      return { ...refused, account };
    }
  }
}

/** The registry's current view of an account (implements application/kyc KycReader). */
export class RegistryReader implements KycReader {
  readonly #kyc;

  constructor(provider: JsonRpcProvider, kycRegistry: string) {
    this.#kyc = KycRegistry__factory.connect(kycRegistry, provider);
  }

  async record(account: string): Promise<KycRecordView> {
    const r = await this.#kyc.recordOf(account);
    const country = r.country === "0x0000" ? "" : Buffer.from(r.country.slice(2), "hex").toString("ascii");
    return { tier: Number(r.tier), country, expiresAt: Number(r.expiresAt), frozen: r.frozen, dossierHash: r.dossierHash };
  }

  isJurisdictionBlocked(country: string): Promise<boolean> {
    return this.#kyc.isJurisdictionBlocked("0x" + Buffer.from(country, "ascii").toString("hex"));
  }
}

/** The token's EIP-712 name and decimals, read once at start. */
export async function readTokenInfo(provider: JsonRpcProvider, token: string): Promise<{ address: string; name: string; decimals: number }> {
  const contract = SettlementToken__factory.connect(token, provider);
  const [name, decimals] = await Promise.all([contract.name(), contract.decimals()]);
  return { address: await (contract as unknown as Contract).getAddress(), name, decimals: Number(decimals) };
}

/** The ReceivableRegistry's state for the receivable use cases (implements application/ports ReceivableChainReader). */
export class ReceivableReader implements ReceivableChainReader {
  readonly #registry;
  readonly #provider: JsonRpcProvider;
  readonly #address: string;

  constructor(provider: JsonRpcProvider, registry: string) {
    this.#provider = provider;
    this.#address = registry;
    this.#registry = IReceivableRegistry__factory.connect(registry, provider);
  }

  async chainTime(): Promise<number> {
    const block = await this.#provider.getBlock("latest");
    if (!block) throw new Error("the RPC returned no latest block");
    return block.timestamp;
  }

  async receivable(tokenId: bigint): Promise<ChainReceivable | undefined> {
    const r = await this.#registry.receivableOf(tokenId);
    if (Number(r.state) === ReceivableState.None) return undefined;
    return {
      tokenId,
      parent: r.parent,
      root: r.root,
      issuer: r.issuer,
      debtor: r.debtor,
      token: r.token,
      holder: r.holder,
      faceValue: r.faceValue,
      issuedAt: Number(r.issuedAt),
      dueAt: Number(r.dueAt),
      acceptBy: Number(r.acceptBy),
      state: Number(r.state) as ReceivableState,
      financed: r.financed,
      principalPaid: r.principalPaid,
      lateFeeDue: r.lateFeeDue,
      documentHash: r.documentHash,
    };
  }

  async invoiceParts(rootTokenId: bigint): Promise<bigint[]> {
    return [...(await this.#registry.invoiceParts(rootTokenId))];
  }

  async amountDue(tokenId: bigint): Promise<{ principal: bigint; lateFee: bigint }> {
    const [principal, lateFee] = await this.#registry.amountDue(tokenId);
    return { principal, lateFee };
  }

  nonceUsed(signer: string, nonce: string): Promise<boolean> {
    return this.#registry.nonceUsed(signer, nonce);
  }

  async terms(): Promise<{ platformFeeBps: number; lateFeeBps: number; gracePeriod: number }> {
    const [platformFeeBps, lateFeeBps, gracePeriod] = await Promise.all([
      this.#registry.platformFeeBps(),
      this.#registry.lateFeeBps(),
      this.#registry.gracePeriod(),
    ]);
    return { platformFeeBps: Number(platformFeeBps), lateFeeBps: Number(lateFeeBps), gracePeriod: Number(gracePeriod) };
  }

  isTokenAllowed(token: string): Promise<boolean> {
    return this.#registry.isTokenAllowed(token);
  }

  async funds(token: string, owner: string): Promise<{ balance: bigint; allowance: bigint }> {
    const erc20 = SettlementToken__factory.connect(token, this.#provider);
    const [balance, allowance] = await Promise.all([erc20.balanceOf(owner), erc20.allowance(owner, this.#address)]);
    return { balance, allowance };
  }
}

/** The timestamps of blocks (Unix seconds), fetched concurrently (ethers batches them into JSON-RPC batches). */
export async function readBlockTimes(provider: JsonRpcProvider, blockNumbers: number[]): Promise<Map<number, number>> {
  const times = new Map<number, number>();
  for (let i = 0; i < blockNumbers.length; i += 100) {
    const chunk = blockNumbers.slice(i, i + 100);
    const blocks = await Promise.all(chunk.map((n) => provider.getBlock(n)));
    blocks.forEach((block, j) => {
      if (!block) throw new Error(`block ${chunk[j]} not found`);
      times.set(chunk[j]!, block.timestamp);
    });
  }
  return times;
}
