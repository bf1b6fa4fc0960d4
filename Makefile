# The two commands of README: `make run` (installs what is missing, then
# runs the standard scenario suite against both arms) and `make test`
# (every test). CI runs `make test`.
SWIFT ?= swift

.PHONY: run demo test build release deps bench-fs bench-harness clean

deps:
	@bash scripts/ensure-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

run: release
	.build/release/faultbench run

# The filesystem on its own: a mount, git, sqlite3 through it.
demo: release
	@bash scripts/demo.sh

# Tests run one at a time: in parallel, dozens of mounts and whole harness
# runs shared two cores, and a test now and then saw a mount stall for
# seconds (2 failures in 6 full runs, never the same test). Serially the
# suite takes about 150 s instead of 100 s.
# The tests also need a headless browser and PyYAML (the HTML report's and
# the example workflow's checks).
test:
	@FAULTBENCH_TEST_DEPS=1 bash scripts/ensure-deps.sh
	$(SWIFT) build --build-tests
	@bash scripts/check-fuse.sh .build/debug/faultbench
	$(SWIFT) test --no-parallel

bench-fs:
	@FAULTBENCH_BENCH_DEPS=1 bash scripts/ensure-deps.sh
	$(SWIFT) build -c release
	@python3 scripts/bench-fs.py --with-daemon-row --with-rules-row --with-targeted-rows

# The harness's own speed: the standard suite at 20 trials per arm, trials
# per second and the harness's overhead per trial against their targets.
bench-harness: release
	@bash scripts/bench-harness.sh

clean:
	rm -rf .build
