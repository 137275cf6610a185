/**
 * Checks of option objects and arguments, each failing with the SPEC error code and a message that
 * names the option and what it takes.
 * @internal
 * @module
 */
import { type Family, type ParsedIp, describe, parseGroup, parseIp, parseSource } from './addresses';
import { ErrorCodes, fail } from './errors';
import type { IfaceSpecifier } from './interfaces';

/** Checks that `options` is a plain object with no keys but `allowed` (a typo is an error, not a no-op). */
export function checkOptions<T extends object>(options: unknown, allowed: readonly string[], what: string): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    fail(ErrorCodes.INVALID_OPTION, `${what} must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key))
      fail(ErrorCodes.INVALID_OPTION, `${what} has no option ${JSON.stringify(key)}`, `the options are: ${allowed.join(', ')}`);
  }
  return options as Partial<T>;
}

export function checkInteger(value: unknown, what: string, min: number, max: number, code: string = ErrorCodes.INVALID_OPTION): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    fail(code as typeof ErrorCodes.INVALID_OPTION, `${what} must be an integer from ${min} to ${max}, got ${describe(value)}`);
  return value;
}

export function checkPort(value: unknown, what: string, allowZero = false): number {
  return checkInteger(value, what, allowZero ? 0 : 1, 65535, ErrorCodes.INVALID_PORT);
}

export function checkBoolean(value: unknown, what: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(ErrorCodes.INVALID_OPTION, `${what} must be true or false, got ${describe(value)}`);
  return value;
}

/** A timeout in milliseconds: undefined waits forever, 0 does not wait. */
export function checkTimeout(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value) || value > 2147483647)
    fail(ErrorCodes.INVALID_OPTION, `${what} must be a number of milliseconds from 0 to 2147483647 (or undefined to wait forever), got ${describe(value)}`);
  return value;
}

export function checkArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) fail(ErrorCodes.INVALID_OPTION, `${what} must be an array, got ${describe(value)}`);
  return value;
}

/** Groups, validated, canonical and without duplicates, all of one family. */
export function checkGroups(value: unknown, what: string, family?: Family): ParsedIp[] {
  const out: ParsedIp[] = [];
  const seen = new Set<string>();
  for (const g of checkArray(value, what)) {
    const p = parseGroup(g, family, `${what} entry`);
    const first = out[0];
    if (first !== undefined && p.family !== first.family)
      fail(ErrorCodes.FAMILY_MISMATCH, `${what} mixes ${first.family} (${first.address}) and ${p.family} (${p.address})`, 'one socket serves one family; open one per family');
    if (seen.has(p.address)) continue;
    seen.add(p.address);
    out.push(p);
  }
  return out;
}

/** Source addresses of the family, canonical and without duplicates. */
export function checkSources(value: unknown, family: Family, what: string): string[] {
  const out = new Set<string>();
  for (const s of checkArray(value, what)) out.add(parseSource(s, family).address);
  return [...out];
}

/** The family an interface specifier implies, when it is an address. */
export function familyOfSpecifier(spec: IfaceSpecifier | undefined): Family | undefined {
  if (typeof spec !== 'string') return undefined;
  return parseIp(spec)?.family;
}

/** An AbortSignal, or undefined. */
export function checkSignal(value: unknown, what: string): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) fail(ErrorCodes.INVALID_OPTION, `${what} must be an AbortSignal, got ${describe(value)}`, 'pass an AbortController\'s signal, or AbortSignal.timeout(ms)');
  return value;
}
