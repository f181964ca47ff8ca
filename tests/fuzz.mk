# Fuzzing the STUN/TURN codec with libFuzzer, ASan and UBSan; included by
# the top-level Makefile. `make fuzz` runs FUZZ_TIME seconds on a corpus
# kept in $(BUILD)/fuzz/work; `make test` runs a bounded pass
# (tests/fuzz/fuzz_stun.sh). Needs clang and libclang-rt-14-dev.
FUZZ_CC     ?= $(CLANG)
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	       -fno-sanitize-recover=all -Wall -Wextra -Wno-unused-parameter \
	       -std=gnu11 -Iinclude -Iuser
FUZZ_LIBS   := $(shell pkg-config --libs libcrypto zlib 2>/dev/null || echo -lcrypto -lz)
FUZZ_DIR    := $(BUILD)/fuzz
FUZZ_BIN    := $(FUZZ_DIR)/fuzz_stun
FUZZ_TIME   ?= 300
FUZZ_ARGS   ?=
RFC5769_DIR ?= tests/data/rfc5769

# Seeds: the TURN messages in tests/fuzz/corpus and the RFC 5769 vectors,
# both hex dumps, turned into binary here.
FUZZ_HEX   := $(wildcard tests/fuzz/corpus/*.hex) $(wildcard $(RFC5769_DIR)/*.hex)
FUZZ_SEEDS := $(patsubst %.hex,$(FUZZ_DIR)/seeds/%.bin,$(notdir $(FUZZ_HEX)))
vpath %.hex tests/fuzz/corpus $(RFC5769_DIR)

$(FUZZ_DIR)/seeds/%.bin: %.hex
	@mkdir -p $(@D)
	$(call msg,SEED,$@)
	$(Q)perl -ne 'print pack("H*", join("", split))' $< > $@

$(FUZZ_BIN): tests/fuzz/fuzz_stun.c user/turn/stun.c user/turn/stun.h include/wgturn.h
	@mkdir -p $(@D)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) tests/fuzz/fuzz_stun.c user/turn/stun.c -o $@ $(FUZZ_LIBS)

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BIN) $(FUZZ_SEEDS)

# New inputs go to the first directory; crashes to $(FUZZ_DIR)/crash-*.
fuzz: fuzz-build
	@mkdir -p $(FUZZ_DIR)/work
	$(FUZZ_BIN) -max_total_time=$(FUZZ_TIME) -dict=tests/fuzz/stun.dict \
		-artifact_prefix=$(FUZZ_DIR)/ -print_final_stats=1 $(FUZZ_ARGS) \
		$(FUZZ_DIR)/work $(FUZZ_DIR)/seeds
