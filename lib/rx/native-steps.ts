/**
 * How a receiver applies the membership table's steps to its native socket: each step's commands
 * all or none (a failed one undoes those before it), then the step is recorded in the table.
 * @internal
 * @module
 */
import { type MulticastExpertError, callNative } from '../errors';
import type { NativeRxSocket } from '../native';
import type { MembershipOp, MembershipStep } from './membership-table';

/** Runs one native command. */
function run(handle: NativeRxSocket, op: MembershipOp): void {
  if (op.kind === 'set') handle.setMembership(op.groupId, op.group, op.ifindex, op.ifaceAddress, op.sources, op.blocked);
  else handle.dropMembership(op.groupId, op.ifindex);
}

/** Applies one step's native commands, all or none, and records it; returns the error, or null. */
export function applyStep(handle: NativeRxSocket, step: MembershipStep): MulticastExpertError | null {
  const done: MembershipOp[] = [];
  for (const op of step.ops) {
    try {
      callNative(op.what, () => run(handle, op));
    } catch (err) {
      // Leaving an interface that went away: whatever the OS says, the membership is of no use
      // any more (the socket holds it until it closes).
      if (step.bestEffort === true) continue;
      for (const applied of done.reverse()) {
        try {
          if (applied.undo !== undefined) run(handle, applied.undo);
        } catch {
          // Closing the socket drops it at the latest.
        }
      }
      return err as MulticastExpertError;
    }
    done.push(op);
  }
  step.commit();
  return null;
}
