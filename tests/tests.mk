# Test and benchmark targets; included by the top-level Makefile.
TEST_CFLAGS := $(CFLAGS) -Ibpf
TEST_LIBS   := $(LDLIBS) -lcmocka

# Each C test is tests/<name>.c plus the shared helpers in tests/lib/.
TEST_LIB_SRC := $(wildcard tests/lib/*.c)
TEST_LIB_HDR := $(wildcard tests/lib/*.h)
TEST_NAMES   := $(patsubst tests/%.c,%,$(wildcard tests/test_*.c))
TEST_BINS    := $(addprefix $(BUILD)/tests/,$(TEST_NAMES))
TOOL_NAMES   := $(patsubst tests/tools/%.c,%,$(wildcard tests/tools/*.c))
TOOL_BINS    := $(addprefix $(BUILD)/tests/tools/,$(TOOL_NAMES))

$(BUILD)/tests/%: tests/%.c $(TEST_LIB_SRC) $(TEST_LIB_HDR) $(SKEL) $(BPF_HDRS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) -Itests/lib $< $(TEST_LIB_SRC) -o $@ $(TEST_LIBS)

$(BUILD)/tests/tools/%: tests/tools/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

.PHONY: test-build
test-build: all $(TEST_BINS) $(TOOL_BINS)

test: test-build
	@BUILD=$(BUILD) tests/run.sh

bench: all $(BUILD)/bench/bench_datapath
	@BUILD=$(BUILD) scripts/bench.sh
