"""Reports: a grounded answer plus, for each photo, its analysis, before/after images and figures.

``build`` gathers a report's content, ``markdown`` and ``html`` render it, ``write`` puts it on disk,
``script`` runs a job file of many reports.
"""
