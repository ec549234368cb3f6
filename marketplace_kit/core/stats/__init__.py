"""Marketplace statistics for the operator console.

:mod:`.models` holds the daily rollup tables and the per-listing daily view
counter, :mod:`.period` the period and granularity a dashboard asks for,
:mod:`.service` the SQL that computes the figures (live from the orders, or
from the rollups) and :func:`.service.refresh_rollups`, run by the periodic
``core.stats_rollup`` job.
"""
