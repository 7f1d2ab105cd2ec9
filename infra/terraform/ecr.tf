# One repository per image the tasks run. CI (.github/workflows/deploy.yml) builds each from
# the pinned base in versions.env (infra/images/) and pushes it tagged with the commit SHA.
resource "aws_ecr_repository" "this" {
  for_each = toset(["app", "adot", "loki", "grafana"])

  name                 = "${local.name}/${each.key}"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.allow_destroy_data

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
  }
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each   = aws_ecr_repository.this
  repository = each.value.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the 20 newest images"
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 20 }
      action       = { type = "expire" }
    }]
  })
}
