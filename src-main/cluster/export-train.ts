// `tessera cluster export-train`: a self-contained work folder for one MCM+KD fine-tuning run on a cluster node: every
// readable slide's path, content key and grid, the teacher's cached features of those grids (raw float32, as the local
// run would read them from the cache), the student bundle (zoo students; built-in students need none), the full parsed
// config, the held-out split decided here, and a one-task submit.sbatch. Nothing in it refers to the project database.
// Cost: the teacher features are written uncompressed (patches × dim × 4 bytes).
import { randomUUID } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Db } from '../store/database'
import type { ModelRegistry } from '../models/registry'
import { SlidesRepo } from '../store/slides-repo'
import { FeatureCache } from '../store/feature-cache'
import { sha256File, writeDurable, writeFolderAtomic } from '../models/atomic-files'
import { encoderKeyOf } from '../models/manifest'
import { SUMS_FILE } from '../models/bundle'
import { VERSION } from '../core/version'
import { McmConfig, isBuiltinStudent } from '../../src-shared/contracts/train'
import { splitSlides } from '../../src-shared/domain/held-out-split'
import { defaultTesseraCommand, exportSlide } from './export'
import { TRAIN_SBATCH_DEFAULTS, trainScript } from './sbatch'
import { GRIDS_DIR, LOGS_DIR, SUBMIT_FILE, WORK_FILE, shellQuote } from './work-folder'
import type { SbatchOptions } from './work-folder'
import { STUDENT_DIR, TEACHER_DIR, TRAIN_FORMAT, readTrainManifest, type TrainManifest, type TrainSlide } from './train-work'

export interface TrainExportOptions {
  projectId: number
  student: string
  teacher: string
  /** the run config as given (parsed and defaulted here, exactly as train.start would) */
  config: unknown
  to: string
  sbatch?: Partial<SbatchOptions>
  force?: boolean
  signal?: AbortSignal
}

export interface TrainExportResult {
  dir: string
  workId: string
  slides: number
  patches: number
  trainSlides: string[]
  heldOutSlides: string[]
  teacherBytes: number
  notes: string[]
  submit: string
}

/** Files an untouched export wrote (--force replaces nothing else: a folder with a run in it is kept). */
function exportedTrainFiles(dir: string): string[] | string {
  try {
    const work = readTrainManifest(dir)
    const student = work.student.bundle
      ? readFileSync(join(dir, STUDENT_DIR, SUMS_FILE), 'utf8').split('\n').filter((l) => l.trim()).map((l) => `${STUDENT_DIR}/${l.replace(/^[0-9a-f]{64} [ *]/, '')}`)
      : []
    return [WORK_FILE, SUBMIT_FILE, ...(work.student.bundle ? [`${STUDENT_DIR}/${SUMS_FILE}`] : []), ...student, ...work.slides.flatMap((s) => [s.gridFile, s.teacherFile])]
  } catch (e) {
    return `it is not an untouched fine-tuning work folder (${(e as Error).message})`
  }
}

export async function exportTrainFolder(db: Db, models: ModelRegistry, projectName: string, o: TrainExportOptions): Promise<TrainExportResult> {
  const parsed = McmConfig.safeParse(o.config)
  if (!parsed.success) throw new Error(`invalid run config: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).slice(0, 5).join('; ')}`)
  const cfg = parsed.data
  if (cfg.data.source !== 'project') throw new Error('a cluster run trains on the project slides: the config has data.source "synthetic"')
  // the truth probe reads a file by its workstation path, which the work folder does not carry (yet)
  if (cfg.probe.truth) throw new Error(`probe.truth (${cfg.probe.truth.file}) is not supported in a cluster run: run the truth probe locally, or leave it out of the config`)
  const teacherRec = models.resolve(o.teacher)
  const teacher = models.manifestOf(teacherRec)
  const encoderKey = encoderKeyOf(teacher)
  let studentModel: { id: number; weightSha256: string } | null = null
  if (!isBuiltinStudent(o.student)) {
    const rec = models.resolve(o.student)
    const m = models.manifestOf(rec)
    // the same rule as a local run (workers/mcm-common.ts): ONNX graphs cannot be trained
    if (m.weightsFormat !== 'safetensors') throw new Error(`student "${rec.name}" is ${m.weightsFormat} (${m.arch}): only zoo models with safetensors weights can be fine-tuned`)
    models.weightsFileOf(rec)
    studentModel = { id: rec.id, weightSha256: m.weightSha256 }
  }
  const all = new SlidesRepo(db).list(o.projectId)
  const notes = all.filter((s) => !(s.status === 'ok' && s.checksum)).map((s) => `slide "${s.name}" left out: ${s.error ?? `status ${s.status}`}`)
  const usable = all.filter((s) => s.status === 'ok' && s.checksum)
  if (usable.length < 2) throw new Error(`project ${o.projectId} has ${usable.length} readable slide(s); MCM+KD needs at least 2 (training + held-out)`)

  const cache = new FeatureCache(db)
  const stems = new Set<string>()
  const runNames = new Set<string>()
  const slides: (TrainSlide & { packed: Buffer; vectors: Float32Array })[] = []
  for (const [index, slide] of usable.entries()) {
    o.signal?.throwIfAborted()
    const w = await exportSlide(db, slide, index, cfg.grid, stems, o.signal)
    const set = cache.read({ slideChecksum: slide.checksum as string, gridKey: w.grid.key, encoderKey, dtype: cfg.data.teacherDtype })
    if (!set) {
      throw new Error(`${slide.path}: no complete ${cfg.data.teacherDtype} features of teacher "${teacherRec.name}" for this grid (${cfg.grid.patchSize}px at ${cfg.grid.targetMpp} µm/px); run features extraction with that model and grid first`)
    }
    if (set.info.count !== w.patches) throw new Error(`${slide.path}: teacher features hold ${set.info.count} patches, the grid has ${w.patches}`)
    // named as the local data source names it (ml/mcm/project-source.ts), so the split and inspection are the same
    const runName = runNames.has(slide.name) ? `${slide.name}#${slide.id}` : slide.name
    runNames.add(runName)
    slides.push({ ...w, runName, patient: slide.patientId, teacherFile: `${TEACHER_DIR}/${String(index).padStart(5, '0')}.f32`, teacherSha256: '', teacherDim: set.info.dim, vectors: set.vectors })
  }
  const dims = new Set(slides.map((s) => s.teacherDim))
  if (dims.size > 1) throw new Error(`teacher "${teacherRec.name}" features have different dims across slides (${[...dims].join(', ')})`)
  const patients = slides.every((s) => s.patient) ? new Map(slides.map((s) => [s.runName, s.patient as string])) : null
  const split = splitSlides(slides.map((s) => s.runName), cfg.heldOut, patients)

  const workId = randomUUID()
  const sbatch: SbatchOptions = { ...TRAIN_SBATCH_DEFAULTS, tesseraCommand: defaultTesseraCommand(), ...o.sbatch }
  const dir = resolve(o.to)
  await writeFolderAtomic(dir, o.force === true, async (tmp) => {
    if (studentModel) await models.export(studentModel.id, 'safetensors', join(tmp, STUDENT_DIR))
    for (const d of [GRIDS_DIR, TEACHER_DIR, LOGS_DIR]) mkdirSync(join(tmp, d))
    for (const s of slides) {
      writeDurable(join(tmp, s.gridFile), s.packed)
      s.gridSha256 = await sha256File(join(tmp, s.gridFile))
      writeDurable(join(tmp, s.teacherFile), new Uint8Array(s.vectors.buffer, s.vectors.byteOffset, s.vectors.byteLength))
      s.teacherSha256 = await sha256File(join(tmp, s.teacherFile))
    }
    const work: TrainManifest = {
      format: TRAIN_FORMAT,
      workId,
      createdAt: new Date().toISOString(),
      appVersion: VERSION,
      kind: 'train',
      project: { id: o.projectId, name: projectName },
      student: { name: o.student, bundle: studentModel ? STUDENT_DIR : null, weightSha256: studentModel?.weightSha256 ?? null },
      teacher: { name: teacherRec.name, weightSha256: teacher.weightSha256, encoderKey },
      config: cfg,
      split,
      slides: slides.map(({ packed: _p, vectors: _v, ...s }) => s),
      sbatch
    }
    writeDurable(join(tmp, WORK_FILE), JSON.stringify(work, null, 2) + '\n')
    writeDurable(join(tmp, SUBMIT_FILE), trainScript(sbatch, workId))
    chmodSync(join(tmp, SUBMIT_FILE), 0o755)
  }, exportedTrainFiles)
  return {
    dir,
    workId,
    slides: slides.length,
    patches: slides.reduce((a, s) => a + s.patches, 0),
    trainSlides: split.train,
    heldOutSlides: split.heldOut,
    teacherBytes: slides.reduce((a, s) => a + s.vectors.byteLength, 0),
    notes,
    submit: `cd ${shellQuote(dir)} && sbatch ${SUBMIT_FILE}`
  }
}
