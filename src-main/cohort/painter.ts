// Paints one synthetic H&E-like slide raster (tissue on glass, stroma fibres, nuclei, lesions or foci) from a seed.
// Optical densities of haematoxylin (H) and eosin (E) are painted per pixel, then turned into RGB with Beer–Lambert.
import type { CohortParams } from './recipe'
import { Prng, ValueNoise } from './prng'
import { atypiaAt, smooth, type AtypiaBump } from './atypia'
import { computePatchTruth, type PatchTruth } from './truth'

/** Per-patient staining and nuclear baseline (two slides of one patient share it: same lab batch, same tissue). */
export interface StainStyle {
  hVec: [number, number, number]
  eVec: [number, number, number]
  hScale: number
  eScale: number
  background: [number, number, number]
  nucleusRadius: number
}

export interface PaintedSlide {
  width: number
  height: number
  /** interleaved RGB, row-major */
  rgb: Uint8Array
  bumps: AtypiaBump[]
  /** per-patch ground truth (used only to pretrain the demo teacher on separate slides, never for cohort labels) */
  truth: PatchTruth
}

const RUIFROK_H: [number, number, number] = [0.65, 0.704, 0.286]
const RUIFROK_E: [number, number, number] = [0.072, 0.99, 0.105]

function jitterVector(rng: Prng, v: [number, number, number], amount: number): [number, number, number] {
  const out = v.map((c) => Math.max(0.01, c + amount * rng.gaussian())) as [number, number, number]
  const n = Math.hypot(...out)
  return [out[0] / n, out[1] / n, out[2] / n]
}

export function drawStainStyle(rng: Prng, p: CohortParams): StainStyle {
  const bgBase = rng.uniform(234, 246)
  return {
    hVec: jitterVector(rng, RUIFROK_H, p.stainHueJitter),
    eVec: jitterVector(rng, RUIFROK_E, p.stainHueJitter),
    hScale: rng.uniform(p.stainScale[0], p.stainScale[1]),
    eScale: rng.uniform(p.stainScale[0], p.stainScale[1]),
    background: [bgBase + rng.uniform(-3, 3), bgBase + rng.uniform(-3, 3), bgBase + rng.uniform(-2, 4)],
    nucleusRadius: rng.uniform(p.nucleusRadius[0], p.nucleusRadius[1])
  }
}

/** Evaluate `fn` every `step` px and interpolate bilinearly (for fields that vary slowly: saves most noise calls). */
function coarseField(w: number, h: number, step: number, fn: (x: number, y: number) => number): Float32Array {
  const cw = Math.ceil(w / step) + 2
  const ch = Math.ceil(h / step) + 2
  const grid = new Float32Array(cw * ch)
  for (let j = 0; j < ch; j++) for (let i = 0; i < cw; i++) grid[j * cw + i] = fn(i * step, j * step)
  const out = new Float32Array(w * h)
  for (let y = 0; y < h; y++) {
    const gy = y / step
    const j = Math.floor(gy)
    const fy = gy - j
    for (let x = 0; x < w; x++) {
      const gx = x / step
      const i = Math.floor(gx)
      const fx = gx - i
      const k = j * cw + i
      const top = (grid[k] as number) * (1 - fx) + (grid[k + 1] as number) * fx
      const bottom = (grid[k + cw] as number) * (1 - fx) + (grid[k + cw + 1] as number) * fx
      out[y * w + x] = top * (1 - fy) + bottom * fy
    }
  }
  return out
}

interface Nucleus {
  x: number
  y: number
  rx: number
  ry: number
  angle: number
  darkness: number
  irregularity: number
  phase2: number
  phase3: number
}

function stampNucleus(n: Nucleus, w: number, h: number, hField: Float32Array, eField: Float32Array, rng: Prng): void {
  const reach = Math.ceil(Math.max(n.rx, n.ry) * (1 + n.irregularity) + 2)
  const cos = Math.cos(n.angle)
  const sin = Math.sin(n.angle)
  const x0 = Math.max(0, Math.floor(n.x - reach))
  const x1 = Math.min(w - 1, Math.ceil(n.x + reach))
  const y0 = Math.max(0, Math.floor(n.y - reach))
  const y1 = Math.min(h - 1, Math.ceil(n.y + reach))
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - n.x
      const dy = y + 0.5 - n.y
      const u = (dx * cos + dy * sin) / n.rx
      const v = (-dx * sin + dy * cos) / n.ry
      let d = Math.hypot(u, v)
      if (n.irregularity > 0) {
        const phi = Math.atan2(v, u)
        d /= 1 + n.irregularity * (0.6 * Math.cos(2 * phi + n.phase2) + 0.4 * Math.cos(3 * phi + n.phase3))
      }
      const cover = Math.min(1, Math.max(0, (1.15 - d) / 0.3))
      if (cover <= 0) continue
      const k = y * w + x
      // chromatin texture: granular, darker towards the rim (nuclear membrane)
      const chromatin = 0.75 + 0.35 * rng.next() + 0.15 * Math.max(0, d - 0.6)
      hField[k] = Math.max(hField[k] as number, n.darkness * cover * chromatin)
      eField[k] = (eField[k] as number) * (1 - 0.7 * cover)
    }
  }
}

/** Paint one slide. `label` 1 → extended lesions, 0 → scattered foci (same total atypical area on average). */
export function paintSlide(p: CohortParams, seed: number, label: 0 | 1, style: StainStyle): PaintedSlide {
  const { width: w, height: h } = p
  const rng = new Prng(seed)
  const noise = (tag: number): ValueNoise => new ValueNoise(Math.floor(rng.next() * 4294967296) ^ tag)
  const shapeNoise = noise(1)
  const edgeNoise = noise(2)
  const orientNoise = noise(3)
  const fibreNoise = noise(4)
  const lumenNoise = noise(5)
  const densityNoise = noise(6)

  // 1. tissue: a rotated ellipse with a noisy outline, soft 2-px edge
  const area = p.tissueFraction * w * h
  const aspect = rng.uniform(0.8, 1.25)
  const a = Math.sqrt((area / Math.PI) * aspect)
  const b = area / Math.PI / a
  const cx = w / 2 + rng.uniform(-0.04, 0.04) * w
  const cy = h / 2 + rng.uniform(-0.04, 0.04) * h
  const rot = rng.uniform(0, Math.PI)
  const tissue = coarseField(w, h, 4, (x, y) => {
    const u = ((x - cx) * Math.cos(rot) + (y - cy) * Math.sin(rot)) / a
    const v = (-(x - cx) * Math.sin(rot) + (y - cy) * Math.cos(rot)) / b
    const q = u * u + v * v + 0.45 * (shapeNoise.fractal(x / 220, y / 220, 2) - 0.5) + 0.12 * (edgeNoise.at(x / 40, y / 40) - 0.5)
    return Math.min(1, Math.max(0, (1 - q) / 0.02))
  })
  // slowly varying fields: fibre orientation, lumens/fat (white spaces), cell density
  const theta0 = rng.uniform(0, Math.PI)
  const orient = coarseField(w, h, 8, (x, y) => theta0 + 2.2 * (orientNoise.fractal(x / 320, y / 320, 2) - 0.5))
  const lumen = coarseField(w, h, 2, (x, y) => smooth((lumenNoise.fractal(x / 60, y / 60, 2) - 0.7) / 0.06))
  const density = coarseField(w, h, 8, (x, y) => 0.7 + 0.6 * densityNoise.fractal(x / 150, y / 150, 2))

  // 2. stroma: eosin fibres along the local orientation
  const hField = new Float32Array(w * h)
  const eField = new Float32Array(w * h)
  const eBase = rng.uniform(0.26, 0.36)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const k = y * w + x
      const t = (tissue[k] as number) * (1 - (lumen[k] as number))
      if (t <= 0) continue
      const th = orient[k] as number
      const u = x * Math.cos(th) + y * Math.sin(th)
      const v = -x * Math.sin(th) + y * Math.cos(th)
      const fibre = fibreNoise.fractal(u / 26, v / 2.6, 2)
      eField[k] = t * eBase * (0.35 + 1.1 * fibre * fibre)
      hField[k] = t * 0.02
    }
  }

  // 3. atypia: extended lesions (label 1) or many small foci (label 0) of equal expected total area
  const peak = rng.uniform(p.atypiaPeak[0], p.atypiaPeak[1])
  const lesionCount = rng.int(p.lesionsPerSlide[0], p.lesionsPerSlide[1])
  // E[r²] of a radius uniform in [a, b] is (a² + ab + b²)/3: foci outnumber lesions by the area ratio
  const [fa, fb] = p.focusRadiusPatches
  const ratio = p.lesionRadiusPatches ** 2 / ((fa * fa + fa * fb + fb * fb) / 3)
  const count = label === 1 ? lesionCount : Math.round(lesionCount * ratio)
  const bumps: AtypiaBump[] = []
  for (let tries = 0; bumps.length < count && tries < 10000; tries++) {
    const x = rng.uniform(0, w)
    const y = rng.uniform(0, h)
    const k = Math.floor(y) * w + Math.floor(x)
    if ((tissue[k] as number) < 1) continue
    const radius = label === 1 ? p.lesionRadiusPatches * rng.uniform(0.85, 1.15) : rng.uniform(fa, fb)
    bumps.push({ x, y, radius: radius * p.patchSize, peak: peak * rng.uniform(0.85, 1.0) })
  }

  // 4. nuclei by thinning a uniform candidate stream with tissue × density × crowding
  // candidates per canvas patch such that a tissue patch at density 1 and no atypia keeps `nucleiPerPatch` on average
  const canvasPatches = (w * h) / (p.patchSize * p.patchSize)
  const candidates = rng.poisson(p.nucleiPerPatch * canvasPatches * (1 + p.atypiaCrowdingGain) * 1.3)
  for (let i = 0; i < candidates; i++) {
    const x = rng.uniform(0, w)
    const y = rng.uniform(0, h)
    const k = Math.floor(y) * w + Math.floor(x)
    const A = atypiaAt(bumps, x, y)
    const accept = ((tissue[k] as number) * (1 - (lumen[k] as number)) * (density[k] as number) * (1 + p.atypiaCrowdingGain * A)) / ((1 + p.atypiaCrowdingGain) * 1.3)
    if (rng.next() >= accept) continue
    const r = style.nucleusRadius * (1 + p.atypiaRadiusGain * A * rng.uniform(0.7, 1.3)) * (1 + 0.1 * rng.gaussian())
    const elong = A > 0.3 ? rng.uniform(0.75, 1) : rng.uniform(0.45, 0.9) // stromal nuclei are spindle-shaped
    stampNucleus(
      {
        x, y, rx: r / Math.sqrt(elong), ry: r * Math.sqrt(elong),
        angle: A > 0.3 ? rng.uniform(0, Math.PI) : (orient[k] as number) + 0.3 * rng.gaussian(),
        darkness: 0.72 * (1 + p.atypiaDarknessGain * A) * rng.uniform(0.85, 1.15),
        irregularity: p.atypiaIrregularity * A * rng.uniform(0.5, 1),
        phase2: rng.uniform(0, 2 * Math.PI), phase3: rng.uniform(0, 2 * Math.PI)
      },
      w, h, hField, eField, rng
    )
  }

  // 5. lymphocyte clusters: small, dark, round, densely packed (both classes)
  const lymphCentres: { x: number; y: number; r: number }[] = []
  const clusters = rng.int(p.lymphClusters[0], p.lymphClusters[1])
  for (let tries = 0; lymphCentres.length < clusters && tries < 5000; tries++) {
    const x = rng.uniform(0, w)
    const y = rng.uniform(0, h)
    if ((tissue[Math.floor(y) * w + Math.floor(x)] as number) < 1) continue
    lymphCentres.push({ x, y, r: rng.uniform(p.lymphClusterRadius[0], p.lymphClusterRadius[1]) })
  }
  for (const c of lymphCentres) {
    const n = rng.poisson((Math.PI * c.r * c.r) / 30)
    for (let i = 0; i < n; i++) {
      const rr = c.r * Math.sqrt(rng.next())
      const ang = rng.uniform(0, 2 * Math.PI)
      const x = c.x + rr * Math.cos(ang)
      const y = c.y + rr * Math.sin(ang)
      if (x < 0 || y < 0 || x >= w || y >= h || (tissue[Math.floor(y) * w + Math.floor(x)] as number) < 0.5) continue
      const r = rng.uniform(1.8, 2.3)
      stampNucleus({ x, y, rx: r, ry: r * rng.uniform(0.9, 1), angle: 0, darkness: 1.05 * rng.uniform(0.9, 1.1), irregularity: 0, phase2: 0, phase3: 0 }, w, h, hField, eField, rng)
    }
  }

  // 6. Beer–Lambert to RGB with per-slide stain vectors, plus sensor noise
  const rgb = new Uint8Array(w * h * 3)
  const { hVec, eVec, hScale, eScale, background } = style
  for (let k = 0; k < w * h; k++) {
    const hv = (hField[k] as number) * hScale
    const ev = (eField[k] as number) * eScale
    for (let c = 0; c < 3; c++) {
      const od = 0.015 + hv * (hVec[c] as number) + ev * (eVec[c] as number)
      const v = (background[c] as number) * Math.pow(10, -od) + p.pixelNoise * (rng.next() + rng.next() + rng.next() - 1.5)
      rgb[k * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v)
    }
  }

  const truth = computePatchTruth(p, w, h, tissue, hField, eField, bumps)
  return { width: w, height: h, rgb, bumps, truth }
}
