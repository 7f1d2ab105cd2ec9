# The VPC from the official module (pinned exactly; docs/aws/adr/0005-modules-vs-resources.md),
# everything else as plain resources. Tasks and the Lambda run in private subnets with no route
# to the internet: they reach AWS APIs through VPC endpoints only.
module "vpc" {
  # checkov:skip=CKV_TF_1: a registry module pinned to an exact version (registry versions are immutable); a git hash would bypass the registry
  source  = "terraform-aws-modules/vpc/aws"
  version = "6.6.0"

  name = local.name
  cidr = var.vpc_cidr
  azs  = local.azs

  private_subnets = [for i in range(var.az_count) : cidrsubnet(var.vpc_cidr, 4, i)]
  public_subnets  = [for i in range(var.az_count) : cidrsubnet(var.vpc_cidr, 8, 200 + i)]

  # No NAT: private subnets have no internet route; AWS APIs go through the endpoints below.
  enable_nat_gateway   = false
  enable_dns_hostnames = true
  enable_dns_support   = true

  # Rejected flows are what a least-privilege network needs to debug.
  enable_flow_log                                 = true
  create_flow_log_cloudwatch_log_group            = true
  create_flow_log_cloudwatch_iam_role             = true
  flow_log_traffic_type                           = "REJECT"
  flow_log_cloudwatch_log_group_retention_in_days = var.log_retention_days

  # The default security group gets no rules at all.
  manage_default_security_group  = true
  default_security_group_ingress = []
  default_security_group_egress  = []
}

module "vpc_endpoints" {
  # checkov:skip=CKV_TF_1: a registry module pinned to an exact version (registry versions are immutable); a git hash would bypass the registry
  source  = "terraform-aws-modules/vpc/aws//modules/vpc-endpoints"
  version = "6.6.0"

  vpc_id             = module.vpc.vpc_id
  subnet_ids         = module.vpc.private_subnets
  security_group_ids = [aws_security_group.endpoints.id]

  endpoints = merge(
    {
      # Gateway endpoint: ECR image layers live in S3, and so do Loki's chunks.
      s3 = {
        service         = "s3"
        service_type    = "Gateway"
        route_table_ids = module.vpc.private_route_table_ids
        tags            = { Name = "${local.name}-s3" }
      }
    },
    {
      # Interface endpoints, one per API the tasks and the Lambda call.
      for svc in local.interface_endpoints : replace(svc, ".", "_") => {
        service             = svc
        private_dns_enabled = true
        tags                = { Name = "${local.name}-${svc}" }
      }
    },
  )
}

locals {
  interface_endpoints = [
    "ecr.api",         # image manifests (execution role)
    "ecr.dkr",         # image pulls
    "logs",            # awslogs driver; the collector's awscloudwatchlogs/awsemf when enabled
    "ssm",             # task secrets; the Grafana token the aiops task writes, the Lambda reads
    "aps-workspaces",  # AMP remote write (collector), queries (Grafana, AI-ops)
    "xray",            # traces (collector), the X-Ray datasource (Grafana)
    "bedrock-runtime", # model calls (service, AI-ops summariser)
    "sns",             # the AI-ops Lambda publishes summaries
  ]
}

# ------------------------------------------------------------------ security groups
# Descriptions use only what EC2 accepts there (no apostrophes; tests/infra checks).
resource "aws_security_group" "alb" {
  name        = "${local.name}-alb"
  description = "Public load balancer: HTTPS from allowed CIDRs only"
  vpc_id      = module.vpc.vpc_id
}

resource "aws_security_group" "tasks" {
  name        = "${local.name}-tasks"
  description = "ECS tasks and the AI-ops Lambda"
  vpc_id      = module.vpc.vpc_id
}

resource "aws_security_group" "endpoints" {
  # checkov:skip=CKV2_AWS_5: attached to every interface endpoint through module.vpc_endpoints (security_group_ids), which checkov cannot follow
  name        = "${local.name}-endpoints"
  description = "VPC interface endpoints: HTTPS from the lab tasks"
  vpc_id      = module.vpc.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each          = toset(var.allowed_ingress_cidrs)
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from an allowed CIDR"
  cidr_ipv4         = each.value
  from_port         = 443
  to_port           = 443
  ip_protocol       = "tcp"
}

resource "aws_vpc_security_group_egress_rule" "tasks_to_s3" {
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS to S3 through the gateway endpoint (ECR layers, Loki storage)"
  prefix_list_id    = module.vpc_endpoints.endpoints["s3"].prefix_list_id
  from_port         = 443
  to_port           = 443
  ip_protocol       = "tcp"
}

# Traffic from one of the lab's security groups to another (or within one), each flow opened on
# both sides: egress from its source group, ingress to its destination group.
locals {
  security_groups = {
    alb       = aws_security_group.alb.id
    tasks     = aws_security_group.tasks.id
    endpoints = aws_security_group.endpoints.id
  }
  security_group_flows = {
    alb-grafana   = { from = "alb", to = "tasks", port = 3000, what = "Grafana from the load balancer" }
    alb-genai     = { from = "alb", to = "tasks", port = 8000, what = "genai-service from the load balancer" }
    tasks-loki    = { from = "tasks", to = "tasks", port = 3100, what = "Loki from the collectors, Grafana and AI-ops" }
    tasks-grafana = { from = "tasks", to = "tasks", port = 3000, what = "Grafana from AI-ops (annotations)" }
    tasks-aiops   = { from = "tasks", to = "tasks", port = 8001, what = "aiops from Grafana (incident links)" }
    endpoints     = { from = "tasks", to = "endpoints", port = 443, what = "HTTPS from the tasks and Lambda to the VPC interface endpoints" }
  }
}

resource "aws_vpc_security_group_egress_rule" "flow" {
  for_each                     = local.security_group_flows
  security_group_id            = local.security_groups[each.value.from]
  description                  = each.value.what
  referenced_security_group_id = local.security_groups[each.value.to]
  from_port                    = each.value.port
  to_port                      = each.value.port
  ip_protocol                  = "tcp"
}

resource "aws_vpc_security_group_ingress_rule" "flow" {
  for_each                     = local.security_group_flows
  security_group_id            = local.security_groups[each.value.to]
  description                  = each.value.what
  referenced_security_group_id = local.security_groups[each.value.from]
  from_port                    = each.value.port
  to_port                      = each.value.port
  ip_protocol                  = "tcp"
}

moved {
  from = aws_vpc_security_group_egress_rule.alb_to_tasks["grafana"]
  to   = aws_vpc_security_group_egress_rule.flow["alb-grafana"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.tasks_from_alb["grafana"]
  to   = aws_vpc_security_group_ingress_rule.flow["alb-grafana"]
}

moved {
  from = aws_vpc_security_group_egress_rule.alb_to_tasks["genai"]
  to   = aws_vpc_security_group_egress_rule.flow["alb-genai"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.tasks_from_alb["genai"]
  to   = aws_vpc_security_group_ingress_rule.flow["alb-genai"]
}

moved {
  from = aws_vpc_security_group_egress_rule.tasks_internal["loki"]
  to   = aws_vpc_security_group_egress_rule.flow["tasks-loki"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.tasks_internal["loki"]
  to   = aws_vpc_security_group_ingress_rule.flow["tasks-loki"]
}

moved {
  from = aws_vpc_security_group_egress_rule.tasks_internal["grafana"]
  to   = aws_vpc_security_group_egress_rule.flow["tasks-grafana"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.tasks_internal["grafana"]
  to   = aws_vpc_security_group_ingress_rule.flow["tasks-grafana"]
}

moved {
  from = aws_vpc_security_group_egress_rule.tasks_internal["aiops"]
  to   = aws_vpc_security_group_egress_rule.flow["tasks-aiops"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.tasks_internal["aiops"]
  to   = aws_vpc_security_group_ingress_rule.flow["tasks-aiops"]
}

moved {
  from = aws_vpc_security_group_egress_rule.tasks_to_endpoints
  to   = aws_vpc_security_group_egress_rule.flow["endpoints"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.endpoints_from_tasks
  to   = aws_vpc_security_group_ingress_rule.flow["endpoints"]
}
