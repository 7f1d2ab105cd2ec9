# A module states the oldest versions it works with; the root module that calls it pins
# (infra/terraform/versions.tf). Nothing here needs more than Terraform 1.0 and the AWS
# provider's major version 6, which the lab is written against.
terraform {
  required_version = ">= 1.0.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
  }
}
