"""DeepCell Label: label single cells in microscopy images in the browser.

The application factory is `deepcell_label.app.create_app`; docs/architecture.md shows the layers.
"""
