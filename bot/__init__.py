"""Everything user-facing, as front ends over shared parts (each floor imports only those below):

``cli/`` and ``slack/`` (front ends) -> ``render/`` (every output format) -> ``incidents/``
(records and aggregation) -> ``store/`` -> ``pipeline.py`` (the one place that parses and
diagnoses) and ``settings.py``.
"""

__version__ = "0.1.0"
