# Loki on ECS: the pinned image (versions.env LOKI_IMAGE) with loki/loki.aws.yaml (S3 storage,
# task-role credentials) as its config.
ARG LOKI_IMAGE
FROM ${LOKI_IMAGE}
COPY loki/loki.aws.yaml /etc/loki/loki.yaml
