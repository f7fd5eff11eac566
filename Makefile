.PHONY: run test vet bench docker check-config

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
IMAGE ?= cohortbot

run:
	go run ./cmd/cohortbot

test:
	go test ./...

vet:
	go vet ./...

bench:
	go test -run '^$$' -bench . ./internal/schedule/

check-config:
	go run ./cmd/cohortbot run --check-config

# The image: a static binary on distroless, non-root, with a HEALTHCHECK.
docker:
	docker build --build-arg VERSION=$(VERSION) -t $(IMAGE):$(VERSION) -t $(IMAGE):latest .
