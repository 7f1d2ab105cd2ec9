# The collector sidecar: the pinned ADOT image (versions.env ADOT_IMAGE) with the lab's own
# configs baked in. Built from the repository root by .github/workflows/deploy.yml.
# checkov:skip=CKV_DOCKER_7: the tag is a build argument, pinned in versions.env (tests/infra checks it)
ARG ADOT_IMAGE
FROM ${ADOT_IMAGE}
COPY adot/otel-config.yaml adot/otel-config.aws.yaml adot/otel-config.ecs.yaml adot/otel-config.cloudwatch.yaml /etc/adot/
# The image's own user (aws-otel-collector cmd/awscollector/Dockerfile) and health binary; ECS
# uses the task definition's health check, this one serves `docker run`.
USER 4317
HEALTHCHECK --interval=10s --timeout=5s --retries=6 CMD ["/healthcheck"]
