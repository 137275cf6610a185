// Type tests of the CommonJS entry (dist/index.d.ts), compiled by `npm run test:types`, never run:
// the same types as the ES module entry's (see mistakes.mts, which holds the full list).
import mce = require('multicast-expert');

declare const rx: mce.McastRxSocket;
declare const err: mce.MulticastExpertError;

rx.on('iface-joined', (iface, why) => `${iface.name} ${why}`);
// @ts-expect-error: a misspelt property of the interface an event gives
rx.on('iface-lost', (iface) => iface.nmae);
// @ts-expect-error: a misspelt event
rx.on('mesage', () => undefined);
// @ts-expect-error: no such code
if (err.code === 'ERR_TYPO_CODE') throw err;
export const code: mce.MulticastExpertErrorCode = mce.ErrorCodes.INVALID_OPTION;
