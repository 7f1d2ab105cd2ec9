variable "region" {
  description = "AWS region for every resource. Must belong to var.data_residency."
  type        = string
  default     = "us-east-1"
}

variable "environment" {
  description = "Deployment environment name: prefixes resource names and becomes deployment.environment.name on every signal."
  type        = string
  default     = "lab"

  validation {
    # 12 at most: load balancer and target group names ("genai-lab-<env>-grafana") are limited
    # to 32 characters.
    condition     = can(regex("^[a-z][a-z0-9-]{1,11}$", var.environment))
    error_message = "environment: 2-12 characters, lower-case letters, digits and dashes, starting with a letter."
  }
}

variable "image_tag" {
  description = "Tag of the images CI pushed to ECR (the git commit SHA): app, adot, loki, grafana."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,128}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag: an immutable tag (e.g. the commit SHA), never \"latest\"."
  }
}

variable "data_residency" {
  description = "Where data and model calls may go: \"us\", \"eu\" or \"global\". Limits var.region and the Bedrock model ids (cross-region inference profiles must stay in the geography)."
  type        = string
  default     = "global"

  validation {
    condition     = contains(["us", "eu", "global"], var.data_residency)
    error_message = "data_residency: one of us, eu, global."
  }
}

variable "llm_provider" {
  description = "What genai-service calls: \"simulated\" (no Bedrock cost) or \"bedrock\"."
  type        = string
  default     = "simulated"

  validation {
    condition     = contains(["simulated", "bedrock"], var.llm_provider)
    error_message = "llm_provider: simulated or bedrock."
  }
}

variable "bedrock_model_ids" {
  description = "Bedrock model or inference-profile ids the service may invoke (IAM is scoped to exactly these). Defaults are app/genai_service/pricing.yaml's bedrock_id values; with data_residency eu/us use the eu./us. profiles and change pricing.yaml to match."
  type        = list(string)
  default = [
    "global.anthropic.claude-haiku-4-5-20251001-v1:0",
    "global.anthropic.claude-sonnet-4-6",
    "global.anthropic.claude-opus-4-6-v1",
    "amazon.titan-embed-text-v2:0",
  ]
}

variable "aiops_bedrock_model_id" {
  description = "Bedrock model the AI-ops summariser uses to write its narrative; empty keeps the offline (deterministic) summariser only."
  type        = string
  default     = ""
}

variable "vpc_cidr" {
  description = "CIDR of the lab's VPC."
  type        = string
  default     = "10.42.0.0/16"
}

variable "az_count" {
  description = "Availability zones to spread subnets and tasks over."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count: 2 or 3 (the load balancer needs two)."
  }
}

variable "certificate_arn" {
  description = "ACM certificate for the HTTPS listener of the public load balancer (Grafana and the service API)."
  type        = string
}

variable "allowed_ingress_cidrs" {
  description = "CIDRs allowed to reach the load balancer (your office or VPN). Never 0.0.0.0/0 for a lab holding an admin token."
  type        = list(string)

  validation {
    condition     = length(var.allowed_ingress_cidrs) > 0 && !contains(var.allowed_ingress_cidrs, "0.0.0.0/0")
    error_message = "allowed_ingress_cidrs: at least one CIDR, and not 0.0.0.0/0."
  }
}

variable "alert_email" {
  description = "Optional e-mail address subscribed to the summarised-incident topic (confirm the subscription mail)."
  type        = string
  default     = ""
}

variable "enable_cloudwatch" {
  description = "Also send metrics as CloudWatch EMF and logs to CloudWatch Logs from the collector, and create the generated CloudWatch dashboard. Off by default (it costs per metric)."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups (container stdout). Loki's S3 objects follow Loki's retention classes (docs/retention.md)."
  type        = number
  default     = 30
}

variable "desired_count" {
  description = "Tasks of genai-service."
  type        = number
  default     = 1
}

variable "lambda_package" {
  description = "Zip of the AI-ops Lambda (scripts/build-lambda.sh writes it)."
  type        = string
  default     = "../build/aiops-lambda.zip"
}

variable "allow_destroy_data" {
  description = "Let `terraform destroy` delete the Loki bucket and the ECR repositories with their contents. Apply with true just before tearing down (docs/aws/teardown.md)."
  type        = bool
  default     = false
}
