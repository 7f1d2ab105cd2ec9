# One Fargate service: its task definition (containers built by the caller), the service in
# private subnets, a DNS name in the lab's private namespace and, optionally, a load balancer
# target.
resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn
  container_definitions    = jsonencode(var.containers)

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  dynamic "volume" {
    # Fargate task storage (ephemeral): the root filesystems are read-only, so everything a
    # container writes goes to one of these.
    for_each = toset(var.volumes)
    content {
      name = volume.value
    }
  }
}

resource "aws_service_discovery_service" "this" {
  name = var.discovery_name

  dns_config {
    namespace_id   = var.namespace_id
    routing_policy = "MULTIVALUE"
    dns_records {
      type = "A"
      ttl  = 10
    }
  }

  # ECS reports task health to Cloud Map (failure_threshold is fixed at 1 by AWS and deprecated).
  health_check_custom_config {}
}

resource "aws_ecs_service" "this" {
  name                   = var.name
  cluster                = var.cluster_arn
  task_definition        = aws_ecs_task_definition.this.arn
  desired_count          = var.desired_count
  launch_type            = "FARGATE"
  platform_version       = "LATEST"
  enable_execute_command = false
  propagate_tags         = "SERVICE"

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = false
  }

  service_registries {
    registry_arn = aws_service_discovery_service.this.arn
  }

  dynamic "load_balancer" {
    for_each = var.target_group_arn == null ? [] : [1]
    content {
      target_group_arn = var.target_group_arn
      container_name   = var.lb_container_name
      container_port   = var.lb_container_port
    }
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
}
