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
	$(SWIFT) build --build-tests
	@bash scripts/check-fuse.sh .build/debug/faultbench
	$(SWIFT) test

bench-fs:
	@FAULTBENCH_BENCH_DEPS=1 bash scripts/ensure-deps.sh
	$(SWIFT) build -c release
	@python3 scripts/bench-fs.py --with-daemon-row --with-rules-row

clean:
	rm -rf .build
