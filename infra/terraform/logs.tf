# Every log group of the lab, kept var.log_retention_days and encrypted with the lab key: the
# ECS tasks' (awslogs driver), AMP's, the AI-ops Lambda's (the name Lambda writes to) and, with
# enable_cloudwatch, the one the collector writes EMF metrics and logs to
# (adot/otel-config.cloudwatch.yaml).
locals {
  log_groups = merge(
    {
      tasks        = "/ecs/${local.name}"
      amp          = "/aws/prometheus/${local.name}"
      aiops_lambda = "/aws/lambda/${local.name}-aiops"
    },
    var.enable_cloudwatch ? { collector = "/genai-lab/${var.environment}/otel" } : {},
  )
}

resource "aws_cloudwatch_log_group" "lab" {
  for_each          = local.log_groups
  name              = each.value
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.lab.arn
  # checkov:skip=CKV_AWS_338: a lab keeps logs var.log_retention_days (30 by default); raise it for production
}

moved {
  from = aws_cloudwatch_log_group.tasks
  to   = aws_cloudwatch_log_group.lab["tasks"]
}

moved {
  from = aws_cloudwatch_log_group.amp
  to   = aws_cloudwatch_log_group.lab["amp"]
}

moved {
  from = aws_cloudwatch_log_group.aiops_lambda
  to   = aws_cloudwatch_log_group.lab["aiops_lambda"]
}

moved {
  from = aws_cloudwatch_log_group.collector_cloudwatch[0]
  to   = aws_cloudwatch_log_group.lab["collector"]
}
