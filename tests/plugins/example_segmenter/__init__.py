"""A segmenter plug-in of the tests: Otsu's threshold and connected components, registered
through its own distribution's entry point (see the dist-info beside it), as an operator's
package would be."""

from __future__ import annotations

import numpy as np
from deepcell_label.segmentation import Proposal, Request
from scipy import ndimage as ndi
from skimage.filters import threshold_otsu


class Threshold:
    name = "threshold"
    description = "Otsu's threshold, one cell per bright blob (a plug-in of the tests)."
    learns = False

    def segment(self, image: np.ndarray, request: Request) -> Proposal:
        image = np.asarray(image, np.float64)
        cells, count = ndi.label(image > threshold_otsu(image))
        request.report(1.0)
        confidence = {cell: 1.0 - cell / (count + 1) for cell in range(1, count + 1)}
        return Proposal(cells.astype(np.int32), confidence, request.diameter or 10.0)
