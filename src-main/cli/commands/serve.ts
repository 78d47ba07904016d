// CLI: serve — the headless door (HTTP + events on 127.0.0.1, serving the built renderer).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { appRoot } from '../../core/app-root'
import { startHttpDoor } from '../../server/http-server'
import { intOption, type CliCommand } from '../command'

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Start the headless server on 127.0.0.1 and print the URL (with its token) to open in a browser',
  options: { port: { type: 'string' } },
  optionHelp: ['--port N   port to listen on (default: a free one)'],
  keepsRunning: true,
  async run(ctx, args) {
    const rendererDir = join(appRoot(), 'out', 'renderer')
    if (!existsSync(join(rendererDir, 'index.html'))) {
      ctx.log('note: the renderer is not built (run `npm run build`); only the API is served')
    }
    const door = await startHttpDoor(ctx.core(), {
      port: intOption(args, 'port', 0),
      rendererDir: existsSync(rendererDir) ? rendererDir : null
    })
    ctx.log(`Tessera is serving on ${door.url} — open ${door.openUrl}`)
    // stdout gets the machine-readable address immediately (tests and scripts read it)
    process.stdout.write(JSON.stringify({ url: door.url, openUrl: door.openUrl, token: door.token, port: door.port }) + '\n')
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        void door.close().then(resolve)
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
    return null
  }
}
