"""Publishers: where an incident summary goes once written (Grafana, Slack; markdown via store)."""
