# The CloudWatch option (var.enable_cloudwatch, off by default): the collector also writes EMF
# metrics and logs to this group (adot/otel-config.cloudwatch.yaml), and the dashboard dashgen
# generates from the metric catalogue shows them.
resource "aws_cloudwatch_log_group" "collector_cloudwatch" {
  count             = var.enable_cloudwatch ? 1 : 0
  name              = "/genai-lab/${var.environment}/otel"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.lab.arn
  # checkov:skip=CKV_AWS_338: a lab keeps logs var.log_retention_days (30 by default); raise it for production
}

resource "aws_cloudwatch_dashboard" "lab" {
  count          = var.enable_cloudwatch ? 1 : 0
  dashboard_name = local.name
  dashboard_body = replace(
    replace(file("${path.module}/../../grafana/cloudwatch/genai-lab.json"), "$${region}", var.region),
    "$${environment}", var.environment,
  )
}
