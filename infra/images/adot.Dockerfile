# The collector sidecar: the pinned ADOT image (versions.env ADOT_IMAGE) with the lab's own
# configs baked in. Built from the repository root by .github/workflows/deploy.yml.
ARG ADOT_IMAGE
FROM ${ADOT_IMAGE}
COPY adot/otel-config.yaml adot/otel-config.aws.yaml adot/otel-config.ecs.yaml adot/otel-config.cloudwatch.yaml /etc/adot/
