"""Sizing: the operating point of one replica under the SLO, and the fleet for a load."""

from llmtco.sizing.fleet import business_hours_profile, replicas_needed
from llmtco.sizing.serving import BATCH_GRID, ServingPoint, serving_point

__all__ = ["BATCH_GRID", "ServingPoint", "business_hours_profile", "replicas_needed", "serving_point"]
