// Child-process entry of one benchmark: runs it and sends back its figures and this process's peak RSS.
import { benchEntries } from './entries'
import { peakRssMiB } from './harness'

const [name = '', mode = 'quick', workDir = '.'] = process.argv.slice(2)

async function main(): Promise<void> {
  const load = benchEntries[name]
  if (!load) throw new Error(`unknown benchmark "${name}"`)
  const run = await load()
  const figures = await run({ quick: mode === 'quick', workDir, log: (l) => process.stderr.write(`  ${l}\n`) })
  process.send?.({ ok: true, figures, peakRssMiB: peakRssMiB() })
}

main()
  .catch((e: unknown) => process.send?.({ ok: false, error: (e as Error).message }))
  .finally(() => setTimeout(() => process.exit(0), 50))
