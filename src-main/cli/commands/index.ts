// Every CLI command, in help order. Add a group by importing its array here.
import type { CliCommand } from '../command'
import { projectCommands } from './project'
import { jobCommands } from './job'
import { slideCommands } from './slide'
import { trainCommands } from './train'
import { serveCommand } from './serve'
import { benchCommand } from './bench'
import { demoCommand } from './demo'
import { labelCommands } from './labels'
import { evalCommands } from './eval'
import { modelCommands } from './model'
import { featureCommands } from './features'
import { embedCommand } from './embed'
import { backendCommand } from './backend'
import { clusterCommands } from './cluster'
import { tissueCommands } from './tissue'

export const commands: CliCommand[] = [...projectCommands, ...slideCommands, ...tissueCommands, ...jobCommands, ...trainCommands, ...labelCommands, ...evalCommands, ...modelCommands, ...featureCommands, ...clusterCommands, embedCommand, backendCommand, serveCommand, demoCommand, benchCommand]
