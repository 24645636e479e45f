// Real microscopy on the home page: small files shipped in public/examples under permissive
// licences (see its README), each with its source and licence shown.
export interface RealExample {
  id: string;
  title: string;
  description: string;
  images: string;
  labels?: string;
  axes?: string;
  source: string;
  sourceUrl: string;
  licence: string;
  /** The licence's full text shipped beside the files (public/examples), when it asks for it. */
  licenceFile?: string;
  /** Open the project on this panel (an image without labels starts with Segment). */
  panel?: 'segment';
}

export const realExamples: RealExample[] = [
  {
    id: 'stardist-nuclei-unlabelled',
    title: 'Nuclei, no labels yet — try Segment',
    description:
      'Fluorescent nuclei (512², about 125) without labels: the Segment panel proposes them.',
    images: 'stardist-nuclei.tif',
    source: 'StarDist sample (Kaggle DSB 2018 nuclei)',
    sourceUrl: 'https://github.com/stardist/stardist',
    licence: 'BSD-3-Clause',
    licenceFile: 'LICENSE-stardist.txt',
    panel: 'segment',
  },
  {
    id: 'stardist-nuclei',
    title: 'Nuclei with their labels',
    description: 'The same 512² image with its 125 hand-drawn nuclei.',
    images: 'stardist-nuclei.tif',
    labels: 'stardist-nuclei-labels.tif',
    source: 'StarDist sample (Kaggle DSB 2018 nuclei)',
    sourceUrl: 'https://github.com/stardist/stardist',
    licence: 'BSD-3-Clause',
    licenceFile: 'LICENSE-stardist.txt',
  },
  {
    id: 'stardist-nuclei-3d',
    title: '3-D nuclei stack',
    description: '31 z-slices of 61 × 57 pixels with 51 labelled (synthetic) nuclei.',
    images: 'stardist-nuclei-3d.tif',
    labels: 'stardist-nuclei-3d-labels.tif',
    axes: 'ZYX',
    source: 'StarDist sample',
    sourceUrl: 'https://github.com/stardist/stardist',
    licence: 'BSD-3-Clause',
    licenceFile: 'LICENSE-stardist.txt',
  },
  {
    id: 'ovule',
    title: 'Plant ovule, cell membranes in 3-D',
    description: '32 z-slices of 128² of an Arabidopsis ovule, membrane stain, no labels.',
    images: 'plantseg-ovule.tif',
    axes: 'ZYX',
    source: 'PlantSeg sample, via BMCV/galaxy-image-analysis',
    sourceUrl: 'https://github.com/BMCV/galaxy-image-analysis',
    licence: 'MIT',
    licenceFile: 'LICENSE-galaxy-image-analysis.txt',
  },
  {
    id: 'confocal',
    title: 'Two-channel confocal stack',
    description: '25 z-slices, P53-YFP and Mito-Red, crop of ImageJ’s Confocal Series.',
    images: 'confocal-two-channels.tif',
    source: 'ImageJ sample, via BMCV/galaxy-image-analysis',
    sourceUrl: 'https://github.com/BMCV/galaxy-image-analysis',
    licence: 'MIT',
    licenceFile: 'LICENSE-galaxy-image-analysis.txt',
  },
  {
    id: 'ome-timelapse',
    title: 'Timelapse, three channels',
    description: '7 time points × 3 channels of the OME reference sample (synthetic glyphs).',
    images: 'ome-timelapse.ome.tif',
    source: 'OME Bio-Formats sample, via OMETIFF.jl',
    sourceUrl: 'https://github.com/tlnagy/OMETIFF.jl',
    licence: 'CC-BY 4.0',
  },
];

/** The example's files, fetched from the app's own server. */
export async function exampleFiles(example: RealExample): Promise<{ images: Blob; labels?: Blob }> {
  const fetchFile = async (name: string) => {
    const response = await fetch(`/examples/${name}`);
    if (!response.ok) throw new Error(`The example file ${name} is missing (${response.status}).`);
    return response.blob();
  };
  const images = await fetchFile(example.images);
  return example.labels ? { images, labels: await fetchFile(example.labels) } : { images };
}
