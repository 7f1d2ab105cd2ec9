"""AI-ops: turns Alertmanager notifications into incident summaries with context and next steps.

The lab's stand-in for EventBridge -> Lambda -> Bedrock: Alertmanager posts its webhook here,
alerts are grouped into incidents, context is gathered from Prometheus, Loki and Tempo, a
summariser (Bedrock Claude when configured, a deterministic one otherwise) writes the summary,
and publishers put it where on-call looks (Grafana annotation, markdown record, Slack).
"""
