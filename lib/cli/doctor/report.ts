/**
 * What `doctor` found: one finding per check and subject, each ok, warning, problem or skipped,
 * with the fix for warnings and problems; printed aligned for people or as JSON.
 * @internal
 * @module
 */
import type { Io } from '../output';

export type Status = 'ok' | 'warning' | 'problem' | 'skipped';

export interface Finding {
  /** The check: 'interface', 'route', 'rp_filter', ... */
  check: string;
  status: Status;
  message: string;
  /** What to do about it (warnings and problems). */
  fix?: string;
}

export class Report {
  readonly findings: Finding[] = [];

  add(check: string, status: Status, message: string, fix?: string): void {
    this.findings.push(fix === undefined ? { check, status, message } : { check, status, message, fix });
  }
  ok(check: string, message: string): void {
    this.add(check, 'ok', message);
  }
  warning(check: string, message: string, fix: string): void {
    this.add(check, 'warning', message, fix);
  }
  problem(check: string, message: string, fix: string): void {
    this.add(check, 'problem', message, fix);
  }
  skipped(check: string, message: string): void {
    this.add(check, 'skipped', message);
  }

  count(status: Status): number {
    return this.findings.filter((f) => f.status === status).length;
  }

  /** Did `check` already report a problem (later checks then stay quiet about the same cause)? */
  hasProblem(check: string): boolean {
    return this.findings.some((f) => f.check === check && f.status === 'problem');
  }
}

/** Wraps text at `width` columns, continuation lines indented by `indent`. */
function wrap(text: string, width: number, indent: number): string {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line.length > 0 && indent + line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else {
      line = line.length === 0 ? w : `${line} ${w}`;
    }
  }
  if (line.length > 0) lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** The check column: the longest check name (accept_local) and two spaces, so that findings can be printed as they come. */
const kCheckWidth = 14;
const kStatusWidth = 9;

/** Prints findings aligned: wrapped to a terminal's width; into a pipe or file, one line per finding and one per fix (grep-able). */
export function printFindings(findings: readonly Finding[], io: Io): void {
  const s = io.style;
  const paint: Record<Status, (t: string) => string> = { ok: s.green, warning: s.yellow, problem: s.red, skipped: s.dim };
  const columns = (io.out as { columns?: number }).columns;
  const width = io.out.isTTY === true ? Math.max(60, columns ?? 100) : Infinity;
  const indent = kStatusWidth + kCheckWidth;
  for (const f of findings) {
    io.out.write(`${paint[f.status](f.status.padEnd(kStatusWidth))}${f.check.padEnd(kCheckWidth)}${wrap(f.message, width, indent)}\n`);
    if (f.fix !== undefined) io.out.write(`${' '.repeat(indent)}${s.bold('fix:')} ${wrap(f.fix, width, indent + 5)}\n`);
  }
}

/** A line that is no finding (what a check is about to do), in the findings' layout with no status. */
export function printNote(check: string, text: string, io: Io): void {
  const columns = (io.out as { columns?: number }).columns;
  const width = io.out.isTTY === true ? Math.max(60, columns ?? 100) : Infinity;
  io.out.write(`${' '.repeat(kStatusWidth)}${check.padEnd(kCheckWidth)}${io.style.dim(wrap(text, width, kStatusWidth + kCheckWidth))}\n`);
}

/** The last line: how many problems and warnings. */
export function printVerdict(report: Report, io: Io): void {
  const s = io.style;
  const problems = report.count('problem');
  const warnings = report.count('warning');
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const line = problems === 0 ? `no problem found${warnings > 0 ? `, ${plural(warnings, 'warning')}` : ''}` : `${plural(problems, 'problem')}, ${plural(warnings, 'warning')}`;
  io.out.write(`\n${problems > 0 ? s.red(line) : warnings > 0 ? s.yellow(line) : s.green(line)}\n`);
}
