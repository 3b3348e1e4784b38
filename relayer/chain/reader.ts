// Reads from the escrow and the KYC registry for the use cases (implements application/ports ChainReader).
import { Contract, type JsonRpcProvider } from "ethers";

import type { KycReader, KycRecordView } from "../application/kyc.js";
import type { ChainReader, OnChainPayment, ReceivableChainReader } from "../application/ports.js";
import type { ChainReceivable } from "../domain/receivable.js";
import {
  IReceivableRegistry__factory,
  KycRegistry__factory,
  PaymentEscrow__factory,
  SettlementToken__factory,
} from "../../typechain-types/index.js";
import { ReceivableState } from "./receivable-typed-data.js";
import type { Outcome } from "./revert-reasons.js";
import { classifyRevert } from "./revert-reasons.js";
import type { PaymentStatus } from "./typed-data.js";

export class EscrowReader implements ChainReader {
  readonly #escrow;
  readonly #kyc;

  constructor(provider: JsonRpcProvider, escrow: string, kycRegistry: string) {
    this.#escrow = PaymentEscrow__factory.connect(escrow, provider);
    this.#kyc = KycRegistry__factory.connect(kycRegistry, provider);
  }

  async paymentState(paymentId: string): Promise<OnChainPayment> {
    const s = await this.#escrow.paymentState(paymentId);
    return {
      status: Number(s.status) as PaymentStatus,
      capturable: s.capturable,
      held: s.held,
      released: s.released - s.refundedAfterRelease,
      refundedAfterRelease: s.refundedAfterRelease,
      heldSince: Number(s.heldSince),
    };
  }

  escrowBalance(token: string, account: string): Promise<bigint> {
    return this.#escrow.balanceOf(token, account);
  }

  async kycCheck(account: string, tier: number): Promise<Outcome> {
    try {
      await this.#kyc.requireEligible(account, tier);
      return { ok: true };
    } catch (error) {
      const data = (error as { data?: string }).data;
      if (typeof data !== "string") throw error; // not a revert: the RPC failed, let the caller retry
      return classifyRevert(data, [this.#kyc.interface]);
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
