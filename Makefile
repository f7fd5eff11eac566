.PHONY: run test vet bench docker

run:
	go run ./cmd/cohortbot

test:
	go test ./...

vet:
	go vet ./...

docker:
	docker build -t cohortbot .
