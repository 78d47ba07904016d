// Application version, shown by `tessera --version` and recorded with runs.
export const VERSION = '0.1.0'
