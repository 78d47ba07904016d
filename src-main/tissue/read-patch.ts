// Read one grid patch as patchSize² RGBA (alpha 255, background flattened on white) at the grid's target mpp:
// read at the grid's readLevel (nearest higher resolution), then downsample by readDownsample.
import sharp from 'sharp'
import type { GridInfo, GridPatch } from '../../src-shared/domain/grid'
import type { RgbaImage, SlideSource } from '../slides/slide-source'

export async function readPatch(source: SlideSource, info: GridInfo, patch: Pick<GridPatch, 'x' | 'y'>, signal?: AbortSignal): Promise<RgbaImage> {
  const level = source.metadata.levels[info.readLevel]
  if (!level) throw new Error(`${source.path}: grid reads level ${info.readLevel}, which the slide does not have`)
  const readSize = Math.max(1, Math.round(info.patchSizeLevel0 / level.downsample))
  const region = await source.readRegion(patch.x, patch.y, info.readLevel, readSize, readSize, signal)
  const size = info.params.patchSize
  let p = sharp(region.data, { raw: { width: region.width, height: region.height, channels: 4 } })
  if (region.width !== size || region.height !== size) p = p.resize(size, size, { fit: 'fill' })
  const data = await p.flatten({ background: '#ffffff' }).ensureAlpha(1).raw().toBuffer()
  return { width: size, height: size, data: new Uint8Array(data.buffer, data.byteOffset, data.length) }
}
