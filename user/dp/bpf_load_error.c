// SPDX-License-Identifier: GPL-2.0
/*
 * Why a BPF object failed to load. libbpf names the program that failed
 * and prints the verifier's log only through its print callback, in
 * warnings like (libbpf 1.1):
 *
 *   libbpf: prog 'NAME': BPF program load failed: Permission denied
 *   libbpf: prog 'NAME': -- BEGIN PROG LOAD LOG --
 *   <the verifier's log>-- END PROG LOAD LOG --
 *
 * so those warnings are collected during the load and read afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include "bpf_load_error.h"
#include "base/err.h"
#include "base/log.h"

/* No single message may take more than half: the ones after it (which
 * program failed, how) must still fit. */
#define MSG_MAX		(BPF_LOAD_CAPTURE_MAX / 2)
#define HEAD_MAX	512

static struct {
	char buf[BPF_LOAD_CAPTURE_MAX + 1];
	size_t len;
	bool on;
	libbpf_print_fn_t prev;
} cap;

/* Drop whole lines from the front until need more bytes fit: the newest
 * messages, about the failure that ended the load, matter most. */
static void cap_room(size_t need)
{
	const char *nl;
	size_t drop;

	if (cap.len + need <= BPF_LOAD_CAPTURE_MAX)
		return;
	drop = cap.len + need - BPF_LOAD_CAPTURE_MAX;
	nl = memchr(cap.buf + drop - 1, '\n', cap.len - drop + 1);
	drop = nl ? (size_t)(nl - cap.buf + 1) : cap.len;
	memmove(cap.buf, cap.buf + drop, cap.len - drop);
	cap.len -= drop;
}

/* Start of the last (at most) max bytes of s[0..n), at a line start. */
static const char *tail_start(const char *s, size_t n, size_t max)
{
	const char *t = s + n - max;
	const char *nl = memchr(t - 1, '\n', max + 1);

	return nl ? nl + 1 : s + n;
}

/* A message too long to keep keeps its first line (which program) and
 * its end (where the verifier gave up). */
static void cap_add(const char *msg, size_t n)
{
	static const char cut[] = "[...]\n";
	struct { const char *p; size_t n; } part[3] = { { msg, n } };
	size_t total = 0;

	if (n > MSG_MAX) {
		const char *nl = memchr(msg, '\n', HEAD_MAX);
		const char *t;

		part[0].n = nl ? (size_t)(nl - msg + 1) : 0;
		part[1].p = cut;
		part[1].n = strlen(cut);
		t = tail_start(msg, n, MSG_MAX - part[0].n - part[1].n);
		part[2].p = t;
		part[2].n = msg + n - t;
	}
	for (int i = 0; i < 3; i++)
		total += part[i].n;
	cap_room(total);
	for (int i = 0; i < 3; i++) {
		if (!part[i].n)
			continue;
		memcpy(cap.buf + cap.len, part[i].p, part[i].n);
		cap.len += part[i].n;
	}
	cap.buf[cap.len] = '\0';
}

int bpf_load_capture_print(enum libbpf_print_level level, const char *fmt,
			   va_list ap)
{
	va_list cp;
	char *msg;
	int n;

	/* The failure and the verifier log are warnings; debug output is
	 * only noise here. */
	if (level == LIBBPF_WARN) {
		va_copy(cp, ap);
		n = vasprintf(&msg, fmt, cp);
		va_end(cp);
		if (n >= 0) {
			cap_add(msg, n);
			free(msg);
		}
	}
	return cap.prev ? cap.prev(level, fmt, ap) : 0;
}

void bpf_load_capture_begin(void)
{
	cap.len = 0;
	cap.buf[0] = '\0';
	if (cap.on)
		return;
	cap.on = true;
	cap.prev = libbpf_set_print(bpf_load_capture_print);
}

const char *bpf_load_capture_end(void)
{
	if (cap.on)
		libbpf_set_print(cap.prev);
	cap.on = false;
	return cap.buf;
}

static const char *next_line(const char *s)
{
	const char *nl = strchr(s, '\n');

	return nl ? nl + 1 : s + strlen(s);
}

/* Is s "libbpf: prog 'NAME': WHAT..."? Then copy NAME (cut to len). */
static bool prog_line(const char *s, const char *what, char *name,
		      size_t len)
{
	static const char pre[] = "libbpf: prog '";
	size_t n;

	if (strncmp(s, pre, strlen(pre)))
		return false;
	s += strlen(pre);
	n = strcspn(s, "'\n");
	if (strncmp(s + n, "': ", 3) || strncmp(s + n + 3, what, strlen(what)))
		return false;
	if (n >= len)
		n = len - 1;
	memcpy(name, s, n);
	name[n] = '\0';
	return true;
}

/* The log ends at libbpf's marker, which follows the log's last byte even
 * without a newline; a cut log at libbpf's next message or the text's end. */
static const char *log_end(const char *s)
{
	static const char mark[] = "-- END PROG LOAD LOG --";
	const char *nl, *m;

	for (; *s; s = nl) {
		nl = next_line(s);
		if (!strncmp(s, "libbpf: ", strlen("libbpf: ")))
			return s;
		m = memmem(s, nl - s, mark, strlen(mark));
		if (m)
			return m;
	}
	return s;
}

/* Start of prog's load log at or after from, or NULL; *end: its end. */
static const char *prog_log(const char *from, const char *prog,
			    const char **end)
{
	char name[BPF_LOAD_PROG_MAX];
	const char *s;

	for (s = from; *s; s = next_line(s)) {
		if (prog_line(s, "-- BEGIN PROG LOAD LOG --", name,
			      sizeof(name)) && !strcmp(name, prog)) {
			s = next_line(s);
			*end = log_end(s);
			return s;
		}
	}
	return NULL;
}

/* The last max lines of s[..e), trailing newlines dropped. */
static void log_tail(const char *s, const char *e, int max,
		     struct bpf_load_error *out)
{
	const char *t;
	int n = 0;

	while (e > s && e[-1] == '\n')
		e--;
	for (t = e; n < max && t > s; n++) {
		if (n)
			t--;	/* the newline ending the line before */
		while (t > s && t[-1] != '\n')
			t--;
	}
	out->tail = t;
	out->tail_len = e - t;
	out->tail_lines = n;
}

void bpf_load_classify(int err, bool privileged, const char *text,
		       int max_lines, struct bpf_load_error *e)
{
	char name[BPF_LOAD_PROG_MAX];
	const char *s, *failed = NULL, *log, *end;

	memset(e, 0, sizeof(*e));
	e->kind = BPF_LOAD_OTHER;
	/* libbpf stops at the first program that fails; if the text holds
	 * several failures, the last one ended this load. */
	for (s = text ? text : ""; *s; s = next_line(s)) {
		if (prog_line(s, "BPF program load failed:", name,
			      sizeof(name))) {
			failed = s;
			strcpy(e->prog, name);
		}
	}
	if (err == -EPERM || (err == -EACCES && !privileged)) {
		e->kind = BPF_LOAD_PERMISSION;
		return;
	}
	/* libbpf asks for a log only after a load failed, and the kernel
	 * only writes one from the verifier: a log means the verifier said
	 * no, whatever the errno. Without one an EACCES can as well come
	 * from a security module, so it is not called a verifier's. */
	if (!failed)
		return;
	log = prog_log(next_line(failed), e->prog, &end);
	if (!log)
		return;
	e->kind = BPF_LOAD_VERIFIER;
	log_tail(log, end, max_lines, e);
}

void bpf_load_verifier_line(const struct bpf_load_error *e,
			    const char *kernel, bool verbose, char *buf,
			    size_t len)
{
	const char *more = "";

	if (e->tail_lines)
		more = verbose ? "; the end of its log follows" :
				 "; run with -v for the verifier log";
	snprintf(buf, len,
		 "the kernel's BPF verifier rejected program '%s' (kernel %s)%s",
		 e->prog, kernel, more);
}

/* Like main.c's check: effective CAP_BPF or CAP_SYS_ADMIN. */
bool bpf_load_privileged(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};

	if (syscall(SYS_capget, &h, d))
		return true;	/* unknown: don't blame privileges */
	return (d[CAP_TO_INDEX(CAP_BPF)].effective & CAP_TO_MASK(CAP_BPF)) ||
	       (d[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &
		CAP_TO_MASK(CAP_SYS_ADMIN));
}

void bpf_load_verifier_err(const struct bpf_load_error *le, struct wgt_err *e)
{
	const char *s, *nl, *end = le->tail + le->tail_len;
	struct utsname u;

	bpf_load_verifier_line(le, uname(&u) ? "unknown" : u.release,
			       log_verbose, e->msg, sizeof(e->msg));
	if (!le->tail_lines)
		return;
	wgt_err_note(e, "last %d lines of the verifier log of '%s':",
		     le->tail_lines, le->prog);
	for (s = le->tail; s <= end; s = nl + 1) {
		nl = memchr(s, '\n', end - s);
		if (!nl)
			nl = end;
		wgt_err_note(e, "  %.*s", (int)(nl - s), s);
	}
}
