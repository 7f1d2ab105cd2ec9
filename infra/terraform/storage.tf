# Loki's chunks and index (TSDB shipper) on S3, reached with the Loki task role (no keys).
resource "aws_s3_bucket" "loki" {
  # checkov:skip=CKV2_AWS_62: nothing consumes events of Loki's own chunk writes
  # checkov:skip=CKV_AWS_18: access logs of Loki's own reads and writes would cost more than the logs; CloudTrail data events can be enabled per account
  # checkov:skip=CKV_AWS_144: Loki's chunks are telemetry kept by retention class (docs/retention.md), not data worth a second region
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

# Loki's compactor deletes each stream when its class's period is over (docs/retention.md: audit
# 7 years, call records 365 days, other logs 30); the bucket only moves objects to colder
# storage and expires what Loki left behind, never ahead of Loki. The same rules as
# loki/aws/s3-lifecycle.json (tests/infra checks they agree).
resource "aws_s3_bucket_lifecycle_configuration" "loki" {
  # Its noncurrent-version rule acts on versions: versioning goes on first (the AWS provider's
  # documented order for a versioned bucket).
  depends_on = [aws_s3_bucket_versioning.loki]

  bucket = aws_s3_bucket.loki.id
  rule {
    id     = "loki-cold-after-30-days"
    status = "Enabled"
    filter {}
    transition {
      days          = 30
      storage_class = "STANDARD_IA"
    }
    transition {
      days          = 365
      storage_class = "GLACIER_IR"
    }
  }
  rule {
    id     = "loki-backstop-expiry"
    status = "Enabled"
    filter {}
    expiration {
      days = 2565
    }
  }
  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
  rule {
    # Versions Loki's compactor deleted: kept a week against a mistaken delete, then gone.
    id     = "noncurrent-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 7
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
