# Grafana OSS on ECS: the pinned image (versions.env GRAFANA_IMAGE), the same grafana.ini,
# provisioning and dashboards as the local lab, AWS datasources, and the X-Ray plugin installed
# at build time (the tasks have no internet route to download it at start).
# checkov:skip=CKV_DOCKER_7: the tag is a build argument, pinned in versions.env (tests/infra checks it)
ARG GRAFANA_IMAGE
FROM ${GRAFANA_IMAGE}
ARG XRAY_PLUGIN_VERSION
COPY grafana/grafana.ini /etc/grafana/grafana.ini
COPY grafana/provisioning /etc/grafana/provisioning
COPY grafana/aws/datasources.yaml /etc/grafana/provisioning/datasources/datasources.yaml
COPY grafana/dashboards /var/lib/grafana/dashboards
RUN grafana cli --pluginsDir /var/lib/grafana/plugins plugins install grafana-x-ray-datasource "${XRAY_PLUGIN_VERSION}"
# The image's own user (grafana, uid 472); the image has busybox wget.
USER 472
HEALTHCHECK --interval=10s --timeout=5s --retries=6 CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:3000/api/health"]
