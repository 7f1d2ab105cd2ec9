locals {
  name = "genai-lab-${var.environment}"

  # Regions each residency allows, and the inference-profile prefixes that keep Bedrock calls
  # inside it (Bedrock user guide, "Supported Regions and models for inference profiles").
  residency_regions = {
    us     = ["us-east-1", "us-east-2", "us-west-2"]
    eu     = ["eu-west-1", "eu-west-3", "eu-central-1", "eu-north-1"]
    global = []
  }
  residency_profile_prefixes = {
    us     = ["us."]
    eu     = ["eu."]
    global = ["global.", "us.", "eu.", "apac."]
  }
  # A model id without a profile prefix is an in-region model: it stays in var.region.
  bedrock_ids_outside_residency = [
    for id in concat(var.bedrock_model_ids, var.aiops_bedrock_model_id == "" ? [] : [var.aiops_bedrock_model_id]) : id
    if can(regex("^[a-z]+\\.[a-z]+\\.", id)) && length([for p in local.residency_profile_prefixes[var.data_residency] : p if startswith(id, p)]) == 0
  ]

  azs = slice(data.aws_availability_zones.available.names, 0, var.az_count)

  # Images: each one built by CI from versions.env (infra/images/*.Dockerfile) and pushed to
  # this account's ECR, tagged with the commit. Nothing is pulled from a public registry at run
  # time (the tasks have no internet route).
  images = { for repo in keys(aws_ecr_repository.this) : repo => "${aws_ecr_repository.this[repo].repository_url}:${var.image_tag}" }

  service_namespace = "genai-lab"
  dns_namespace     = "${var.environment}.genai-lab.internal"
  loki_url          = "http://loki.${local.dns_namespace}:3100"
  grafana_url       = "http://grafana.${local.dns_namespace}:3000"
  amp_query_url     = "${aws_prometheus_workspace.this.prometheus_endpoint}api/v1/query"
  amp_base_url      = trimsuffix(aws_prometheus_workspace.this.prometheus_endpoint, "/")
}

data "aws_availability_zones" "available" {
  # checkov:skip=CKV_AWS_394: only the first var.az_count zones are used (local.azs), so a zone AWS adds later changes nothing
  state = "available"
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

resource "terraform_data" "residency" {
  lifecycle {
    precondition {
      condition     = var.data_residency == "global" || contains(local.residency_regions[var.data_residency], var.region)
      error_message = "region ${var.region} is outside data_residency ${var.data_residency}."
    }
    precondition {
      condition     = length(local.bedrock_ids_outside_residency) == 0
      error_message = "Bedrock ids ${join(", ", local.bedrock_ids_outside_residency)} route outside data_residency ${var.data_residency}."
    }
  }
}
