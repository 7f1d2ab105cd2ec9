# Loki's chunks and index (TSDB shipper) on S3, reached with the Loki task role (no keys).
resource "aws_s3_bucket" "loki" {
  # checkov:skip=CKV2_AWS_62: nothing consumes events of Loki's own chunk writes
  # checkov:skip=CKV_AWS_18: access logs of Loki's own reads and writes would cost more than the logs; CloudTrail data events can be enabled per account
  # checkov:skip=CKV_AWS_144: Loki's chunks are telemetry with var.log_retention_days retention, not data worth a second region
  bucket_prefix = "${local.name}-loki-"
  # Off by default: `terraform destroy` keeps a bucket that still has logs (docs/aws/teardown.md).
  force_destroy = var.allow_destroy_data
}

resource "aws_s3_bucket_public_access_block" "loki" {
  bucket                  = aws_s3_bucket.loki.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "loki" {
  bucket = aws_s3_bucket.loki.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "loki" {
  bucket = aws_s3_bucket.loki.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "loki" {
  bucket = aws_s3_bucket.loki.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "loki" {
  bucket = aws_s3_bucket.loki.id
  rule {
    id     = "retention"
    status = "Enabled"
    filter {}
    expiration {
      days = var.log_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 7
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "loki_tls_only" {
  bucket = aws_s3_bucket.loki.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.loki.arn, "${aws_s3_bucket.loki.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}
