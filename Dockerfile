# syntax=docker/dockerfile:1

# Build a static binary: no cgo (the embedded SQLite driver is pure Go), time zones embedded.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/cohortbot ./cmd/cohortbot \
 && mkdir -p /out/data

# Minimal runtime: CA certificates and a non-root user, nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cohortbot /usr/local/bin/cohortbot
COPY --from=build --chown=nonroot:nonroot /out/data /data
USER nonroot:nonroot
ENV COHORTBOT_DATA_DIR=/data
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/cohortbot"]
CMD ["run"]
