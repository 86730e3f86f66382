"""Fast and registry-scale scoring: one pass per patient, bulk screening, Dask backends."""

from ptsdrx.batch._fast import TOLERANCE, FastScorer, ScoringPlan

__all__ = ["TOLERANCE", "FastScorer", "ScoringPlan"]
