# One-time set-up per AWS account, applied by a person with admin rights (local state is fine:
# it holds no secrets): the Terraform state bucket and the GitHub OIDC roles CI assumes.
# docs/aws/deploy.md, step 1.
terraform {
  required_version = ">= 1.11.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.28"
    }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  description = "Region of the state bucket."
  type        = string
}

variable "github_repository" {
  description = "owner/name of the repository whose workflows may deploy."
  type        = string
}

variable "state_bucket_name" {
  description = "Globally unique name for the Terraform state bucket."
  type        = string
}

data "aws_caller_identity" "current" {}

# ------------------------------------------------------------------ state
resource "aws_s3_bucket" "state" {
  # checkov:skip=CKV2_AWS_62: nothing consumes events of state writes
  # checkov:skip=CKV_AWS_18: state access is in CloudTrail; a second bucket for access logs is not worth it for one state file
  # checkov:skip=CKV_AWS_144: versioning keeps every state revision; a second region is out of scope for a lab
  bucket = var.state_bucket_name
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  # Its noncurrent-version rule acts on versions: versioning goes on first (the AWS provider's
  # documented order for a versioned bucket).
  depends_on = [aws_s3_bucket_versioning.state]

  bucket = aws_s3_bucket.state.id
  rule {
    id     = "old-state-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 90
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "state_tls_only" {
  bucket = aws_s3_bucket.state.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

# ------------------------------------------------------------------ GitHub OIDC
resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

# The two roles CI assumes: each trusts GitHub's OIDC tokens for this repository's audience,
# and only for one subject.
locals {
  github_roles = {
    # Pull-request workflows: plan with read-only access.
    plan = { sid = "GitHubPullRequests", test = "StringLike", subject = "pull_request" }
    # Only jobs running in the protected `production` environment (deploy.yml on main).
    apply = { sid = "GitHubMainProductionEnvironment", test = "StringEquals", subject = "environment:production" }
  }
}

data "aws_iam_policy_document" "github_trust" {
  for_each = local.github_roles
  statement {
    sid     = each.value.sid
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = each.value.test
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:${var.github_repository}:${each.value.subject}"]
    }
  }
}

resource "aws_iam_role" "github" {
  for_each             = local.github_roles
  name                 = "genai-lab-github-${each.key}"
  assume_role_policy   = data.aws_iam_policy_document.github_trust[each.key].json
  max_session_duration = 3600
}

moved {
  from = aws_iam_role.plan
  to   = aws_iam_role.github["plan"]
}

moved {
  from = aws_iam_role.apply
  to   = aws_iam_role.github["apply"]
}

resource "aws_iam_role_policy_attachment" "plan_read_only" {
  role       = aws_iam_role.github["plan"].name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

data "aws_iam_policy_document" "plan_extra" {
  statement {
    sid       = "StateReadWriteLock"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.state.arn}/*"]
  }
  statement {
    sid       = "StateList"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.state.arn]
  }
  statement {
    sid       = "EcrPush"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart", "ecr:BatchGetImage"]
    resources = ["arn:aws:ecr:*:${data.aws_caller_identity.current.account_id}:repository/genai-lab-*"]
  }
  statement {
    # Refreshing the SecureString parameters decrypts them with the lab's key.
    sid       = "PlanReadSecrets"
    actions   = ["kms:Decrypt"]
    resources = ["arn:aws:kms:*:${data.aws_caller_identity.current.account_id}:key/*"]
    condition {
      test     = "ForAnyValue:StringLike"
      variable = "kms:ResourceAliases"
      values   = ["alias/genai-lab-*"]
    }
  }
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "plan_extra" {
  name   = "state-and-ecr"
  role   = aws_iam_role.github["plan"].id
  policy = data.aws_iam_policy_document.plan_extra.json
}

# Applying creates IAM roles, VPCs, ECS, AMP, Lambda, KMS keys: a scoped-down policy would list
# most of AWS. The guard is the trust policy (main's protected environment only); see
# docs/aws/iam.md, "CI roles".
resource "aws_iam_role_policy_attachment" "apply_admin" {
  # checkov:skip=CKV_AWS_274: the deploy role creates IAM roles, VPCs, KMS keys and more; it is assumable only by main's protected production environment (local.github_roles.apply)
  role       = aws_iam_role.github["apply"].name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

output "state_bucket" {
  description = "Pass as -backend-config=bucket=... (repository variable TF_STATE_BUCKET)."
  value       = aws_s3_bucket.state.bucket
}

output "plan_role_arn" {
  description = "Role pull-request workflows assume."
  value       = aws_iam_role.github["plan"].arn
}

output "apply_role_arn" {
  description = "Role the main-branch deploy assumes (production environment)."
  value       = aws_iam_role.github["apply"].arn
}
