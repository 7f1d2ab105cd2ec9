# The only public entry: HTTPS from var.allowed_ingress_cidrs. Grafana at /, the service's
# OpenAI-compatible API under /v1 (it still requires its bearer key).
resource "aws_lb" "this" {
  # checkov:skip=CKV2_AWS_28: reachable only from var.allowed_ingress_cidrs (security group); add WAF for a public deployment (docs/aws/cost.md prices it)
  # checkov:skip=CKV_AWS_150: a lab is torn down with `terraform destroy` (docs/aws/teardown.md); deletion protection would block that
  # checkov:skip=CKV_AWS_91: access logs need a log bucket with an ELB policy; the service's own request metrics and logs cover the lab
  name                       = local.name
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = module.vpc.public_subnets
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = false
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.grafana.arn
  }
}

resource "aws_lb_listener_rule" "genai_service" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 10

  condition {
    path_pattern {
      values = ["/v1/*", "/readyz", "/healthz"]
    }
  }

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.genai_service.arn
  }
}

resource "aws_lb_target_group" "grafana" {
  name        = "${local.name}-grafana"
  port        = 3000
  protocol    = "HTTP"
  target_type = "ip"
  # checkov:skip=CKV_AWS_378: TLS ends at the load balancer; load balancer to task is inside the VPC, allowed only by security group
  vpc_id = module.vpc.vpc_id

  health_check {
    path    = "/api/health"
    matcher = "200"
  }
}

resource "aws_lb_target_group" "genai_service" {
  name        = "${local.name}-genai"
  port        = 8000
  protocol    = "HTTP"
  target_type = "ip"
  # checkov:skip=CKV_AWS_378: TLS ends at the load balancer; load balancer to task is inside the VPC, allowed only by security group
  vpc_id = module.vpc.vpc_id

  health_check {
    path    = "/readyz"
    matcher = "200"
  }
}
