# The secrets .env holds locally, as SSM SecureString parameters injected into the task
# definitions' `secrets` (docs/aws/adr/0002-ssm-vs-secrets-manager.md). Generated here once;
# they live in the state, which is why the state bucket is encrypted and private.
locals {
  generated_secrets = toset(["ADMIN_TOKEN", "LAB_API_KEY", "GRAFANA_ADMIN_PASSWORD", "AIOPS_WEBHOOK_TOKEN"])
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
