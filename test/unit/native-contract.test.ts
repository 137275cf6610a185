// The contract between lib/ and the addon: an addon whose receive records are laid out otherwise than
// lib/native.ts mirrors (a stale build beside newer JavaScript) is refused at load with an error that
// says what to do; one that matches is used. The fake native layer implements the same contract.
import { scanInterfaces } from '../../lib';
import { RxRecord, setNativeAddonForTests } from '../../lib/native';
import { createFakeNative, fakeIface } from '../fake-native';

describe('the native contract', () => {
  it('refuses an addon whose record width differs from RxRecord.words, and keeps the one it had', () => {
    const good = createFakeNative([fakeIface(2, 'eth0', { ipv4: ['10.0.0.1'] })]);
    setNativeAddonForTests(good.addon);
    const stale = createFakeNative([fakeIface(5, 'stale0', { ipv4: ['10.5.0.1'] })]);
    expect(() => setNativeAddonForTests({ ...stale.addon, rxRecordWords: RxRecord.words - 1 })).toThrow(
      `lays out receive records in ${RxRecord.words - 1} words, this JavaScript in ${RxRecord.words}: they are of different versions; rebuild the addon (npm run build:native) or reinstall the package`,
    );
    expect(scanInterfaces().map((i) => i.name)).toEqual(['eth0']);
  });
});
