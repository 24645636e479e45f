"""How state is kept: database models, object storage, label tiles, the history, caches and
indexes, pyramids and overviews."""
