# The secrets .env holds locally, as SSM SecureString parameters injected into the task
# definitions' `secrets` (docs/aws/adr/0002-ssm-vs-secrets-manager.md). Generated here once;
# they live in the state, which is why the state bucket is encrypted and private.
locals {
  generated_secrets = toset([
    "ADMIN_TOKEN", "LAB_API_KEY", "GRAFANA_ADMIN_PASSWORD", "AIOPS_WEBHOOK_TOKEN", "USER_ID_HASH_KEY",
    "LAB_KEY_ACME", "LAB_KEY_GLOBEX", "LAB_KEY_INITECH",
  ])
}

resource "random_password" "secret" {
  for_each = local.generated_secrets
  length   = 40
  special  = false
}

resource "aws_ssm_parameter" "secret" {
  for_each = local.generated_secrets
  name     = "/${local.name}/${each.key}"
  type     = "SecureString"
  key_id   = aws_kms_key.lab.arn
  value    = random_password.secret[each.key].result
}

# The service's API_KEYS as docker-compose.yml builds it from the generated tenant keys: each
# tenant Locust plays has its own key (key:tenant:tier), so no key can spend another tenant's
# budget. Injected whole, like the secrets it is made of.
resource "aws_ssm_parameter" "api_keys" {
  name   = "/${local.name}/API_KEYS"
  type   = "SecureString"
  key_id = aws_kms_key.lab.arn
  value = join(",", [
    for tenant in ["acme", "globex", "initech"] :
    "${random_password.secret["LAB_KEY_${upper(tenant)}"].result}:${tenant}:enterprise"
  ])
}

# aiops's Grafana service-account token, for the AI-ops Lambda: the Lambda reads this, never
# the admin password. Terraform only creates the parameter; the grafana-token step of the
# aiops task (app/aiops/grafana_token.py) overwrites it with a fresh token each time the task
# starts, so Terraform never puts its placeholder back. Until the first task start the
# Lambda's annotations fail (logged as grafana_annotation_failed; the incident still goes out).
resource "aws_ssm_parameter" "grafana_token" {
  name   = "/${local.name}/GRAFANA_ANNOTATION_TOKEN"
  type   = "SecureString"
  key_id = aws_kms_key.lab.arn
  value  = "unset: the aiops task's grafana-token step writes the token"

  lifecycle {
    ignore_changes = [value]
  }
}
