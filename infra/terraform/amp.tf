# Amazon Managed Service for Prometheus: the workspace, the lab's rule files unchanged (each
# file one rule groups namespace) and the Alertmanager definition dashgen generates from
# alertmanager/alertmanager.yml.
resource "aws_prometheus_workspace" "this" {
  alias = local.name

  logging_configuration {
    log_group_arn = "${aws_cloudwatch_log_group.lab["amp"].arn}:*"
  }
}

locals {
  rules_dir = "${path.module}/../../prometheus/rules"
  # Placeholders written by grafana/dashgen/amp.py (SNS_TOPIC_ARN, SNS_REGION);
  # tests/infra/test_terraform.py checks they still match.
  amp_placeholder_topic  = "arn:aws:sns:us-east-1:111122223333:genai-lab-alerts"
  amp_placeholder_region = "region: us-east-1"
  amp_definition = replace(
    replace(
      file("${path.module}/../../alertmanager/aws/alertmanager-definition.yaml"),
      local.amp_placeholder_topic, aws_sns_topic.alerts.arn,
    ),
    local.amp_placeholder_region, "region: ${var.region}",
  )
}

resource "aws_prometheus_rule_group_namespace" "rules" {
  for_each     = fileset(local.rules_dir, "*.yml")
  name         = "genai-lab-${trimsuffix(each.value, ".yml")}"
  workspace_id = aws_prometheus_workspace.this.id
  data         = file("${local.rules_dir}/${each.value}")
}

# The AWS half of Loki's UserOverDailyBudget: Loki records users over budget and remote-writes
# the series here; this namespace alerts on it (loki/README.md, "On AWS").
resource "aws_prometheus_rule_group_namespace" "loki" {
  name         = "genai-lab-loki-records"
  workspace_id = aws_prometheus_workspace.this.id
  data         = file("${path.module}/../../loki/aws/amp-rules.yml")
}

resource "aws_prometheus_alert_manager_definition" "this" {
  workspace_id = aws_prometheus_workspace.this.id
  definition   = local.amp_definition
}
