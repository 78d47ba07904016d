// Public API of the synthetic-slide writers (npm-only: sharp for JPEG, OpenJPEG wasm for JPEG 2000).
//
// High level — a realistic test slide from a seed:
//   await writeTestSlide({ path, format: 'svs', width: 4096, height: 4096, seed: 1 })
//   formats: generic-tiff, bigtiff, svs (JPEG), svs-j2k-rgb (33005), svs-j2k-ycc (33003), ome-tiff, philips,
//   dicom / dicom-sparse (path = a folder; one .dcm per level + label). Same options → identical bytes.
//
// Your own raster — a pyramidal tiled TIFF (levels built with sharp, JPEG tiles with shared JPEGTables):
//   const level0: RgbRaster = { width, height, data /* RGB, 3 bytes/px */ }
//   await writePyramidalTiff({ path, level0, mpp: 0.5, tileSize: 256, quality: 85, levelStep: 2,
//                              layout: 'pages' | 'subifds', bigtiff: false, description: 'Aperio …|MPP = 0.5' })
//   (pass `levels` instead of `level0` to supply every level; `extraImages: [strippedImage(label, {...})]` for
//   associated images; `compression: 'j2k-rgb' | 'j2k-ycc'` for Aperio JPEG 2000 tiles.)
//
// Lowest level — any IFD layout, pre-encoded tiles, extra tags:
//   writeTiff(path, [tiffImageSpec, …], { bigtiff }) with specs from tiledImage()/strippedImage() or hand-made.
export { writeTestSlide, SYNTH_FORMATS } from './write-test-slide'
export type { SynthFormat, TestSlideInfo, TestSlideOptions } from './write-test-slide'
export { buildPyramid, strippedImage, tiledImage, writePyramidalTiff } from './pyramid'
export type { PyramidalTiffOptions, TileCompression, TiledImageOptions } from './pyramid'
export { writeTiff, TAG, TYPE } from './tiff-writer'
export type { ExtraTag, TiffImageSpec } from './tiff-writer'
export { generateTissueRaster, seededRandom } from './texture'
export type { RgbRaster } from './texture'
export { writeDicomInstance } from './dicom-writer'
export type { DicomInstanceSpec } from './dicom-writer'
