# AI-ops on AWS: AMP's alert manager -> SNS (alerts) -> Lambda running aiops's summariser
# (app/aiops/aws_lambda.py) -> SNS (incidents: e-mail, Slack through Chatbot) and a Grafana
# annotation.
resource "aws_sns_topic" "alerts" {
  name              = "${local.name}-alerts"
  kms_master_key_id = aws_kms_key.lab.id
}

data "aws_iam_policy_document" "alerts_topic" {
  statement {
    sid       = "AmpPublish"
    actions   = ["sns:Publish", "sns:GetTopicAttributes"]
    resources = [aws_sns_topic.alerts.arn]
    principals {
      type        = "Service"
      identifiers = ["aps.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_prometheus_workspace.this.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts_topic.json
}

resource "aws_sns_topic" "incidents" {
  name              = "${local.name}-incidents"
  kms_master_key_id = aws_kms_key.lab.id
}

resource "aws_sns_topic_subscription" "incidents_email" {
  count     = var.alert_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.incidents.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

# ------------------------------------------------------------------ the Lambda
resource "aws_sqs_queue" "aiops_dlq" {
  name                      = "${local.name}-aiops-dlq"
  message_retention_seconds = 1209600
  kms_master_key_id         = aws_kms_key.lab.id
}

resource "aws_lambda_function" "aiops" {
  # checkov:skip=CKV_AWS_272: the package is built and deployed by the same CI job from the reviewed commit; code signing needs an AWS Signer profile the lab does not create
  function_name = "${local.name}-aiops"
  role          = aws_iam_role.aiops_lambda.arn
  # Built by scripts/build-lambda.sh (CI does it before plan): app/aiops + locked dependencies.
  filename                       = var.lambda_package
  source_code_hash               = filebase64sha256(var.lambda_package)
  handler                        = "aiops.aws_lambda.handler"
  runtime                        = "python3.11"
  architectures                  = ["x86_64"]
  timeout                        = 60
  memory_size                    = 512
  reserved_concurrent_executions = 5
  kms_key_arn                    = aws_kms_key.lab.arn

  tracing_config {
    mode = "Active"
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.aiops_dlq.arn
  }

  vpc_config {
    subnet_ids         = module.vpc.private_subnets
    security_group_ids = [aws_security_group.tasks.id]
  }

  environment {
    variables = {
      INCIDENTS_TOPIC_ARN       = aws_sns_topic.incidents.arn
      PROMETHEUS_URL            = local.amp_base_url
      PROMETHEUS_SIGV4_SERVICE  = "aps"
      LOKI_URL                  = local.loki_url
      TEMPO_URL                 = ""
      GRAFANA_URL               = local.grafana_url
      GRAFANA_TOKEN_PARAMETER   = aws_ssm_parameter.grafana_token.name
      BEDROCK_MODEL_ID          = var.aiops_bedrock_model_id
      INCIDENTS_DIR             = "/tmp/incidents"
      RUNBOOKS_DIR              = "/var/task/runbooks"
      DEPLOYMENT_ENVIRONMENT    = var.environment
      OTEL_SDK_DISABLED         = "true"
      AWS_EC2_METADATA_DISABLED = "true"
    }
  }

  depends_on = [aws_cloudwatch_log_group.lab["aiops_lambda"]]
}

resource "aws_lambda_permission" "alerts" {
  statement_id  = "AllowAlertsTopic"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.aiops.function_name
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.alerts.arn
}

resource "aws_sns_topic_subscription" "alerts_to_lambda" {
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "lambda"
  endpoint  = aws_lambda_function.aiops.arn
}
