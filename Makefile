# wgturn: `make` builds build/wgturn; `sudo make test` runs every tier.
BUILD    ?= build
CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= gcc
V        ?= 0

ARCH_INC := /usr/include/$(shell $(CC) -dumpmachine)
CFLAGS   ?= -O2 -g
CFLAGS   += -Wall -Wextra -Wno-unused-parameter -std=gnu11 \
	    -Iinclude -Iuser -I$(BUILD)
LDLIBS   += $(shell pkg-config --libs libbpf json-c libcrypto zlib inih ldns 2>/dev/null || echo -lbpf -lelf -lz -ljson-c -lcrypto -linih -lldns)
LDLIBS   += $(shell pkg-config --libs libmnl 2>/dev/null || echo -lmnl)
# sd_notify (readiness under systemd), the metrics listener (HTTP)
LDLIBS   += $(shell pkg-config --libs libsystemd libmicrohttpd 2>/dev/null || echo -lsystemd -lmicrohttpd)
BPF_CFLAGS := -g -O2 -target bpf -Wall -Iinclude -Ibpf -I$(ARCH_INC)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2);
endif

BPF_SRC  := bpf/wgturn.bpf.c
BPF_HDRS := $(wildcard bpf/*.h) include/wgturn.h
BPF_OBJ  := $(BUILD)/wgturn.bpf.o
SKEL     := $(BUILD)/wgturn.skel.h
# user/<folder>/<module>.c: folders by concern, see the README's code map.
USER_SRC := $(wildcard user/*/*.c)
USER_OBJ := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRC))

.PHONY: all clean test test-vm bench deps demo
all: $(BUILD)/wgturn

$(BPF_OBJ): $(BPF_SRC) $(BPF_HDRS)
	@mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(SKEL): $(BPF_OBJ)
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name wgturn_bpf > $@

# Header dependencies come from the compiler (-MMD -MP): touching a header
# rebuilds only the objects that include it. Only the loader includes the
# generated skeleton.
$(BUILD)/user/%.o: user/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/user/dp/loader.o: $(SKEL)

# wgturn --version: the release, and the commit where git knows it.
VERSION  := 0.1.0
GIT_DESC := $(shell git describe --always --dirty 2>/dev/null)
$(BUILD)/user/cli/main.o: CFLAGS += -DWGT_VERSION='"$(VERSION)$(if $(GIT_DESC),-g$(GIT_DESC))"'

$(BUILD)/wgturn: $(USER_OBJ)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

-include $(USER_OBJ:.o=.d)

# A recipe that fails leaves no half-written target behind.
.DELETE_ON_ERROR:

include tests/tests.mk
-include tests/fuzz.mk

deps:
	scripts/deps.sh

# The README's main command, as root. No prerequisites: on a fresh machine
# demo.sh installs the dependencies (scripts/deps.sh) and only then builds.
demo:
	scripts/demo.sh

clean:
	rm -rf $(BUILD)

# --- install -------------------------------------------------------------
# make install [PREFIX=/usr] [DESTDIR=/tmp/stage]: the binary, the man pages,
# the systemd unit, bash completion and an example config (never into /etc:
# the config is the admin's). The unit's ExecStart names $(SBINDIR)/wgturn.
PREFIX         ?= /usr/local
SBINDIR        ?= $(PREFIX)/sbin
MANDIR         ?= $(PREFIX)/share/man
DOCDIR         ?= $(PREFIX)/share/doc/wgturn
BASHCOMPDIR    ?= $(PREFIX)/share/bash-completion/completions
# Under /usr, where systemd itself looks (Debian 12: /lib/systemd/system).
SYSTEMDUNITDIR ?= $(or $(if $(filter /usr,$(PREFIX)),$(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)),$(PREFIX)/lib/systemd/system)
INSTALL        ?= install

.PHONY: install uninstall
install: $(BUILD)/wgturn
	$(INSTALL) -D -m 0755 $(BUILD)/wgturn $(DESTDIR)$(SBINDIR)/wgturn
	$(INSTALL) -D -m 0644 man/wgturn.8 $(DESTDIR)$(MANDIR)/man8/wgturn.8
	$(INSTALL) -D -m 0644 man/wgturn.conf.5 $(DESTDIR)$(MANDIR)/man5/wgturn.conf.5
	$(INSTALL) -d -m 0755 $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|^ExecStart=/usr/sbin/wgturn |ExecStart=$(SBINDIR)/wgturn |' dist/systemd/wgturn@.service \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/wgturn@.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/wgturn@.service
	$(INSTALL) -D -m 0644 dist/bash-completion/wgturn $(DESTDIR)$(BASHCOMPDIR)/wgturn
	$(INSTALL) -D -m 0644 dist/wgturn.conf.example $(DESTDIR)$(DOCDIR)/examples/wgturn.conf.example

# Files only; directories that others may share stay.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/wgturn \
		$(DESTDIR)$(MANDIR)/man8/wgturn.8 \
		$(DESTDIR)$(MANDIR)/man5/wgturn.conf.5 \
		$(DESTDIR)$(SYSTEMDUNITDIR)/wgturn@.service \
		$(DESTDIR)$(BASHCOMPDIR)/wgturn \
		$(DESTDIR)$(DOCDIR)/examples/wgturn.conf.example
	rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null || true
