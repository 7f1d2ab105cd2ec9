# The lab's services on ECS Fargate. Environment and secrets mirror what docker-compose.yml
# gives each service (tests/infra/test_terraform.py compares them key by key); only endpoints
# change: localhost for the collector sidecar, AMP, Loki's DNS name, no Tempo.
resource "aws_ecs_cluster" "this" {
  # checkov:skip=CKV_AWS_65: Container Insights is billed per metric; it is on with enable_cloudwatch, off in the default lab
  name = local.name

  setting {
    name  = "containerInsights"
    value = var.enable_cloudwatch ? "enhanced" : "disabled"
  }
}

resource "aws_service_discovery_private_dns_namespace" "this" {
  name = local.dns_namespace
  vpc  = module.vpc.vpc_id
}

locals {
  otel_resource_attributes = "service.namespace=${local.service_namespace},deployment.environment.name=${var.environment}"

  # What every Python service's OpenTelemetry SDK reads: export to the ADOT sidecar. Each
  # service's environment below is merged over it.
  otel_sdk_env = {
    OTEL_RESOURCE_ATTRIBUTES    = local.otel_resource_attributes
    OTEL_EXPORTER_OTLP_ENDPOINT = "http://localhost:4317"
    OTEL_EXPORTER_OTLP_PROTOCOL = "grpc"
    OTEL_TRACES_EXPORTER        = "otlp"
    OTEL_METRICS_EXPORTER       = "otlp"
    OTEL_LOGS_EXPORTER          = "otlp"
    OTEL_METRIC_EXPORT_INTERVAL = "5000"
    DEPLOYMENT_ENVIRONMENT      = var.environment
    AWS_REGION                  = var.region
    AWS_EC2_METADATA_DISABLED   = "true"
    PYTHONUNBUFFERED            = "1"
  }

  # With otel_sdk_env, the same keys as docker-compose.yml's genai-service environment.
  genai_service_env = {
    OTEL_SERVICE_NAME                                  = "genai-service"
    OTEL_PYTHON_ID_GENERATOR                           = "xray"
    OTEL_PROPAGATORS                                   = "tracecontext,baggage,xray"
    OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT = "false"
    REQUIRE_API_KEY                                    = "true"
    KNOWN_TENANTS                                      = "acme,globex,initech,lab,anonymous"
    DAILY_BUDGET_USD                                   = "250"
    LLM_PROVIDER                                       = var.llm_provider
  }
  genai_service_secrets = {
    ADMIN_TOKEN      = aws_ssm_parameter.secret["ADMIN_TOKEN"].arn
    LAB_API_KEY      = aws_ssm_parameter.secret["LAB_API_KEY"].arn
    API_KEYS         = aws_ssm_parameter.api_keys.arn
    USER_ID_HASH_KEY = aws_ssm_parameter.secret["USER_ID_HASH_KEY"].arn
  }

  # With otel_sdk_env, the same keys as docker-compose.yml's aiops environment.
  aiops_env = {
    OTEL_SERVICE_NAME = "aiops"
    PROMETHEUS_URL    = local.amp_base_url
    LOKI_URL          = local.loki_url
    # No Tempo on AWS: traces are in X-Ray; the summary lists traces as unavailable context.
    TEMPO_URL          = ""
    GRAFANA_URL        = local.grafana_url
    GRAFANA_TOKEN_FILE = "/var/lib/aiops-grafana/grafana-token"
    # Links in incident pages open Grafana through the load balancer, as people reach it.
    GRAFANA_PUBLIC_URL = "https://${aws_lb.this.dns_name}"
    INCIDENTS_DIR      = "/var/lib/aiops/incidents"
    RUNBOOKS_DIR       = "/opt/lab/runbooks"
    # AWS only: AMP answers SigV4-signed queries only (app/aiops/sigv4.py).
    PROMETHEUS_SIGV4_SERVICE = "aps"
    BEDROCK_MODEL_ID         = var.aiops_bedrock_model_id
  }
  aiops_secrets = {
    AIOPS_WEBHOOK_TOKEN = aws_ssm_parameter.secret["AIOPS_WEBHOOK_TOKEN"].arn
  }

  # Same keys as docker-compose.yml's grafana-token job: it runs first in aiops's task, creates
  # aiops's Grafana service account and writes its token to a volume that only the two of them
  # mount, so aiops never holds the admin password (app/aiops/grafana_token.py).
  # On AWS it also writes the token to an SSM parameter for the AI-ops Lambda.
  grafana_token_env = {
    GRAFANA_URL             = local.grafana_url
    GRAFANA_TOKEN_FILE      = "/var/lib/aiops/grafana-token"
    GRAFANA_TOKEN_PARAMETER = aws_ssm_parameter.grafana_token.name
    GRAFANA_TOKEN_KMS_KEY   = aws_kms_key.lab.arn
    AWS_REGION              = var.region
  }
  grafana_token_secrets = {
    GRAFANA_ADMIN_PASSWORD = aws_ssm_parameter.secret["GRAFANA_ADMIN_PASSWORD"].arn
  }

  # One timing for every container's health check (ECS counts in seconds); each container
  # adds its command.
  health_timing = { interval = 10, timeout = 5, retries = 6, startPeriod = 60 }

  # The collector sidecar: the same adot/otel-config.yaml plus the AWS overlay, plus the ECS
  # overlay (no Prometheus or Tempo in the task) and, when enabled, the CloudWatch overlay.
  adot_configs = concat(
    ["/etc/adot/otel-config.yaml", "/etc/adot/otel-config.aws.yaml", "/etc/adot/otel-config.ecs.yaml"],
    var.enable_cloudwatch ? ["/etc/adot/otel-config.cloudwatch.yaml"] : [],
  )
  adot_env = {
    DEPLOYMENT_ENVIRONMENT = var.environment
    AWS_REGION             = var.region
    AMP_REMOTE_WRITE_URL   = "${local.amp_base_url}/api/v1/remote_write"
    LOKI_OTLP_ENDPOINT     = "${local.loki_url}/otlp"
    CLOUDWATCH_LOG_GROUP   = var.enable_cloudwatch ? aws_cloudwatch_log_group.lab["collector"].name : ""
    GOMEMLIMIT             = "210MiB"
    # Credentials come from the task role through the ECS credentials endpoint, never IMDS.
    AWS_EC2_METADATA_DISABLED = "true"
  }

  # Same keys as docker-compose.yml + docker-compose.aws.yml give loki (S3 storage), less the
  # MinIO and static AWS keys (the task role replaces them).
  loki_env = {
    LOKI_S3_BUCKET = aws_s3_bucket.loki.bucket
    # The ruler's recorded series (users over budget) for AMP's ruler (loki/loki.aws.yaml).
    AMP_REMOTE_WRITE_URL = "${local.amp_base_url}/api/v1/remote_write"
    AWS_REGION           = var.region
    GOMEMLIMIT           = "820MiB"
  }

  # Same keys as docker-compose.yml gives grafana, plus what grafana/aws/datasources.yaml reads.
  grafana_env = {
    GF_SECURITY_ADMIN_USER = "admin"
    # Behind a load balancer anonymous visitors would reach the datasource proxy (and through
    # it Loki's GET /ingester/shutdown): off, as in compose, with no opt-in on AWS.
    GF_AUTH_ANONYMOUS_ENABLED = "false"
    # Dashboards are baked under /var/lib/grafana/dashboards; the writable database goes to
    # the task volume instead of over them.
    GF_PATHS_DATA      = "/var/lib/grafana-data"
    GF_SERVER_ROOT_URL = "https://${aws_lb.this.dns_name}/"
    AMP_QUERY_URL      = local.amp_base_url
    LOKI_URL           = local.loki_url
    AWS_REGION         = var.region
    GOMEMLIMIT         = "820MiB"
  }
  grafana_secrets = {
    GF_SECURITY_ADMIN_PASSWORD = aws_ssm_parameter.secret["GRAFANA_ADMIN_PASSWORD"].arn
  }

  log_config = {
    logDriver = "awslogs"
    options = {
      awslogs-group         = aws_cloudwatch_log_group.lab["tasks"].name
      awslogs-region        = var.region
      awslogs-stream-prefix = "lab"
    }
  }

  adot_container = {
    name                   = "adot"
    image                  = local.images["adot"]
    essential              = true
    command                = [for c in local.adot_configs : "--config=${c}"]
    environment            = [for k, v in local.adot_env : { name = k, value = v }]
    readonlyRootFilesystem = true
    user                   = "4317"
    memoryReservation      = 256
    mountPoints            = [{ sourceVolume = "adot-queue", containerPath = "/home/aoc", readOnly = false }]
    healthCheck            = merge(local.health_timing, { command = ["CMD", "/healthcheck"], startPeriod = 30 })
    logConfiguration       = local.log_config
  }
}

module "genai_service" {
  source = "./modules/ecs_service"

  name               = "${local.name}-genai-service"
  discovery_name     = "genai-service"
  cluster_arn        = aws_ecs_cluster.this.arn
  cpu                = 512
  memory             = 1024
  desired_count      = var.desired_count
  execution_role_arn = aws_iam_role.ecs["execution"].arn
  task_role_arn      = aws_iam_role.ecs["genai-service"].arn
  subnet_ids         = module.vpc.private_subnets
  security_group_ids = [aws_security_group.tasks.id]
  namespace_id       = aws_service_discovery_private_dns_namespace.this.id
  target_group_arn   = aws_lb_target_group.genai_service.arn
  lb_container_name  = "genai-service"
  lb_container_port  = 8000
  volumes            = ["adot-queue", "tmp"]

  containers = [
    local.adot_container,
    {
      name                   = "genai-service"
      image                  = local.images["app"]
      essential              = true
      command                = ["uvicorn", "genai_service.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000"]
      environment            = [for k, v in merge(local.otel_sdk_env, local.genai_service_env) : { name = k, value = v }]
      secrets                = [for k, v in local.genai_service_secrets : { name = k, valueFrom = v }]
      portMappings           = [{ containerPort = 8000, protocol = "tcp" }]
      readonlyRootFilesystem = true
      mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
      dependsOn              = [{ containerName = "adot", condition = "HEALTHY" }]
      healthCheck = merge(local.health_timing, {
        command = ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=3)"]
      })
      logConfiguration = local.log_config
    },
  ]
}

module "aiops" {
  source = "./modules/ecs_service"

  name               = "${local.name}-aiops"
  discovery_name     = "aiops"
  cluster_arn        = aws_ecs_cluster.this.arn
  cpu                = 256
  memory             = 512
  execution_role_arn = aws_iam_role.ecs["execution"].arn
  task_role_arn      = aws_iam_role.ecs["aiops"].arn
  subnet_ids         = module.vpc.private_subnets
  security_group_ids = [aws_security_group.tasks.id]
  namespace_id       = aws_service_discovery_private_dns_namespace.this.id
  volumes            = ["adot-queue", "tmp", "aiops-data", "aiops-grafana-token"]

  containers = [
    local.adot_container,
    {
      name                   = "grafana-token"
      image                  = local.images["app"]
      essential              = false
      command                = ["python", "-m", "aiops.grafana_token"]
      environment            = [for k, v in local.grafana_token_env : { name = k, value = v }]
      secrets                = [for k, v in local.grafana_token_secrets : { name = k, valueFrom = v }]
      readonlyRootFilesystem = true
      mountPoints = [
        { sourceVolume = "aiops-grafana-token", containerPath = "/var/lib/aiops", readOnly = false },
      ]
      logConfiguration = local.log_config
    },
    {
      name                   = "aiops"
      image                  = local.images["app"]
      essential              = true
      command                = ["uvicorn", "aiops.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8001"]
      environment            = [for k, v in merge(local.otel_sdk_env, local.aiops_env) : { name = k, value = v }]
      secrets                = [for k, v in local.aiops_secrets : { name = k, valueFrom = v }]
      portMappings           = [{ containerPort = 8001, protocol = "tcp" }]
      readonlyRootFilesystem = true
      mountPoints = [
        { sourceVolume = "tmp", containerPath = "/tmp", readOnly = false },
        { sourceVolume = "aiops-data", containerPath = "/var/lib/aiops", readOnly = false },
        { sourceVolume = "aiops-grafana-token", containerPath = "/var/lib/aiops-grafana", readOnly = true },
      ]
      dependsOn = [
        { containerName = "adot", condition = "HEALTHY" },
        { containerName = "grafana-token", condition = "SUCCESS" },
      ]
      healthCheck = merge(local.health_timing, {
        command = ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8001/healthz', timeout=3)"]
      })
      logConfiguration = local.log_config
    },
  ]
}

module "loki" {
  source = "./modules/ecs_service"

  name               = "${local.name}-loki"
  discovery_name     = "loki"
  cluster_arn        = aws_ecs_cluster.this.arn
  cpu                = 512
  memory             = 1024
  execution_role_arn = aws_iam_role.ecs["execution"].arn
  task_role_arn      = aws_iam_role.ecs["loki"].arn
  subnet_ids         = module.vpc.private_subnets
  security_group_ids = [aws_security_group.tasks.id]
  namespace_id       = aws_service_discovery_private_dns_namespace.this.id
  volumes            = ["loki-data"]

  containers = [{
    name      = "loki"
    image     = local.images["loki"]
    essential = true
    # loki/loki.aws.yaml, baked into the image by infra/images/loki.Dockerfile.
    command                = ["-config.file=/etc/loki/loki.yaml", "-config.expand-env=true"]
    environment            = [for k, v in local.loki_env : { name = k, value = v }]
    portMappings           = [{ containerPort = 3100, protocol = "tcp" }]
    readonlyRootFilesystem = true
    mountPoints            = [{ sourceVolume = "loki-data", containerPath = "/loki", readOnly = false }]
    healthCheck            = merge(local.health_timing, { command = ["CMD", "/usr/bin/loki", "-health"] })
    logConfiguration       = local.log_config
  }]
}

module "grafana" {
  source = "./modules/ecs_service"

  name               = "${local.name}-grafana"
  discovery_name     = "grafana"
  cluster_arn        = aws_ecs_cluster.this.arn
  cpu                = 512
  memory             = 1024
  execution_role_arn = aws_iam_role.ecs["execution"].arn
  task_role_arn      = aws_iam_role.ecs["grafana"].arn
  subnet_ids         = module.vpc.private_subnets
  security_group_ids = [aws_security_group.tasks.id]
  namespace_id       = aws_service_discovery_private_dns_namespace.this.id
  target_group_arn   = aws_lb_target_group.grafana.arn
  lb_container_name  = "grafana"
  lb_container_port  = 3000
  volumes            = ["grafana-data", "tmp"]

  containers = [{
    name                   = "grafana"
    image                  = local.images["grafana"]
    essential              = true
    environment            = [for k, v in local.grafana_env : { name = k, value = v }]
    secrets                = [for k, v in local.grafana_secrets : { name = k, valueFrom = v }]
    portMappings           = [{ containerPort = 3000, protocol = "tcp" }]
    readonlyRootFilesystem = true
    mountPoints = [
      { sourceVolume = "grafana-data", containerPath = "/var/lib/grafana-data", readOnly = false },
      { sourceVolume = "tmp", containerPath = "/tmp", readOnly = false },
    ]
    healthCheck      = merge(local.health_timing, { command = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:3000/api/health"] })
    logConfiguration = local.log_config
  }]
}
