// ABI words: calldata of a contract's functions written as hex words, and one-word values read back (logs,
// call results). Pure: no I/O.
import type { FunctionFragment, Interface, ParamType } from "ethers";

import { checksumAddress } from "./checksum.js";

/** Calldata for `name(values)`, as `iface.encodeFunctionData(name, values)` gives it. */
export type FunctionEncoder = (name: string, values: readonly unknown[]) => string;

/**
 * An encoder of `iface`'s functions. ethers' encoder is slow for batches: it turns each nested level (the array,
 * each item, its terms) into bytes, then hex, then bytes again, a character at a time, and checksums every
 * address with a keccak in JS; a batch of 100 authorizations took ~40 ms. Here every value is written once as hex
 * words and joined. Only plain values are written so (bigints and safe integers in range, booleans, hex strings,
 * arrays, objects by component name); anything else (a Typed, a number string, bytes as a Uint8Array, a string
 * argument, an address with a bad checksum) is left to ethers, whose calldata or error it gets.
 */
export function functionEncoder(iface: Interface): FunctionEncoder {
  const byName = new Map<string, { fragment: FunctionFragment; selector: string }>();
  return (name, values) => {
    let found = byName.get(name);
    if (!found) {
      const fragment = iface.getFunction(name);
      if (!fragment) return iface.encodeFunctionData(name, values); // ethers says what is wrong with the name
      found = { fragment, selector: fragment.selector };
      byName.set(name, found);
    }
    try {
      return found.selector + encodeTuple(found.fragment.inputs, values);
    } catch (error) {
      if (!(error instanceof NotPlain)) throw error;
      return iface.encodeFunctionData(found.fragment, values);
    }
  };
}

/**
 * The ABI words of `values` for static one-word `params` (address, bool, intN, uintN, bytesN), as hex without 0x,
 * or undefined when a value is not plain (ethers decides). EIP-712 encodes a struct of such fields the same way.
 */
export function staticWords(params: readonly ParamType[], values: readonly unknown[]): string | undefined {
  try {
    return params.map((param, i) => encodeValue(param, values[i])).join("");
  } catch (error) {
    if (error instanceof NotPlain) return undefined;
    throw error;
  }
}

/** A value this encoder leaves to ethers. */
class NotPlain extends Error {}

const word = (value: bigint) => value.toString(16).padStart(64, "0");
const HEX = /^0x(?:[0-9a-fA-F]{2})*$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function isDynamic(param: ParamType): boolean {
  if (param.type === "bytes" || param.type === "string") return true;
  if (param.baseType === "tuple") return param.components!.some(isDynamic);
  if (param.baseType === "array") return param.arrayLength === -1 || isDynamic(param.arrayChildren!);
  return false;
}

/** Bytes a static value takes in its tuple's head. */
function headSize(param: ParamType): number {
  if (isDynamic(param)) return 32;
  if (param.baseType === "tuple") return param.components!.reduce((sum, c) => sum + headSize(c), 0);
  if (param.baseType === "array") return param.arrayLength! * headSize(param.arrayChildren!);
  return 32;
}

/** A tuple's encoding: the static values and the offsets of the dynamic ones, then the dynamic values. */
function encodeTuple(params: readonly ParamType[], values: unknown): string {
  let ordered: readonly unknown[];
  if (Array.isArray(values)) {
    if (values.length !== params.length) throw new NotPlain();
    ordered = values;
  } else if (typeof values === "object" && values !== null) {
    // ethers takes an object by component name (each name given once)
    if (params.some((p) => !p.name) || new Set(params.map((p) => p.name)).size !== params.length) throw new NotPlain();
    ordered = params.map((p) => (values as Record<string, unknown>)[p.name]);
  } else {
    throw new NotPlain();
  }
  let offset = params.reduce((sum, p) => sum + headSize(p), 0);
  const heads: string[] = [];
  const tails: string[] = [];
  params.forEach((param, i) => {
    const encoded = encodeValue(param, ordered[i]);
    if (isDynamic(param)) {
      heads.push(word(BigInt(offset)));
      tails.push(encoded);
      offset += encoded.length / 2;
    } else {
      heads.push(encoded);
    }
  });
  return heads.join("") + tails.join("");
}

function encodeValue(param: ParamType, value: unknown): string {
  if (param.baseType === "tuple") return encodeTuple(param.components!, value);
  if (param.baseType === "array") {
    if (!Array.isArray(value)) throw new NotPlain();
    const length = param.arrayLength!;
    if (length !== -1 && value.length !== length) throw new NotPlain();
    const items = encodeTuple(Array<ParamType>(value.length).fill(param.arrayChildren!), value);
    return length === -1 ? word(BigInt(value.length)) + items : items;
  }
  const type = param.type;
  if (type === "address") {
    if (typeof value !== "string" || !ADDRESS.test(value)) throw new NotPlain();
    // ethers takes an address in one case, or mixed with the right checksum
    const lower = value.toLowerCase();
    if (value !== lower && value !== `0x${value.slice(2).toUpperCase()}` && checksumAddress(lower) !== value) throw new NotPlain();
    return lower.slice(2).padStart(64, "0");
  }
  if (type === "bool") {
    if (typeof value !== "boolean") throw new NotPlain();
    return word(value ? 1n : 0n);
  }
  if (type === "bytes") {
    if (typeof value !== "string" || !HEX.test(value)) throw new NotPlain();
    const hex = value.slice(2).toLowerCase();
    return word(BigInt(hex.length / 2)) + hex.padEnd(Math.ceil(hex.length / 64) * 64, "0");
  }
  const bytes = /^bytes(\d+)$/.exec(type);
  if (bytes) {
    if (typeof value !== "string" || !HEX.test(value) || value.length !== 2 + 2 * Number(bytes[1])) throw new NotPlain();
    return value.slice(2).toLowerCase().padEnd(64, "0");
  }
  const int = /^(u?)int(\d*)$/.exec(type);
  if (int) {
    if (typeof value !== "bigint" && !(typeof value === "number" && Number.isSafeInteger(value))) throw new NotPlain();
    const n = BigInt(value);
    const bits = BigInt(int[2] || 256);
    const [min, max] = int[1] ? [0n, (1n << bits) - 1n] : [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n];
    if (n < min || n > max) throw new NotPlain();
    return word(BigInt.asUintN(256, n));
  }
  throw new NotPlain(); // string, function, anything newer
}

/** Reads one 32-byte word (64 lowercase hex digits) as ethers' coder for `type` would, String()ed; undefined if it would not. */
export type WordReader = (word: string) => string | undefined;

/** The reader of a one-word type (address, bool, intN, uintN, bytesN), or undefined for any other type. */
export function wordReader(param: ParamType): WordReader | undefined {
  const type = param.type;
  if (type === "address") return readAddress;
  if (type === "bool") return (word) => (/^0+$/.test(word) ? "false" : "true"); // ethers: !!value
  const int = /^(u?)int(\d*)$/.exec(type);
  if (int) {
    const bits = Number(int[2] || 256);
    // ethers masks the word to the type's width, and reads intN in two's complement
    return int[1] ? (word) => BigInt.asUintN(bits, BigInt(`0x${word}`)).toString() : (word) => BigInt.asIntN(bits, BigInt(`0x${word}`)).toString();
  }
  const bytes = /^bytes(\d+)$/.exec(type);
  if (bytes) {
    const size = Number(bytes[1]);
    return (word) => `0x${word.slice(0, 2 * size)}`; // ethers: the first `size` bytes of the word
  }
  return undefined;
}

/** An address word: its low 20 bytes, checksummed; undefined when the high 12 bytes are not zero (ethers throws). */
function readAddress(word: string): string | undefined {
  if (!word.startsWith("000000000000000000000000")) return undefined;
  return checksumAddress(`0x${word.slice(24)}`);
}

/** The return data of a view function, by output name, as String()s. */
export type ResultReader = (data: string) => Record<string, string> | undefined;

const RESULT_WORDS = /^0x(?:[0-9a-f]{64})+$/;

/**
 * A reader of `fragment`'s return data when its outputs are one-word values, or one struct of them (a state
 * record): each field from its own word, by name. The reader answers undefined for data it cannot read exactly as
 * ethers would (another length, upper-case hex, an address word with high bits set); undefined for other functions
 * (no outputs, or some not one word).
 */
export function resultReader(fragment: FunctionFragment): ResultReader | undefined {
  const fields = fragment.outputs.length === 1 && fragment.outputs[0]!.baseType === "tuple" ? fragment.outputs[0]!.components! : fragment.outputs;
  if (fields.length === 0) return undefined;
  const readers: { name: string; read: WordReader }[] = [];
  for (const field of fields) {
    const read = wordReader(field);
    if (!read || !field.name) return undefined;
    readers.push({ name: field.name, read });
  }
  const length = 2 + 64 * readers.length;
  return (data) => {
    if (data.length !== length || !RESULT_WORDS.test(data)) return undefined;
    const out: Record<string, string> = {};
    for (let i = 0; i < readers.length; i++) {
      const value = readers[i]!.read(data.slice(2 + 64 * i, 66 + 64 * i));
      if (value === undefined) return undefined;
      out[readers[i]!.name] = value;
    }
    return out;
  };
}
