// Append-only list of numbered schema migrations. Never edit a shipped migration: add the next number.
import { migration0001 } from './0001-initial'
import { migration0002 } from './0002-feature-cache'
import { migration0003 } from './0003-feature-coords'
import { migration0004 } from './0004-grids'
import { migration0005 } from './0005-mcm-runs'
import { migration0006 } from './0006-mcm-loss-groups'
import { migration0007 } from './0007-tissue-choice'

export interface Migration {
  version: number
  name: string
  /** SQL executed inside one transaction. */
  up: string
}

export const migrations: readonly Migration[] = [migration0001, migration0002, migration0003, migration0004, migration0005, migration0006, migration0007]
