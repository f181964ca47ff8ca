// SPDX-License-Identifier: GPL-2.0
/* Classifying a failed BPF load from libbpf's warnings (bpf_load_error.c):
 * fixtures are libbpf 1.1's text for a Debian 12 (6.1) verifier rejection. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "dp/bpf_load_error.h"

#define FAILED(prog, why) "libbpf: prog '" prog "': BPF program load failed: " why "\n"
#define BEGIN(prog) "libbpf: prog '" prog "': -- BEGIN PROG LOAD LOG --\n"
#define END "-- END PROG LOAD LOG --\n"
#define AFTER(prog, e)							\
	"libbpf: prog '" prog "': failed to load: " e "\n"		\
	"libbpf: failed to load object 'wgturn_bpf'\n"			\
	"libbpf: failed to load BPF skeleton 'wgturn_bpf': " e "\n"

#define LAST_LINE "processed 1234 insns (limit 1000000) max_states_per_insn 4 total_states 97 peak_states 97 mark_read 21"

/* 23 lines; the tail of 20 starts at "0: (bf) r6 = r1". */
#define EGRESS_LOG							\
	"func#0 @0\n"							\
	"0: R1=ctx(off=0,imm=0) R10=fp0\n"				\
	"; int wgt_tc_egress(struct __sk_buff *skb)\n"			\
	"0: (bf) r6 = r1                       ; R1=ctx(off=0,imm=0) R6_w=ctx(off=0,imm=0)\n" \
	"1: (b7) r7 = 0                        ; R7_w=0\n"		\
	"2: (63) *(u32 *)(r10 -4) = r7         ; R7_w=0 R10=fp0 fp-8=0000????\n" \
	"3: (bf) r2 = r10                      ; R2_w=fp0 R10=fp0\n"	\
	"4: (07) r2 += -4                      ; R2_w=fp-4\n"		\
	"5: (18) r1 = 0xffff8881045a3c00       ; R1_w=map_ptr(off=0,ks=4,vs=16384,imm=0)\n" \
	"7: (85) call bpf_map_lookup_elem#1    ; R0_w=map_value_or_null(id=1,off=0,ks=4,vs=16384,imm=0)\n" \
	"8: (bf) r8 = r0                       ; R8_w=map_value_or_null(id=1,off=0,ks=4,vs=16384,imm=0)\n" \
	"9: (15) if r8 == 0x0 goto pc+41       ; R8_w=map_value(off=0,ks=4,vs=16384,imm=0)\n" \
	"; __u32 len = skb->len;\n"					\
	"10: (61) r4 = *(u32 *)(r6 +0)         ; R4_w=scalar(umax=4294967295,var_off=(0x0; 0xffffffff))\n" \
	"11: (25) if r4 > 0x4000 goto pc+39    ; R4_w=scalar(umax=16384,var_off=(0x0; 0x7fff))\n" \
	"; if (bpf_skb_load_bytes(skb, 0, s->buf, len))\n"		\
	"12: (bf) r1 = r6                      ; R1_w=ctx(off=0,imm=0) R6=ctx(off=0,imm=0)\n" \
	"13: (b7) r2 = 0                       ; R2_w=0\n"		\
	"14: (bf) r3 = r8                      ; R3_w=map_value(off=0,ks=4,vs=16384,imm=0)\n" \
	"15: (85) call bpf_skb_load_bytes#26\n"				\
	"invalid access to map value, value_size=16384 off=0 size=0\n"	\
	"R3 min value is outside of the allowed memory range\n"		\
	LAST_LINE "\n"

static const char rejected[] =
	FAILED("wgt_tc_egress", "Permission denied")
	BEGIN("wgt_tc_egress") EGRESS_LOG END
	AFTER("wgt_tc_egress", "-13");

static void classify(int err, bool privileged, const char *text, int max,
		     struct bpf_load_error *e)
{
	bpf_load_classify(err, privileged, text, max, e);
}

/* The tail as a string, to compare. */
static const char *tail(const struct bpf_load_error *e)
{
	static char buf[BPF_LOAD_CAPTURE_MAX];

	snprintf(buf, sizeof(buf), "%.*s", (int)e->tail_len, e->tail);
	return buf;
}

static int count_lines(const char *s)
{
	int n = *s ? 1 : 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static bool ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), m = strlen(end);

	return n >= m && !strcmp(s + n - m, end);
}

static void test_verifier_rejection(void **state)
{
	struct bpf_load_error e;

	classify(-EACCES, true, rejected, BPF_LOAD_TAIL_LINES, &e);
	assert_int_equal(e.kind, BPF_LOAD_VERIFIER);
	assert_string_equal(e.prog, "wgt_tc_egress");
	assert_int_equal(e.tail_lines, 20);
	assert_int_equal(count_lines(tail(&e)), 20);
	assert_true(ends_with(tail(&e), "\n" LAST_LINE));
	assert_ptr_equal(strstr(rejected, "0: (bf) r6 = r1"), e.tail);
	assert_null(strstr(tail(&e), "END PROG LOAD LOG"));
	assert_null(strstr(tail(&e), "libbpf:"));
}

static void test_tail_limit(void **state)
{
	struct bpf_load_error e;

	classify(-EACCES, true, rejected, 3, &e);
	assert_int_equal(e.kind, BPF_LOAD_VERIFIER);
	assert_int_equal(e.tail_lines, 3);
	assert_string_equal(tail(&e),
			    "invalid access to map value, value_size=16384 off=0 size=0\n"
			    "R3 min value is outside of the allowed memory range\n"
			    LAST_LINE);
	/* No lines asked: still a rejection, just no tail. */
	classify(-EACCES, true, rejected, 0, &e);
	assert_int_equal(e.kind, BPF_LOAD_VERIFIER);
	assert_int_equal(e.tail_lines, 0);
	assert_int_equal(e.tail_len, 0);
}

static void test_short_log(void **state)
{
	static const char text[] =
		FAILED("wgt_xdp_ingress", "Permission denied")
		BEGIN("wgt_xdp_ingress")
		"0: R1=ctx(off=0,imm=0) R10=fp0\n"
		"\n"
		"R3 min value is outside of the allowed memory range\n"
		LAST_LINE "\n\n"
		END AFTER("wgt_xdp_ingress", "-13");
	struct bpf_load_error e;

	classify(-EACCES, true, text, 20, &e);
	assert_int_equal(e.kind, BPF_LOAD_VERIFIER);
	assert_string_equal(e.prog, "wgt_xdp_ingress");
	assert_int_equal(e.tail_lines, 4);	/* blank line kept, trailing not */
	assert_string_equal(tail(&e), "0: R1=ctx(off=0,imm=0) R10=fp0\n\n"
			    "R3 min value is outside of the allowed memory range\n"
			    LAST_LINE);
}

/* libbpf appends its end marker right after the log's last byte. */
static void test_log_without_newline(void **state)
{
	static const char text[] =
		FAILED("wgt_tc_ingress", "Permission denied")
		BEGIN("wgt_tc_ingress")
		"R3 min value is outside of the allowed memory range\n"
		LAST_LINE END AFTER("wgt_tc_ingress", "-13");
	struct bpf_load_error e;

	classify(-EACCES, true, text, 20, &e);
	assert_int_equal(e.kind, BPF_LOAD_VERIFIER);
	assert_int_equal(e.tail_lines, 2);
	assert_true(ends_with(tail(&e), "\n" LAST_LINE));
}

/* A log cut before its end marker: up to libbpf's next message, or the
 * end of the text. */
static void test_truncated_log(void **state)
{
	static const char cut_at_end[] =
		FAILED("wgt_tc_egress", "Permission denied")
		BEGIN("wgt_tc_egress")
		"14: (bf) r3 = r8\n"
		"15: (85) call bpf_skb_load_bytes#26\n"
		"invalid access to map value, value_size=16384 off=0 size=0\n"
		"R3 min val";
	static const char cut_before_next[] =
		FAILED("wgt_tc_egress", "Permission denied")
		BEGIN("wgt_tc_egress")
		"15: (85) call bpf_skb_load_bytes#26\n"
		"invalid access to map value, value_size=16384 off=0 size=0\n"
		AFTER("wgt_tc_egress", "-13");
	struct bpf_load_error e;

	classify(-EACCES, true, cut_at_end, 20, &e);
	assert_int_equal(e.kind, BPF_LOAD_VERIFIER);
	assert_string_equal(e.prog, "wgt_tc_egress");
	assert_int_equal(e.tail_lines, 4);
	assert_true(ends_with(tail(&e), "size=0\nR3 min val"));

	classify(-EACCES, true, cut_before_next, 20, &e);
	assert_int_equal(e.kind, BPF_LOAD_VERIFIER);
	assert_int_equal(e.tail_lines, 2);
	assert_true(ends_with(tail(&e), "value_size=16384 off=0 size=0"));
}

/* libbpf stops at the first failure, so a second one in the text is a
 * later load: the last failure is the one reported, with its own log. */
static void test_two_programs(void **state)
{
	static const char both_logs[] =
		FAILED("wgt_xdp_ingress", "Invalid argument")
		BEGIN("wgt_xdp_ingress")
		"unreachable insn 5\n"
		"processed 4 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n"
		END AFTER("wgt_xdp_ingress", "-22")
		FAILED("wgt_tc_egress", "Permission denied")
		BEGIN("wgt_tc_egress") EGRESS_LOG END
		AFTER("wgt_tc_egress", "-13");
	static const char second_without_log[] =
		FAILED("wgt_xdp_ingress", "Permission denied")
		BEGIN("wgt_xdp_ingress") EGRESS_LOG END
		FAILED("wgt_tc_egress", "Permission denied")
		AFTER("wgt_tc_egress", "-13");
	struct bpf_load_error e;

	classify(-EACCES, true, both_logs, 20, &e);
	assert_int_equal(e.kind, BPF_LOAD_VERIFIER);
	assert_string_equal(e.prog, "wgt_tc_egress");
	assert_int_equal(e.tail_lines, 20);
	assert_true(ends_with(tail(&e), "\n" LAST_LINE));
	assert_null(strstr(tail(&e), "unreachable"));

	/* Another program's log is no evidence about this one. */
	classify(-EACCES, true, second_without_log, 20, &e);
	assert_int_equal(e.kind, BPF_LOAD_OTHER);
	assert_string_equal(e.prog, "wgt_tc_egress");
}

static void test_permission(void **state)
{
	static const char eperm[] =
		FAILED("wgt_xdp_ingress", "Operation not permitted")
		"libbpf: permission error while running as root; try raising 'ulimit -l'? current value: 8.0 MiB\n"
		AFTER("wgt_xdp_ingress", "-1");
	struct bpf_load_error e;

	classify(-EPERM, true, eperm, 20, &e);
	assert_int_equal(e.kind, BPF_LOAD_PERMISSION);
	classify(-EPERM, false, "", 20, &e);
	assert_int_equal(e.kind, BPF_LOAD_PERMISSION);
	/* EPERM is never the verifier's, even with a log. */
	classify(-EPERM, true, rejected, 20, &e);
	assert_int_equal(e.kind, BPF_LOAD_PERMISSION);
	/* Without CAP_BPF an EACCES is about privileges, log or not. */
	classify(-EACCES, false, rejected, 20, &e);
	assert_int_equal(e.kind, BPF_LOAD_PERMISSION);
	classify(-EACCES, false, NULL, 20, &e);
	assert_int_equal(e.kind, BPF_LOAD_PERMISSION);
}

/* No log, no verifier: a privileged EACCES without one may come from a
 * security module; other errors keep the caller's message. */
static void test_no_log(void **state)
{
	static const char no_log[] =
		FAILED("wgt_tc_egress", "Permission denied")
		AFTER("wgt_tc_egress", "-13");
	static const char map_error[] =
		"libbpf: couldn't reuse pinned map at '/sys/fs/bpf/wgturn/a/config': parameter mismatch\n"
		"libbpf: map 'config': error reusing pinned map\n"
		"libbpf: map 'config': failed to create: Invalid argument(-22)\n"
		"libbpf: failed to load object 'wgturn_bpf'\n"
		"libbpf: failed to load BPF skeleton 'wgturn_bpf': -22\n";
	struct bpf_load_error e;

	classify(-EACCES, true, no_log, 20, &e);
	assert_int_equal(e.kind, BPF_LOAD_OTHER);
	assert_string_equal(e.prog, "wgt_tc_egress");
	assert_int_equal(e.tail_lines, 0);
	classify(-EACCES, true, "", 20, &e);
	assert_int_equal(e.kind, BPF_LOAD_OTHER);
	assert_string_equal(e.prog, "");
	classify(-EACCES, true, NULL, 20, &e);
	assert_int_equal(e.kind, BPF_LOAD_OTHER);
	classify(-EINVAL, true, map_error, 20, &e);
	assert_int_equal(e.kind, BPF_LOAD_OTHER);
	assert_string_equal(e.prog, "");
}

/* A log means the verifier refused the program whatever the errno. */
static void test_verifier_other_errno(void **state)
{
	static const char text[] =
		FAILED("wgt_tc_ingress", "Invalid argument")
		BEGIN("wgt_tc_ingress")
		"unreachable insn 5\n"
		"processed 4 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n"
		END AFTER("wgt_tc_ingress", "-22");
	struct bpf_load_error e;

	classify(-EINVAL, true, text, 20, &e);
	assert_int_equal(e.kind, BPF_LOAD_VERIFIER);
	assert_string_equal(e.prog, "wgt_tc_ingress");
	assert_string_equal(tail(&e), "unreachable insn 5\n"
			    "processed 4 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0");
}

static void test_long_prog_name(void **state)
{
	char name[100], text[400];
	struct bpf_load_error e;

	memset(name, 'p', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(text, sizeof(text),
		 "libbpf: prog '%s': BPF program load failed: Permission denied\n"
		 "libbpf: prog '%s': -- BEGIN PROG LOAD LOG --\nR3 bad\n" END,
		 name, name);
	classify(-EACCES, true, text, 20, &e);
	assert_int_equal(e.kind, BPF_LOAD_VERIFIER);
	assert_int_equal(strlen(e.prog), BPF_LOAD_PROG_MAX - 1);
	assert_string_equal(tail(&e), "R3 bad");
}

static void test_error_line(void **state)
{
	struct bpf_load_error e;
	char line[256];

	classify(-EACCES, true, rejected, 20, &e);
	bpf_load_verifier_line(&e, "6.1.0-56-amd64", false, line, sizeof(line));
	assert_string_equal(line, "the kernel's BPF verifier rejected program 'wgt_tc_egress' (kernel 6.1.0-56-amd64); run with -v for the verifier log");
	bpf_load_verifier_line(&e, "6.1.0-56-amd64", true, line, sizeof(line));
	assert_string_equal(line, "the kernel's BPF verifier rejected program 'wgt_tc_egress' (kernel 6.1.0-56-amd64); the end of its log follows");
	e.tail_lines = 0;
	bpf_load_verifier_line(&e, "6.1.0-56-amd64", false, line, sizeof(line));
	assert_string_equal(line, "the kernel's BPF verifier rejected program 'wgt_tc_egress' (kernel 6.1.0-56-amd64)");
}

/* Feed the capture the way libbpf calls its print function. */
static void feed(enum libbpf_print_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bpf_load_capture_print(level, fmt, ap);
	va_end(ap);
}

static int seen;

static int counting_print(enum libbpf_print_level level, const char *fmt,
			  va_list ap)
{
	seen++;
	return 0;
}

static void test_capture(void **state)
{
	struct bpf_load_error e;
	const char *text;

	libbpf_set_print(counting_print);
	seen = 0;
	bpf_load_capture_begin();
	feed(LIBBPF_DEBUG, "libbpf: map '%s': created successfully, fd=%d\n", "config", 4);
	feed(LIBBPF_WARN, "libbpf: prog '%s': BPF program load failed: %s\n",
	     "wgt_tc_egress", "Permission denied");
	feed(LIBBPF_WARN, "libbpf: prog '%s': -- BEGIN PROG LOAD LOG --\n%s-- END PROG LOAD LOG --\n",
	     "wgt_tc_egress", EGRESS_LOG);
	feed(LIBBPF_WARN, "libbpf: prog '%s': failed to load: %d\n", "wgt_tc_egress", -13);
	text = bpf_load_capture_end();
	/* Everything still reaches the previous print function (-v). */
	assert_int_equal(seen, 4);
	/* Only warnings are kept. */
	assert_null(strstr(text, "created successfully"));
	assert_string_equal(text, FAILED("wgt_tc_egress", "Permission denied")
			    BEGIN("wgt_tc_egress") EGRESS_LOG END
			    "libbpf: prog 'wgt_tc_egress': failed to load: -13\n");
	/* The previous print function is back. */
	assert_ptr_equal(libbpf_set_print(NULL), counting_print);
	classify(-EACCES, true, text, 20, &e);
	assert_int_equal(e.kind, BPF_LOAD_VERIFIER);
	assert_string_equal(e.prog, "wgt_tc_egress");
}

/* A 16 MiB-class verifier log keeps its first line and its end, within
 * the bound, and still classifies. */
static void test_capture_huge_log(void **state)
{
	size_t n = 40000, len = 0;
	char *log = malloc(n * 64 + 256);
	struct bpf_load_error e;
	const char *text;

	assert_non_null(log);
	for (size_t i = 0; i < n; i++)
		len += sprintf(log + len, "%zu: (bf) r1 = r6 ; R1_w=ctx(off=0,imm=0)\n", i);
	len += sprintf(log + len, "R3 min value is outside of the allowed memory range\n"
		       LAST_LINE "\n");
	libbpf_set_print(NULL);
	bpf_load_capture_begin();
	feed(LIBBPF_WARN, "libbpf: prog '%s': BPF program load failed: %s\n",
	     "wgt_tc_egress", "Permission denied");
	feed(LIBBPF_WARN, "libbpf: prog '%s': -- BEGIN PROG LOAD LOG --\n%s-- END PROG LOAD LOG --\n",
	     "wgt_tc_egress", log);
	feed(LIBBPF_WARN, "libbpf: prog '%s': failed to load: %d\n", "wgt_tc_egress", -13);
	text = bpf_load_capture_end();
	free(log);

	assert_true(strlen(text) <= BPF_LOAD_CAPTURE_MAX);
	assert_non_null(strstr(text, BEGIN("wgt_tc_egress") "[...]\n"));
	classify(-EACCES, true, text, 20, &e);
	assert_int_equal(e.kind, BPF_LOAD_VERIFIER);
	assert_string_equal(e.prog, "wgt_tc_egress");
	assert_int_equal(e.tail_lines, 20);
	assert_true(ends_with(tail(&e), "range\n" LAST_LINE));
	/* The tail starts at a whole line. */
	assert_true(strncmp(e.tail, "39982: (bf)", 11) == 0);
}

/* Many messages: the oldest go first, whole lines, the newest stay. */
static void test_capture_bound(void **state)
{
	const char *text;

	libbpf_set_print(NULL);
	bpf_load_capture_begin();
	for (int i = 0; i < 5000; i++)
		feed(LIBBPF_WARN, "libbpf: map 'm%d': something went wrong here\n", i);
	feed(LIBBPF_WARN, "libbpf: prog '%s': BPF program load failed: %s\n",
	     "wgt_tc_egress", "Permission denied");
	text = bpf_load_capture_end();
	assert_true(strlen(text) <= BPF_LOAD_CAPTURE_MAX);
	assert_true(strlen(text) > BPF_LOAD_CAPTURE_MAX - 100);
	assert_true(strncmp(text, "libbpf: map 'm", 14) == 0);
	assert_true(ends_with(text, "libbpf: map 'm4999': something went wrong here\n"
			      FAILED("wgt_tc_egress", "Permission denied")));
	/* A new capture starts empty. */
	bpf_load_capture_begin();
	assert_string_equal(bpf_load_capture_end(), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verifier_rejection),
		cmocka_unit_test(test_tail_limit),
		cmocka_unit_test(test_short_log),
		cmocka_unit_test(test_log_without_newline),
		cmocka_unit_test(test_truncated_log),
		cmocka_unit_test(test_two_programs),
		cmocka_unit_test(test_permission),
		cmocka_unit_test(test_no_log),
		cmocka_unit_test(test_verifier_other_errno),
		cmocka_unit_test(test_long_prog_name),
		cmocka_unit_test(test_error_line),
		cmocka_unit_test(test_capture),
		cmocka_unit_test(test_capture_huge_log),
		cmocka_unit_test(test_capture_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
