# syntax=docker/dockerfile:1

# Build a static binary: no cgo (the embedded SQLite driver is pure Go); time zones are
# embedded in the binary (time/tzdata).
FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/cohortbot ./cmd/cohortbot \
 && mkdir -p /out/data

# Minimal runtime: CA certificates, time-zone data and a non-root user, nothing else (no
# shell, no curl: the HEALTHCHECK is the binary itself).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cohortbot /usr/local/bin/cohortbot
COPY --from=build --chown=65532:65532 /out/data /data
# Numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
ENV COHORTBOT_DATA_DIR=/data \
    COHORTBOT_HTTP_ADDR=:8080
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/cohortbot", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/cohortbot"]
CMD ["run"]
