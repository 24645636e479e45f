"""DeepCell Label: label single cells in microscopy images in the browser.

The application factory is `deepcell_label.app.create_app`; docs/architecture.md shows the layers.
"""

__version__ = "0.1.0"
# The HTTP API's version: the major number changes when a client written for the old one would break.
API_VERSION = "1.0"
