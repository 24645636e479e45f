"""WSGI entry point (Elastic Beanstalk looks for `application` here)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "backend"))

from deepcell_label.wsgi import app as application  # noqa: E402, F401
