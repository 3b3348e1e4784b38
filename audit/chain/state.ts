// The few state values the invariants need, read with eth_call at the scanned head block (one JSON-RPC batch).
import type { ChainState } from "../ledger/invariants.js";
import type { Ledger } from "../ledger/ledger.js";
import { INTERFACES } from "./decode.js";
import { RpcError, type RpcClient } from "./rpc.js";

const ERC20_BALANCE_OF = INTERFACES.token.getFunction("balanceOf")!;

export async function readChainState(
  rpc: RpcClient,
  contracts: { escrow: string; stablecoin: string },
  ledger: Ledger,
  blockTag: string,
  batchSize = 200,
): Promise<ChainState> {
  const { escrow, stablecoin } = contracts;
  const token = INTERFACES.token;
  const escrowIface = INTERFACES.escrow;
  const tokens = [...new Set([...ledger.tokens.keys(), ...ledger.balances.keys(), ...[...ledger.payments.values()].map((p) => p.token)])];
  const accounts = [...ledger.balances].flatMap(([t, byAccount]) => [...byAccount.keys()].map((a) => [t, a] as const));

  type Read = { to: string; data: string; decode: (result: string) => bigint };
  const uint = (iface: typeof token | typeof escrowIface, fn: string) => (result: string) => iface.decodeFunctionResult(fn, result)[0] as bigint;
  const reads: Read[] = [
    { to: stablecoin, data: token.encodeFunctionData("totalSupply"), decode: uint(token, "totalSupply") },
    { to: stablecoin, data: token.encodeFunctionData("totalMinted"), decode: uint(token, "totalMinted") },
    { to: stablecoin, data: token.encodeFunctionData("totalBurned"), decode: uint(token, "totalBurned") },
    ...tokens.map((t) => ({ to: t, data: token.encodeFunctionData(ERC20_BALANCE_OF, [escrow]), decode: uint(token, "balanceOf") })),
    ...accounts.map(([t, a]) => ({ to: escrow, data: escrowIface.encodeFunctionData("balanceOf", [t, a]), decode: uint(escrowIface, "balanceOf") })),
  ];
  const values: bigint[] = [];
  for (let i = 0; i < reads.length; i += batchSize) {
    const chunk = reads.slice(i, i + batchSize);
    const answers = await rpc.batch<string>(chunk.map((r) => ({ method: "eth_call", params: [{ to: r.to, data: r.data }, blockTag] })));
    answers.forEach((answer, j) => {
      if (answer instanceof RpcError) throw answer;
      values.push(chunk[j]!.decode(answer));
    });
  }
  const [totalSupply, totalMinted, totalBurned] = values as [bigint, bigint, bigint];
  const escrowTokenBalances = new Map(tokens.map((t, i) => [t, values[3 + i]!]));
  const escrowAccountBalances = new Map<string, Map<string, bigint>>();
  accounts.forEach(([t, a], i) => {
    let m = escrowAccountBalances.get(t);
    if (!m) escrowAccountBalances.set(t, (m = new Map()));
    m.set(a, values[3 + tokens.length + i]!);
  });
  return { escrow, escrowTokenBalances, escrowAccountBalances, stablecoin: { totalSupply, totalMinted, totalBurned } };
}
