"""What `celery -A deepcell_label.worker:celery worker` loads: the app, its Celery app and the task."""

from __future__ import annotations

from .app import create_app
from .jobs.tasks import register

app = create_app()
celery = app.extensions["celery"]
register(celery, app)
