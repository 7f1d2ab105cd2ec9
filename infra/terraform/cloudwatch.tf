# The CloudWatch option (var.enable_cloudwatch, off by default): the collector also writes EMF
# metrics and logs to its log group (logs.tf; adot/otel-config.cloudwatch.yaml), and the
# dashboard dashgen generates from the metric catalogue shows them.
resource "aws_cloudwatch_dashboard" "lab" {
  count          = var.enable_cloudwatch ? 1 : 0
  dashboard_name = local.name
  dashboard_body = replace(
    replace(file("${path.module}/../../grafana/cloudwatch/genai-lab.json"), "$${region}", var.region),
    "$${environment}", var.environment,
  )
}
