# The two commands of README: `make run` (installs what is missing, then
# shows a mount working) and `make test` (every test). CI runs `make test`.
SWIFT ?= swift

.PHONY: run test build release deps bench-fs clean

deps:
	@bash scripts/ensure-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

run: release
	@bash scripts/demo.sh

test: deps
	@bash scripts/check-fuse.sh
	$(SWIFT) build --build-tests
	$(SWIFT) test

bench-fs: release
	@python3 scripts/bench-fs.py

clean:
	rm -rf .build
