# One customer-managed key for the lab's data at rest: SSM secrets, log groups, the SNS topics
# and the dead-letter queue, the Lambda's environment. A customer key (not the AWS-managed
# ones) because AMP and CloudWatch Logs must be allowed to use it, which AWS-managed keys
# cannot grant.
resource "aws_kms_key" "lab" {
  description             = "${local.name}: secrets, logs, alert topics"
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy                  = data.aws_iam_policy_document.lab_key.json
}

resource "aws_kms_alias" "lab" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.lab.key_id
}

data "aws_iam_policy_document" "lab_key" {
  # checkov:skip=CKV_AWS_109: the account-root statement is AWS's default key policy (without it the key becomes unmanageable); IAM policies then decide who may use the key
  # checkov:skip=CKV_AWS_111: same statement; in a key policy "*" as resource means this key only
  # checkov:skip=CKV_AWS_356: same: key policies can only name "*" (the key itself) as resource
  statement {
    sid       = "KeyAdminByAccount"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
  statement {
    sid       = "CloudWatchLogsUse"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${data.aws_partition.current.partition}:logs:${var.region}:${data.aws_caller_identity.current.account_id}:log-group:*"]
    }
  }
  statement {
    sid       = "AmpPublishEncrypted"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["aps.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}
