// The whole on-chain core: settlement token, KYC registry, payment escrow and receivable registry (supply-chain
// finance), with every role on the account the parameters name. Token allowlisting and risk limits are configured here too; merchants, KYC
// records and balances are operational data, set later by their owners (see scripts/seed-demo.ts for the demo).
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { ROLE_IDS } from "../../scripts/lib/roles.js";

export default buildModule("SettlementNetwork", (m) => {
  const admin = m.getParameter<string>("admin");
  const operator = m.getParameter<string>("operator");
  const compliance = m.getParameter<string>("compliance");
  const arbiter = m.getParameter<string>("arbiter");
  const pauser = m.getParameter<string>("pauser");
  const issuer = m.getParameter<string>("issuer");
  const treasury = m.getParameter<string>("treasury");
  // Two-step admin transfer delay, in seconds.
  const adminTransferDelay = m.getParameter<bigint>("adminTransferDelay", 3n * 24n * 3600n);
  // Receivables: the platform's fee on financing (of the price), the late-fee rate a year on overdue principal, and
  // the grace period after the due date before an unpaid invoice is overdue (the last two are fixed at deployment).
  const platformFeeBps = m.getParameter<number>("platformFeeBps", 50);
  const lateFeeBps = m.getParameter<number>("lateFeeBps", 1_800);
  const gracePeriod = m.getParameter<bigint>("gracePeriod", 7n * 24n * 3600n);
  const tokenName = m.getParameter<string>("tokenName", "Settlement USD");
  const tokenSymbol = m.getParameter<string>("tokenSymbol", "SUSD");
  // 10,000.00 tokens (6 decimals): payments at or above it emit a large-transaction report.
  const largeTransactionThreshold = m.getParameter<bigint>("largeTransactionThreshold", 10_000_000_000n);
  // Per KYC tier, the most one payment and the most one buyer's rolling 24 hours may reach, in minor units.
  const tierLimits = (
    [
      ["Basic", 1, 1_000_000_000n, 2_000_000_000n], // 1,000 / 2,000 tokens
      ["Enhanced", 2, 50_000_000_000n, 100_000_000_000n], // 50,000 / 100,000 tokens
      ["Institutional", 3, 10_000_000_000_000n, 50_000_000_000_000n], // 10M / 50M tokens
    ] as const
  ).map(([name, tier, perPayment, perDay]) => ({
    name,
    tier,
    perPayment: m.getParameter<bigint>(`perPayment${name}`, perPayment),
    perDay: m.getParameter<bigint>(`perDay${name}`, perDay),
  }));

  const token = m.contract("SettlementToken", [tokenName, tokenSymbol, admin, adminTransferDelay]);
  const kyc = m.contract("KycRegistry", [admin, adminTransferDelay]);
  const escrow = m.contract("PaymentEscrow", [admin, adminTransferDelay, kyc, treasury]);
  const receivables = m.contract("ReceivableRegistry", [
    admin,
    adminTransferDelay,
    kyc,
    escrow,
    treasury,
    platformFeeBps,
    lateFeeBps,
    gracePeriod,
  ]);

  // Every call below is sent by the deployer, which must be `admin` (scripts/deploy.ts checks it).
  m.call(token, "grantRole", [ROLE_IDS.ISSUER, issuer], { id: "token_issuer" });
  m.call(token, "grantRole", [ROLE_IDS.COMPLIANCE, compliance], { id: "token_compliance" });
  m.call(token, "grantRole", [ROLE_IDS.PAUSER, pauser], { id: "token_pauser" });
  m.call(kyc, "grantRole", [ROLE_IDS.COMPLIANCE, compliance], { id: "kyc_compliance" });
  m.call(escrow, "grantRole", [ROLE_IDS.OPERATOR, operator], { id: "escrow_operator" });
  m.call(escrow, "grantRole", [ROLE_IDS.ARBITER, arbiter], { id: "escrow_arbiter" });
  m.call(escrow, "grantRole", [ROLE_IDS.PAUSER, pauser], { id: "escrow_pauser" });

  // The registry repays debtors' invoices from their escrow balances, on their own call or signature only.
  m.call(escrow, "grantRole", [ROLE_IDS.COLLECTOR, receivables], { id: "escrow_collector_receivables" });
  m.call(receivables, "grantRole", [ROLE_IDS.OPERATOR, operator], { id: "receivables_operator" });
  m.call(receivables, "grantRole", [ROLE_IDS.ARBITER, arbiter], { id: "receivables_arbiter" });
  m.call(receivables, "setTokenAllowed", [token, true], { id: "receivables_token" });

  m.call(escrow, "setToken", [token, { allowed: true, largeTransactionThreshold }], { id: "escrow_token" });
  for (const { name, tier, perPayment, perDay } of tierLimits) {
    m.call(escrow, "setRiskLimits", [token, tier, { perPayment, perDay }], { id: `escrow_limits_${name}` });
  }

  return { token, kyc, escrow, receivables };
});
