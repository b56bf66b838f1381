"""The fleet: one business database (PostgreSQL), many targets, passes run by Celery workers (issue 17).

targets.py / spec.py: the targets in the database and how they are written;
passes.py: one pass of one target as a worker runs it; tasks.py / celery_app.py:
the Celery face; scheduler.py: queues due passes; status.py: `fleet status`.
Celery is imported only by celery_app.py and tasks.py (the `fleet` extra).
"""
