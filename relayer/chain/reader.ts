// Reads from the escrow and the KYC registry for the use cases (implements application/ports ChainReader).
import { Contract, type JsonRpcProvider } from "ethers";

import type { KycReader, KycRecordView } from "../application/kyc.js";
import type { ChainReader, OnChainPayment } from "../application/ports.js";
import { KycRegistry__factory, PaymentEscrow__factory, SettlementToken__factory } from "../../typechain-types/index.js";
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
