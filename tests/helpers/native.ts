// How a test that needs the native kernels runs: for real where the addon is built; a skip naming the reason where it
// is not (another OS) or where TESSERA_NATIVE_KERNELS=0 switched it off on purpose (the forced-fallback run of the
// suite, issue #14); a failure under CI otherwise (setup-debian.sh builds it there, so a missing addon is a broken build).
import { it } from 'vitest'
import { nativeStatus, nativeSwitchedOff } from '../../src-main/ml/native-kernels/addon'

export function itWithNativeAddon(name: string, fn: () => Promise<void>): void {
  const status = nativeStatus()
  if (status.available) it(name, fn)
  else if (process.env['CI'] && !nativeSwitchedOff()) it(name, () => { throw new Error(`native kernels unavailable in CI: ${status.reason}`) })
  else it.skip(`${name} (${status.reason})`, async () => {})
}
