"""Entry point of the workers: the Celery app, and the task that runs a job's use case."""
