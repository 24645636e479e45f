"""Cell types that learn, as pure functions: per-cell measurements and the features of each
source, their normalisation, the 2-D embedding (UMAP), a calibrated classifier and its
predictions. No Flask, no database: arrays in, arrays out."""
