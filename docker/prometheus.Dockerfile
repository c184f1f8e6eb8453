# Offline stand-in for the official prom/prometheus image, built from Debian's `prometheus`
# package (used by docker-compose.podman.yml on machines that cannot pull public images).
# It takes the same command-line flags as the official image, so the compose `command:` and
# the mounted /etc/prometheus/prometheus.yml work unchanged.
FROM debian:bookworm-slim
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends prometheus curl \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /prometheus && chown prometheus:prometheus /prometheus
USER prometheus
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
