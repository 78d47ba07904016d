// Vendor metadata XML for synthetic slides: Philips DPUfsImport (per-level DICOM_PIXEL_SPACING in mm, label as
// base64 JPEG) and minimal OME-XML (PhysicalSizeX/Y in µm). Shapes follow what OpenSlide 3.4.1 accepts.

const attr = (name: string, group: string, elem: string, vr: string, value: string | number): string =>
  `<Attribute Name="${name}" Group="${group}" Element="${elem}" PMSVR="${vr}">${value}</Attribute>`

/** Philips TIFF ImageDescription for a pyramid of `levelCount` levels halving each time. */
export function philipsXml(mpp: number, levelCount: number, labelJpeg: Uint8Array): string {
  const mm = mpp / 1000
  const reps = Array.from(
    { length: levelCount },
    (_, i) =>
      '<DataObject ObjectType="PixelDataRepresentation">' +
      attr('PIIM_PIXEL_DATA_REPRESENTATION_NUMBER', '0x101D', '0x2001', 'IUInt16', i) +
      attr('DICOM_PIXEL_SPACING', '0x0028', '0x0030', 'IDoubleArray', `"${(mm * 2 ** i).toPrecision(9)}" "${(mm * 2 ** i).toPrecision(9)}"`) +
      '</DataObject>'
  ).join('')
  return (
    '<?xml version="1.0" encoding="UTF-8" ?>\n<DataObject ObjectType="DPUfsImport">' +
    attr('DICOM_MANUFACTURER', '0x0008', '0x0070', 'IString', 'PHILIPS') +
    attr('PIM_DP_UFS_BARCODE', '0x301D', '0x1002', 'IString', 'SYNTH-0001') +
    '<Attribute Name="PIM_DP_SCANNED_IMAGES" Group="0x301D" Element="0x1003" PMSVR="IDataObjectArray"><Array>' +
    '<DataObject ObjectType="DPScannedImage">' +
    attr('PIM_DP_IMAGE_TYPE', '0x301D', '0x1004', 'IString', 'WSI') +
    attr('DICOM_PIXEL_SPACING', '0x0028', '0x0030', 'IDoubleArray', `"${mm.toPrecision(9)}" "${mm.toPrecision(9)}"`) +
    attr('PIIM_PIXEL_DATA_REPRESENTATION_SEQUENCE', '0x1001', '0x8003', 'IDataObjectArray', `<Array>${reps}</Array>`) +
    '</DataObject>' +
    '<DataObject ObjectType="DPScannedImage">' +
    attr('PIM_DP_IMAGE_TYPE', '0x301D', '0x1004', 'IString', 'LABELIMAGE') +
    attr('PIM_DP_IMAGE_DATA', '0x301D', '0x1005', 'IString', Buffer.from(labelJpeg).toString('base64')) +
    '</DataObject></Array></Attribute></DataObject>'
  )
}

/** Minimal OME-XML for one RGB 8-bit image. */
export function omeXml(width: number, height: number, mpp: number): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06" UUID="urn:uuid:00000000-0000-0000-0000-000000000001">' +
    '<Image ID="Image:0" Name="synthetic"><Pixels ID="Pixels:0" DimensionOrder="XYCZT" Type="uint8" ' +
    `SizeX="${width}" SizeY="${height}" SizeC="3" SizeZ="1" SizeT="1" ` +
    `PhysicalSizeX="${mpp}" PhysicalSizeXUnit="µm" PhysicalSizeY="${mpp}" PhysicalSizeYUnit="µm" Interleaved="true">` +
    '<Channel ID="Channel:0:0" SamplesPerPixel="3"/><TiffData IFD="0" PlaneCount="1"/></Pixels></Image></OME>'
  )
}
