// Object ids: a type prefix and 20 random bytes in base58-free lowercase hex, e.g. pi_3f9a...
import { randomBytes } from "node:crypto";

export type IdPrefix = "pi" | "mer" | "key" | "evt" | "re" | "we" | "msg" | "po" | "kyc" | "rcv" | "ofr" | "rca" | "rec";

export const newId = (prefix: IdPrefix): string => `${prefix}_${randomBytes(12).toString("hex")}`;

export const hasPrefix = (id: string, prefix: IdPrefix): boolean => new RegExp(`^${prefix}_[0-9a-f]{24}$`).test(id);
