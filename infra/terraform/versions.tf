terraform {
  # 1.11: S3-native state locking (`use_lockfile`) is generally available; DynamoDB locking is
  # deprecated from this release on (docs/aws/adr/0001-terraform-state.md).
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # The VPC module 6.6.0 needs >= 6.28 (terraform-aws-vpc v6.6.0 versions.tf).
      version = "~> 6.28"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
  }

  # Partial configuration: bucket, key and region come from `terraform init -backend-config=...`
  # (docs/aws/deploy.md), so one root module serves every environment.
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      project     = "genai-observability-lab"
      environment = var.environment
      managed-by  = "terraform"
    }
  }
}
