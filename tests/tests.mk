# Test and benchmark targets; included by the top-level Makefile.
TEST_CFLAGS := $(CFLAGS) -Ibpf
TEST_LIBS   := $(LDLIBS) -lcmocka

# Each C test is tests/<tier>/<name>.c (tiers: unit, datapath) plus the
# shared helpers in tests/lib/; its binary is build/tests/<name>.
TEST_LIB_SRC := $(wildcard tests/lib/*.c)
TEST_LIB_HDR := $(wildcard tests/lib/*.h)
TEST_SRC     := $(wildcard tests/*/test_*.c)
TEST_NAMES   := $(basename $(notdir $(TEST_SRC)))
vpath test_%.c $(sort $(dir $(TEST_SRC)))
TEST_BINS    := $(addprefix $(BUILD)/tests/,$(TEST_NAMES))
TOOL_NAMES   := $(patsubst tests/tools/%.c,%,$(wildcard tests/tools/*.c))
TOOL_BINS    := $(addprefix $(BUILD)/tests/tools/,$(TOOL_NAMES))
GO_TOOL_NAMES := $(patsubst tests/tools/%.go,%,$(wildcard tests/tools/*.go))
TOOL_BINS    += $(addprefix $(BUILD)/tests/tools/,$(GO_TOOL_NAMES))

# Every user/ object but the CLI's main (the benchmark's proxy links it).
USER_LIB_OBJ := $(filter-out $(BUILD)/user/cli/main.o,$(USER_OBJ))

# Tests link only the modules they test: a folder (all its objects) or
# folder/module. A module calling into a folder its test does not link
# (a layering violation) fails that link.
TEST_MODS_test_bpf_load_error := dp/bpf_load_error base
TEST_MODS_test_dns := dns base
TEST_MODS_test_csum :=
TEST_MODS_test_datapath := dp/maps dp/pins base
TEST_MODS_test_stun := turn/stun base
TEST_MODS_test_turn := turn base
TEST_MODS_test_rest_cred := turn/rest_cred
TEST_MODS_test_upconf := daemon/upconf dp/xdp_mode base
TEST_MODS_test_route_mtu := base/route_mtu base/rtnl
TEST_MODS_test_pmtu := daemon/pmtu turn/stun base
TEST_MODS_test_peer_pmtu := daemon/peer_pmtu daemon/pmtu turn/stun base
TEST_MODS_test_checks := daemon/checks daemon/check_msg daemon/check_key turn/stun wg base
TEST_MODS_test_wg := wg base
TEST_MODS_wgsnap := wg base
TEST_MODS_metrics := daemon turn wg dp dns base
test_objs = $(foreach m,$(TEST_MODS_$(1)),$(if $(findstring /,$(m)),$(BUILD)/user/$(m).o,$(filter $(BUILD)/user/$(m)/%,$(USER_OBJ))))

.SECONDEXPANSION:
$(BUILD)/tests/test_%: test_%.c $(TEST_LIB_SRC) $(TEST_LIB_HDR) $(SKEL) $(BPF_HDRS) $$(call test_objs,test_$$*)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) -Itests/lib $< $(TEST_LIB_SRC) $(call test_objs,test_$*) -o $@ $(TEST_LIBS)

# Helper programs for shell tests that call userspace modules:
# tests/<tier>/<name>_main.c.
HELPER_SRC   := $(wildcard tests/*/*_main.c)
HELPER_NAMES := $(patsubst %_main.c,%,$(notdir $(HELPER_SRC)))
HELPER_BINS  := $(addprefix $(BUILD)/tests/,$(HELPER_NAMES))
vpath %_main.c $(sort $(dir $(HELPER_SRC)))

$(HELPER_BINS): $(BUILD)/tests/%: %_main.c $$(call test_objs,$$*)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) $< $(call test_objs,$*) -o $@ $(LDLIBS)

TOOL_LIBS_stunforge := -lz
$(BUILD)/tests/tools/%: tests/tools/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ $(TOOL_LIBS_$*)

# Go tools build against Debian's Go packages (golang-*-dev), offline:
# GOPATH mode over /usr/share/gocode, the cache inside the build tree.
$(BUILD)/tests/tools/%: tests/tools/%.go
	@mkdir -p $(@D)
	$(call msg,GO,$@)
	$(Q)GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$(abspath $(BUILD))/gocache \
		GOFLAGS= go build -o $@ $<

.PHONY: test-build
test-build: all $(TEST_BINS) $(TOOL_BINS) $(HELPER_BINS) $(BUILD)/bench/empty.bpf.o

test: test-build
	@BUILD=$(BUILD) tests/run.sh

bench: all $(BUILD)/bench/bench_datapath $(BUILD)/bench/proxy $(BUILD)/tests/tools/udptool
	@BUILD=$(BUILD) scripts/bench.sh
	@BUILD=$(BUILD) scripts/bench_ingress.sh
	@BUILD=$(BUILD) scripts/bench_e2e.sh
	@BUILD=$(BUILD) scripts/bench_scale.sh
	@BUILD=$(BUILD) scripts/bench_recovery.sh
	@BUILD=$(BUILD) scripts/bench_mtu.sh
	@BUILD=$(BUILD) scripts/bench_direct.sh

# Benchmarks: bench/<name>.c with the test packet builder; bench/empty.bpf.c
# is the baseline program.
$(BUILD)/bench/empty.bpf.o: bench/empty.bpf.c
	@mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench/empty.skel.h: $(BUILD)/bench/empty.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name empty_bpf > $@

$(BUILD)/bench/bench_datapath: bench/bench_datapath.c $(TEST_LIB_SRC) $(SKEL) $(BUILD)/bench/empty.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) -Itests/lib -I$(BUILD)/bench $< tests/lib/pkt.c -o $@ $(LDLIBS)

# bench/proxy: the userspace ChannelData proxy, baseline of scripts/bench_e2e.sh.
$(BUILD)/bench/proxy: bench/proxy.c $(USER_LIB_OBJ)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(USER_LIB_OBJ) -o $@ $(LDLIBS)

# The VM tier alone: Debian's 6.1 and 6.12 kernels under qemu (scripts/vm.sh);
# WGT_VM_KERNELS picks others. `WGT_TEST_VM=1 make test` runs it after the rest.
.PHONY: test-vm
test-vm: test-build
	@BUILD=$(BUILD) scripts/test_vm.sh
