# Loki on ECS: the pinned image (versions.env LOKI_IMAGE) with loki/loki.aws.yaml (S3 storage,
# task-role credentials) as its config.
# checkov:skip=CKV_DOCKER_7: the tag is a build argument, pinned in versions.env (tests/infra checks it)
ARG LOKI_IMAGE
FROM ${LOKI_IMAGE}
COPY loki/loki.aws.yaml /etc/loki/loki.yaml
# The ruler's AWS rules (loki.aws.yaml ruler.storage.local): the recording half of
# UserOverDailyBudget, whose alert AMP's ruler raises (loki/aws/amp-rules.yml).
COPY loki/aws/rules /etc/loki/rules
# The image's own user (uid 10001) and health flag (loki -health, 3.7+).
USER 10001
HEALTHCHECK --interval=10s --timeout=5s --retries=6 CMD ["/usr/bin/loki", "-health"]
