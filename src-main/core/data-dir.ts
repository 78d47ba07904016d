// Per-user data directory and default database path (XDG on Linux, Application Support on macOS, APPDATA on Windows).
import { homedir } from 'node:os'
import { join } from 'node:path'

export function userDataDir(): string {
  const env = process.env
  if (env['TESSERA_HOME']) return env['TESSERA_HOME']
  if (process.platform === 'win32') return join(env['APPDATA'] ?? join(homedir(), 'AppData', 'Roaming'), 'Tessera')
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Tessera')
  return join(env['XDG_DATA_HOME'] ?? join(homedir(), '.local', 'share'), 'tessera')
}

export function defaultDbPath(): string {
  return process.env['TESSERA_DB'] ?? join(userDataDir(), 'tessera.db')
}
