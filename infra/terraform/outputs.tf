output "grafana_url" {
  description = "Grafana (admin password: SSM parameter grafana_admin_password_parameter)."
  value       = "https://${aws_lb.this.dns_name}/"
}

output "genai_service_url" {
  description = "The OpenAI-compatible API (base URL for clients; bearer key in SSM LAB_API_KEY)."
  value       = "https://${aws_lb.this.dns_name}/v1"
}

output "load_balancer_dns_name" {
  description = "Point your DNS name (the certificate's) at this."
  value       = aws_lb.this.dns_name
}

output "amp_remote_write_url" {
  description = "AMP remote-write endpoint."
  value       = "${local.amp_base_url}/api/v1/remote_write"
}

output "amp_query_url" {
  description = "AMP query endpoint (SigV4, service aps)."
  value       = "${local.amp_base_url}/api/v1/query"
}

output "amp_workspace_id" {
  description = "AMP workspace id."
  value       = aws_prometheus_workspace.this.id
}

output "xray_console_url" {
  description = "X-Ray traces in the CloudWatch console."
  value       = "https://${var.region}.console.aws.amazon.com/cloudwatch/home?region=${var.region}#xray:traces/query"
}

output "loki_internal_url" {
  description = "Loki inside the VPC."
  value       = local.loki_url
}

output "aiops_internal_url" {
  description = "aiops inside the VPC."
  value       = "http://aiops.${local.dns_namespace}:8001"
}

output "cloudwatch_dashboard_url" {
  description = "The generated CloudWatch dashboard, when enable_cloudwatch is on."
  value       = var.enable_cloudwatch ? "https://${var.region}.console.aws.amazon.com/cloudwatch/home?region=${var.region}#dashboards/dashboard/${local.name}" : null
}

output "alerts_topic_arn" {
  description = "SNS topic AMP's alert manager publishes to."
  value       = aws_sns_topic.alerts.arn
}

output "incidents_topic_arn" {
  description = "SNS topic the AI-ops Lambda publishes summaries to (subscribe e-mail/Slack)."
  value       = aws_sns_topic.incidents.arn
}

output "ecr_repository_urls" {
  description = "Where CI pushes each image."
  value       = { for k, r in aws_ecr_repository.this : k => r.repository_url }
}

output "secret_parameters" {
  description = "SSM SecureString parameters (read with aws ssm get-parameter --with-decryption)."
  value       = { for k, p in aws_ssm_parameter.secret : k => p.name }
}
