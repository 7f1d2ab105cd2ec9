# Every role of this module and what it may do, least privilege: one role per ECS task, and the
# AI-ops Lambda's. Resource policies (the alerts topic's, the lab key's) stay beside their
# resources. Every statement has a sid, and docs/aws/iam.md says why each one exists;
# tests/infra/test_terraform.py fails on an undocumented sid, on any wildcard action, and on
# `resources = ["*"]` where docs/aws/iam.md does not explain it.

data "aws_iam_policy_document" "ecs_assume" {
  statement {
    sid     = "EcsTasksAssume"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

# ------------------------------------------------------------------ the roles ECS tasks use
# The execution role (the ECS agent: image pulls, logs, secrets) and one role per task, each
# with the inline policy of the document below that bears its name.
locals {
  ecs_role_policies = {
    execution     = data.aws_iam_policy_document.execution.json
    genai-service = data.aws_iam_policy_document.genai_service.json
    aiops         = data.aws_iam_policy_document.aiops.json
    loki          = data.aws_iam_policy_document.loki.json
    grafana       = data.aws_iam_policy_document.grafana.json
  }
}

resource "aws_iam_role" "ecs" {
  for_each           = local.ecs_role_policies
  name               = "${local.name}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.ecs_assume.json
}

resource "aws_iam_role_policy" "ecs" {
  for_each = local.ecs_role_policies
  name     = each.key
  role     = aws_iam_role.ecs[each.key].id
  policy   = each.value
}

moved {
  from = aws_iam_role.execution
  to   = aws_iam_role.ecs["execution"]
}

moved {
  from = aws_iam_role_policy.execution
  to   = aws_iam_role_policy.ecs["execution"]
}

moved {
  from = aws_iam_role.genai_service
  to   = aws_iam_role.ecs["genai-service"]
}

moved {
  from = aws_iam_role_policy.genai_service
  to   = aws_iam_role_policy.ecs["genai-service"]
}

moved {
  from = aws_iam_role.aiops
  to   = aws_iam_role.ecs["aiops"]
}

moved {
  from = aws_iam_role_policy.aiops
  to   = aws_iam_role_policy.ecs["aiops"]
}

moved {
  from = aws_iam_role.loki
  to   = aws_iam_role.ecs["loki"]
}

moved {
  from = aws_iam_role_policy.loki
  to   = aws_iam_role_policy.ecs["loki"]
}

moved {
  from = aws_iam_role.grafana
  to   = aws_iam_role.ecs["grafana"]
}

moved {
  from = aws_iam_role_policy.grafana
  to   = aws_iam_role_policy.ecs["grafana"]
}

# ------------------------------------------------------------------ execution role (ECS agent)
data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "EcrAuthToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "EcrPull"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [for r in aws_ecr_repository.this : r.arn]
  }
  statement {
    sid       = "ContainerLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.lab["tasks"].arn}:*"]
  }
  statement {
    sid       = "InjectSecrets"
    actions   = ["ssm:GetParameters"]
    resources = concat([for p in aws_ssm_parameter.secret : p.arn], [aws_ssm_parameter.api_keys.arn])
  }
  statement {
    sid       = "DecryptSecrets"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.lab.arn]
  }
}

# ------------------------------------------------------------------ what every ADOT sidecar needs
locals {
  bedrock_model_arns = [
    for id in var.bedrock_model_ids :
    can(regex("^[a-z]+\\.[a-z]+\\.", id))
    ? "arn:${data.aws_partition.current.partition}:bedrock:${var.region}:${data.aws_caller_identity.current.account_id}:inference-profile/${id}"
    : "arn:${data.aws_partition.current.partition}:bedrock:${var.region}::foundation-model/${id}"
  ]
  # An inference profile routes to the foundation model in whichever region serves the call:
  # the model ARN in every region is needed too (Bedrock user guide, "Prerequisites for
  # inference profiles"). The profile prefix already limits which regions those are.
  bedrock_profile_model_arns = [
    for id in var.bedrock_model_ids :
    "arn:${data.aws_partition.current.partition}:bedrock:*::foundation-model/${replace(id, "/^[a-z]+\\./", "")}"
    if can(regex("^[a-z]+\\.[a-z]+\\.", id))
  ]
  aiops_model_arns = var.aiops_bedrock_model_id == "" ? [] : (
    can(regex("^[a-z]+\\.[a-z]+\\.", var.aiops_bedrock_model_id))
    ? [
      "arn:${data.aws_partition.current.partition}:bedrock:${var.region}:${data.aws_caller_identity.current.account_id}:inference-profile/${var.aiops_bedrock_model_id}",
      "arn:${data.aws_partition.current.partition}:bedrock:*::foundation-model/${replace(var.aiops_bedrock_model_id, "/^[a-z]+\\./", "")}",
    ]
    : ["arn:${data.aws_partition.current.partition}:bedrock:${var.region}::foundation-model/${var.aiops_bedrock_model_id}"]
  )
}

data "aws_iam_policy_document" "collector" {
  source_policy_documents = data.aws_iam_policy_document.collector_cloudwatch[*].json
  statement {
    sid       = "AmpRemoteWrite"
    actions   = ["aps:RemoteWrite"]
    resources = [aws_prometheus_workspace.this.arn]
  }
  statement {
    sid       = "XRayWrite"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

# Optional statements are documents of their own, counted in or out and joined through
# source_policy_documents: checkov reads a counted document's statements, but not a
# dynamic "statement" block's.
data "aws_iam_policy_document" "collector_cloudwatch" {
  count = var.enable_cloudwatch ? 1 : 0
  statement {
    sid       = "CloudWatchEmfAndLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.lab["collector"].arn}:*"]
  }
}

# ------------------------------------------------------------------ genai-service
data "aws_iam_policy_document" "genai_service" {
  source_policy_documents = [data.aws_iam_policy_document.collector.json]
  statement {
    sid       = "BedrockInvoke"
    actions   = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    resources = concat(local.bedrock_model_arns, local.bedrock_profile_model_arns)
  }
}

# ------------------------------------------------------------------ aiops (ECS) and the Lambda
data "aws_iam_policy_document" "aiops_read" {
  source_policy_documents = data.aws_iam_policy_document.aiops_bedrock[*].json
  statement {
    sid       = "AmpQuery"
    actions   = ["aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata"]
    resources = [aws_prometheus_workspace.this.arn]
  }
}

data "aws_iam_policy_document" "aiops_bedrock" {
  count = length(local.aiops_model_arns) > 0 ? 1 : 0
  statement {
    sid       = "AiopsBedrockInvoke"
    actions   = ["bedrock:InvokeModel"]
    resources = local.aiops_model_arns
  }
}

# The task's grafana-token step publishes aiops's Grafana token for the Lambda: it may
# overwrite that one parameter, encrypting with the lab key for that parameter only.
data "aws_iam_policy_document" "aiops" {
  source_policy_documents = [data.aws_iam_policy_document.collector.json, data.aws_iam_policy_document.aiops_read.json]
  statement {
    sid       = "GrafanaTokenWrite"
    actions   = ["ssm:PutParameter"]
    resources = [aws_ssm_parameter.grafana_token.arn]
  }
  statement {
    sid       = "GrafanaTokenEncrypt"
    actions   = ["kms:Encrypt"]
    resources = [aws_kms_key.lab.arn]
    # Parameter Store encrypts with the parameter's ARN as encryption context.
    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:PARAMETER_ARN"
      values   = [aws_ssm_parameter.grafana_token.arn]
    }
  }
}

# The AI-ops Lambda (alerting.tf) reads what the aiops task reads, and publishes its summaries.
data "aws_iam_policy_document" "lambda_assume" {
  statement {
    sid     = "LambdaAssume"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "aiops_lambda" {
  name               = "${local.name}-aiops-lambda"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "aiops_lambda" {
  source_policy_documents = [data.aws_iam_policy_document.aiops_read.json]
  statement {
    sid       = "LambdaLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.lab["aiops_lambda"].arn}:*"]
  }
  statement {
    # checkov:skip=CKV_AWS_111: Lambda's VPC ENI actions have no resource-level scoping (AWSLambdaVPCAccessExecutionRole uses "*" too); docs/aws/iam.md
    # checkov:skip=CKV_AWS_356: same statement: ec2 network-interface actions accept only "*" as resource
    sid = "LambdaVpcNetworkInterfaces"
    actions = [
      "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }
  statement {
    sid       = "PublishIncidents"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.incidents.arn]
  }
  statement {
    sid       = "LabKeyUse"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.lab.arn]
  }
  statement {
    sid       = "DeadLetter"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.aiops_dlq.arn]
  }
  statement {
    # The service-account token only, never the admin password (docs/aws/iam.md).
    sid       = "GrafanaTokenRead"
    actions   = ["ssm:GetParameter"]
    resources = [aws_ssm_parameter.grafana_token.arn]
  }
}

resource "aws_iam_role_policy" "aiops_lambda" {
  name   = "aiops-lambda"
  role   = aws_iam_role.aiops_lambda.id
  policy = data.aws_iam_policy_document.aiops_lambda.json
}

# ------------------------------------------------------------------ loki
data "aws_iam_policy_document" "loki" {
  statement {
    sid       = "LokiListBucket"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.loki.arn]
  }
  statement {
    sid       = "LokiObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.loki.arn}/*"]
  }
  # The ruler's recording rules reach AMP by remote write; AMP's ruler alerts on them
  # (loki/aws/amp-rules.yml). Loki's ruler cannot sign alerts for AMP's alert manager.
  statement {
    sid       = "LokiAmpRemoteWrite"
    actions   = ["aps:RemoteWrite"]
    resources = [aws_prometheus_workspace.this.arn]
  }
}

# ------------------------------------------------------------------ grafana
data "aws_iam_policy_document" "grafana" {
  statement {
    sid       = "GrafanaAmpQuery"
    actions   = ["aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata"]
    resources = [aws_prometheus_workspace.this.arn]
  }
  statement {
    sid = "GrafanaXRayRead"
    actions = [
      "xray:BatchGetTraces", "xray:GetTraceSummaries", "xray:GetTraceGraph", "xray:GetGroups",
      "xray:GetServiceGraph", "xray:GetTimeSeriesServiceStatistics", "xray:GetInsightSummaries",
    ]
    resources = ["*"]
  }
}
