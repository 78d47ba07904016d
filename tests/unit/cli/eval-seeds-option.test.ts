// `tessera eval --seeds 1,2,3` becomes the request's seeds (first = seed); bad lists and --seed with --seeds are usage errors.
import { describe, expect, it } from 'vitest'
import { evalCommands } from '../../../src-main/cli/commands/eval'
import type { CliContext } from '../../../src-main/cli/command'

/** Runs the eval command up to its dispatch and returns the request it would send. */
async function requestOf(values: Record<string, string>): Promise<Record<string, unknown>> {
  let sent: Record<string, unknown> | null = null
  const ctx = {
    json: true,
    log: () => undefined,
    core: () => ({
      projects: { resolve: () => ({ id: 7 }) },
      dispatch: (_method: string, request: Record<string, unknown>) => {
        sent = request
        throw new Error('stop before the job')
      }
    })
  } as unknown as CliContext
  await expect(evalCommands[0]!.run(ctx, { values: { project: 'P', models: 'a,b', out: 'out', ...values }, positionals: [] })).rejects.toThrow(/stop before the job/)
  return sent as unknown as Record<string, unknown>
}

describe('tessera eval --seeds', () => {
  it('passes the seeds, the first as seed; without --seeds no seeds key', async () => {
    expect(await requestOf({ seeds: '3, 1,2' })).toMatchObject({ seed: 3, seeds: [3, 1, 2] })
    const plain = await requestOf({ seed: '4' })
    expect(plain.seed).toBe(4)
    expect(plain.seeds).toBeUndefined()
  })
  it('refuses --seed with --seeds and a list that is not of integers', async () => {
    const ctx = { core: () => ({ projects: { resolve: () => ({ id: 7 }) } }) } as unknown as CliContext
    const run = (values: Record<string, string>): Promise<unknown> => evalCommands[0]!.run(ctx, { values: { project: 'P', models: 'a', out: 'o', ...values }, positionals: [] })
    await expect(run({ seed: '1', seeds: '1,2' })).rejects.toThrow(/either --seed or --seeds/)
    await expect(run({ seeds: '1,x' })).rejects.toThrow(/--seeds must be a comma-separated list of integers ≥ 0, got "x"/)
    await expect(run({ seeds: '1,-2' })).rejects.toThrow(/got "-2"/)
  })
})
