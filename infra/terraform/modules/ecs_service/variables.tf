variable "name" {
  description = "Service and task family name."
  type        = string
}

variable "discovery_name" {
  description = "Host name in the private DNS namespace (the compose service name)."
  type        = string
}

variable "cluster_arn" {
  description = "ECS cluster."
  type        = string
}

variable "cpu" {
  description = "Task CPU units."
  type        = number
}

variable "memory" {
  description = "Task memory (MiB)."
  type        = number
}

variable "containers" {
  description = "Container definitions (ECS task definition JSON, as objects)."
  type        = any
}

variable "volumes" {
  description = "Names of ephemeral task volumes the containers mount."
  type        = list(string)
  default     = []
}

variable "execution_role_arn" {
  description = "Role the ECS agent uses to pull images, write logs and read secrets."
  type        = string
}

variable "task_role_arn" {
  description = "Role the containers' AWS SDK calls use."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the tasks."
  type        = list(string)
}

variable "namespace_id" {
  description = "Cloud Map private DNS namespace."
  type        = string
}

variable "desired_count" {
  description = "Number of tasks."
  type        = number
  default     = 1
}

variable "target_group_arn" {
  description = "Load balancer target group, or null."
  type        = string
  default     = null
}

variable "lb_container_name" {
  description = "Container the load balancer sends to."
  type        = string
  default     = null
}

variable "lb_container_port" {
  description = "Port of that container."
  type        = number
  default     = null
}
