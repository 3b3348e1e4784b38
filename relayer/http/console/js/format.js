// Formatting for people: token amounts with their decimals, short hashes with the full value at hand.

const DECIMALS = 6; // the settlement token's decimals (every token the escrow serves here has 6)

/** "12000000000" -> "12,000.000000" */
export function amount(minor, decimals = DECIMALS) {
  if (minor === null || minor === undefined || minor === "") return "—";
  const negative = String(minor).startsWith("-");
  const digits = String(minor).replace(/^-/, "").padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${negative ? "−" : ""}${whole}.${digits.slice(digits.length - decimals)}`;
}

/** 0x1234…abcd, for hashes and addresses in tables (the full value goes in a title and in copy). */
export function short(hex) {
  if (!hex) return "—";
  return hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-6)}` : hex;
}

export function time(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)} UTC`;
}

export const STATUS_LABELS = {
  requires_authorization: "Awaiting buyer",
  processing: "Processing",
  requires_capture: "Authorized",
  captured: "Captured",
  disputed: "Disputed",
  released: "Released",
  canceled: "Canceled",
  refunded: "Refunded",
  failed: "Failed",
};
