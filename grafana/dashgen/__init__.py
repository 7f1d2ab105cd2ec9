"""Dashboards and SLO rules as code for the GenAI Observability Lab.

`python -m dashgen` (or `make dashboards`) writes grafana/dashboards/*.json and
prometheus/rules/slo.yml from the definitions in this package; tests check that the committed
files equal what the code generates.
"""
