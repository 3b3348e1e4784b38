// Random values of any ABI type, for checking the relayer's own ABI code against ethers'.
import { randomBytes } from "node:crypto";

import { getAddress, hexlify, type ParamType } from "ethers";

const randomBigInt = (bits: number) => BigInt(hexlify(randomBytes(Math.ceil(bits / 8)))) & ((1n << BigInt(bits)) - 1n);

/** A random value of `param`'s type, extremes included now and then. */
export function randomValue(param: ParamType): unknown {
  if (param.baseType === "array") {
    const length = param.arrayLength !== null && param.arrayLength >= 0 ? param.arrayLength : Math.floor(Math.random() * 3);
    return Array.from({ length }, () => randomValue(param.arrayChildren!));
  }
  if (param.baseType === "tuple") return param.components!.map((c) => randomValue(c));
  if (param.type === "address") return getAddress(hexlify(randomBytes(20)));
  if (param.type === "bool") return Math.random() < 0.5;
  if (param.type === "string") return `reason ${hexlify(randomBytes(Math.floor(Math.random() * 40)))}`;
  if (param.type === "bytes") return hexlify(randomBytes(Math.floor(Math.random() * 70)));
  const bytes = /^bytes(\d+)$/.exec(param.type);
  if (bytes) return hexlify(randomBytes(Number(bytes[1])));
  const int = /^(u?)int(\d*)$/.exec(param.type);
  if (int) {
    const bits = Number(int[2] || 256);
    const pick = Math.random();
    if (int[1]) return pick < 0.2 ? 0n : pick < 0.4 ? (1n << BigInt(bits)) - 1n : randomBigInt(bits);
    const min = -(1n << BigInt(bits - 1));
    return pick < 0.2 ? min : pick < 0.4 ? -min - 1n : randomBigInt(bits) + min;
  }
  throw new Error(`no random value for ${param.type}`);
}

