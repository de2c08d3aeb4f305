"""Batch restoration of photo folders: discovery, a resumable plan, the per-photo function, the engines.

``plan.plan_batch`` finds the photos and leaves out those the manifest already holds for the same input,
model and settings; ``photo.process_photo`` runs one photo through ``tools.restore``; ``local.run_local``
(worker processes) and ``ray_engine.run_ray`` (Ray actors) run it for many, each worker set up by
``worker.start_worker``; ``run.run_batch`` records each outcome in ``manifest.jsonl``.
"""
