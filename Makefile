# Convenience targets; scripts/ holds the real commands.
.PHONY: all build test lint demo fuzz clean

all: build

build:
	go build -o bin/ ./cmd/...

test:
	scripts/test.sh

lint:
	gofmt -l cmd internal deploy
	go vet ./...
	go tool staticcheck ./...
	shellcheck scripts/*.sh scripts/seed_staging .ci/run
	go tool actionlint
	scripts/check_monitoring.sh

demo:
	scripts/demo.sh

# One minute per fuzz target (scripts/fuzz.sh DURATION PATTERN for others);
# findings land in the package's testdata/fuzz.
fuzz:
	scripts/fuzz.sh 60s

clean:
	rm -rf bin
