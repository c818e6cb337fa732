# netrig: one non-recursive Makefile.
#
#   make demo    install dependencies (Debian, as root), build, run examples/quickstart.yaml
#   make check   install dependencies, build, run every test suite
#   make         build ./netrig only (dependencies must be there)
#   make install install netrig and its man pages (PREFIX=/usr/local, DESTDIR)

PKGS     := sqlite3 libpq libfyaml jansson libzstd libcrypto libcurl libmicrohttpd
# libpq, libcurl, libmicrohttpd and libcrypto are opened on first use
# (src/base/lazy.h), not linked: their headers only
LINKED   := sqlite3 libfyaml jansson libzstd
CC       ?= cc
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wvla -Wno-format-nonliteral -Wno-format-truncation
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Isrc $(WARN) -Werror -pthread
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(LINKED) 2>/dev/null)
LDLIBS   += $(PKG_LIBS) -ldl -lm -pthread

# `make V=1` shows the commands.
Q        := $(if $(V),,@)
B        := build
LIB_SRC  := $(sort $(filter-out src/main.c,$(wildcard src/*/*.c)))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
TEST_SRC := $(sort $(wildcard tests/unit/*.c))
TEST_OBJ := $(TEST_SRC:%.c=$(B)/%.o)

# The sanitizer build of the library and unit tests (make check runs it).
A        := build/asan
ASAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
A_LIB_OBJ  := $(LIB_SRC:%.c=$(A)/%.o)
A_TEST_OBJ := $(TEST_SRC:%.c=$(A)/%.o)

.PHONY: all deps demo check test unit asan e2e lint clean fuzz
all: netrig netrig-agent

netrig: $(B)/src/main.o $(B)/libnetrig.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The agent netrig copies to ssh hosts ({netrig} there): bench and sysinfo
# only, static against Debian's libc.a and libjansson.a, stripped, so that
# a host needs nothing installed (issue 14). ld's warning that a static
# getaddrinfo needs the same glibc for NSS is known: the agent is given
# numeric addresses.
AGENT_LIBS := -ljansson -lm -pthread
netrig-agent: $(B)/src/agent_main.o $(B)/libnetrig.a
	@$(if $(Q),echo "  LINK    $@ (static)")
	@rm -f $@.tmp
	$(Q)$(CC) $(CFLAGS) -static -s -o $@.tmp $^ $(AGENT_LIBS) 2>&1 | \
		{ grep -v -e "statically linked applications requires" -e "in function \`" || true; }
	@mv $@.tmp $@

$(B)/libnetrig.a: $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/test-unit: $(TEST_OBJ) $(B)/libnetrig.a
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(A)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC ASAN $<")
	$(Q)$(CC) $(CFLAGS) -O1 $(ASAN) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(A)/test-unit: $(A_TEST_OBJ) $(A_LIB_OBJ)
	$(Q)$(CC) $(CFLAGS) $(ASAN) -o $@ $^ $(LDLIBS)

$(A)/netrig: $(A)/src/main.o $(A_LIB_OBJ)
	$(Q)$(CC) $(CFLAGS) $(ASAN) -o $@ $^ $(LDLIBS)

deps:
	@scripts/deps.sh

demo: deps
	@$(MAKE) --no-print-directory netrig
	./netrig run examples/quickstart.yaml

# Every suite; the last line is "N passed, N failed, N skipped".
check: deps
	@$(MAKE) --no-print-directory netrig netrig-agent $(B)/test-unit $(A)/test-unit $(A)/netrig \
		$(B)/sqlite-uuid.so
	@tests/check.sh

# uuid_str() and uuid_blob() for the sqlite3 shell of the e2e scripts (tests/e2e/db.sh)
$(B)/sqlite-uuid.so: tests/helpers/sqlite_uuid.c src/store/store_sqlite_id.c src/base/str.c src/base/buf.c src/base/mem.c src/base/err.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -fPIC -shared $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS)

unit: $(B)/test-unit
	$(B)/test-unit

lint:
	@scripts/lint.sh

clean:
	rm -rf $(B) netrig netrig-agent

-include $(LIB_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(B)/src/main.d $(B)/src/agent_main.d
-include $(A_LIB_OBJ:.o=.d) $(A_TEST_OBJ:.o=.d)

# ---- man pages and install (issue 14) -----------------------------------
# The pages are written from the binary's own help text (scripts/man.sh),
# one per command and netrig(1), so they cannot say other than
# `netrig help`. AGENT_BIN: the agent's binary (netrig-agent, above), which
# netrig finds in ../lib/netrig beside its own directory.
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
AGENTDIR ?= $(PREFIX)/lib/netrig
AGENT_BIN ?= netrig-agent
MAN      := $(B)/man
.PHONY: man install uninstall

man: $(MAN)/netrig.1

$(MAN)/netrig.1: netrig scripts/man.sh
	@$(if $(Q),echo "  MAN     $(MAN)")
	$(Q)scripts/man.sh ./netrig $(MAN)

install: netrig $(MAN)/netrig.1 $(AGENT_BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 netrig $(DESTDIR)$(BINDIR)/netrig
	install -m 0644 $(MAN)/*.1 $(DESTDIR)$(MANDIR)/man1/
	$(if $(AGENT_BIN),install -d $(DESTDIR)$(AGENTDIR))
	$(if $(AGENT_BIN),install -m 0755 $(AGENT_BIN) $(DESTDIR)$(AGENTDIR)/)

# what install put there: the pages of the commands this build has
uninstall: $(MAN)/netrig.1
	rm -f $(DESTDIR)$(BINDIR)/netrig
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(wildcard $(MAN)/*.1)))
	$(if $(AGENT_BIN),rm -f $(DESTDIR)$(AGENTDIR)/$(notdir $(AGENT_BIN)))
	$(if $(AGENT_BIN),-rmdir $(DESTDIR)$(AGENTDIR))
# ---- end of man pages and install ---------------------------------------

# ---- analysis benchmark (bench/analysis.sh; owner: src/analysis/) ----------
.PHONY: bench-analysis
bench-analysis: $(B)/analysis-bench

$(B)/analysis-bench: bench/analysis_bench.c $(B)/libnetrig.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
# ---- end of analysis benchmark ----------------------------------------------

# ---- trust benchmark (bench/trust.sh; owner: src/analysis/) ------------------
.PHONY: bench-trust
bench-trust: $(B)/trust-bench

$(B)/trust-bench: bench/trust_bench.c bench/trust_sim.h $(B)/libnetrig.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -o $@ bench/trust_bench.c $(B)/libnetrig.a $(LDLIBS)
# ---- end of trust benchmark ---------------------------------------------------

# ---- store ingest benchmark (bench/store-ingest.sh; owner: src/store/) --------
# The plain insert loop the run path is measured against (sqlite3 and
# libpq only), and the same attempts through netrig's store interface.
.PHONY: bench-store
bench-store: $(B)/store-loop

$(B)/store-loop: bench/store_loop.c $(B)/libnetrig.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $^ $(LDLIBS)
# ---- end of store ingest benchmark --------------------------------------------

# ---- fuzzing (issue 4) --------------------------------------------------
# `make fuzz` builds one libFuzzer target per tool parser, tests/fuzz/
# fuzz_<tool>.c, into build/fuzz/ with clang, ASan and UBSan;
# tests/fuzz/run.sh SECONDS runs each, seeded from tests/fixtures/<tool>/.
# Needs clang's libFuzzer runtime (Debian: libclang-rt-14-dev).
FUZZ_CC     ?= clang
FZ          := build/fuzz
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -Isrc -g -O1 -fno-omit-frame-pointer \
               -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_SRC    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN    := $(FUZZ_SRC:tests/fuzz/%.c=$(FZ)/%)
FZ_LIB_OBJ  := $(LIB_SRC:%.c=$(FZ)/%.o)

fuzz: $(FUZZ_BIN)

$(FZ)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC FUZZ $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(FZ)/libnetrig.a: $(FZ_LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(FZ)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FZ)/libnetrig.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $< $(FZ)/libnetrig.a $(LDLIBS)

-include $(FZ_LIB_OBJ:.o=.d)

# ---- packet benchmark (bench/pkt.sh; owner: src/pkt/) ---------------------
# The reference generator where the kernel's pktgen is missing: a plain
# sendmmsg loop, no netrig code in it.
.PHONY: bench-pkt
bench-pkt: $(B)/pkt-sendmmsg

$(B)/pkt-sendmmsg: bench/pkt_sendmmsg.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -o $@ $<
# ---- end of packet benchmark ------------------------------------------------
