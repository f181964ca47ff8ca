/* SPDX-License-Identifier: GPL-2.0 */
/* Why a BPF object failed to load: libbpf's warnings are collected during
 * the load and classified, so a verifier rejection is not reported as a
 * permission problem. */
#ifndef WGT_BPF_LOAD_ERROR_H
#define WGT_BPF_LOAD_ERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <bpf/libbpf.h>

/* At most this much of libbpf's text is kept; a longer message (a verifier
 * log can be megabytes) keeps its first line and its end. */
#define BPF_LOAD_CAPTURE_MAX	65536
#define BPF_LOAD_PROG_MAX	64
#define BPF_LOAD_TAIL_LINES	20

enum bpf_load_kind {
	BPF_LOAD_OTHER,		/* none of the below: the caller's message */
	BPF_LOAD_PERMISSION,	/* EPERM, or EACCES without CAP_BPF */
	BPF_LOAD_VERIFIER,	/* the verifier refused prog; see tail */
};

struct bpf_load_error {
	enum bpf_load_kind kind;
	char prog[BPF_LOAD_PROG_MAX];	/* last program libbpf failed, or "" */
	const char *tail;	/* last lines of its log, inside the text */
	size_t tail_len;	/* without the final newline */
	int tail_lines;
};

/* Collect libbpf's warnings (still passed on to the previous print
 * function, which shows them under -v) until bpf_load_capture_end(),
 * which returns them; the text stays valid until the next begin. */
void bpf_load_capture_begin(void);
const char *bpf_load_capture_end(void);
/* The print function installed by begin; exposed for the unit test. */
int bpf_load_capture_print(enum libbpf_print_level level, const char *fmt,
			   va_list ap);

/* Pure: classify err (libbpf's negative errno) given the captured text.
 * privileged: the process has CAP_BPF or CAP_SYS_ADMIN. */
void bpf_load_classify(int err, bool privileged, const char *text,
		       int max_lines, struct bpf_load_error *e);
/* The one error line for a verifier rejection, into buf. */
void bpf_load_verifier_line(const struct bpf_load_error *e,
			    const char *kernel, bool verbose, char *buf,
			    size_t len);
/* CAP_BPF or CAP_SYS_ADMIN in the effective set (true if unknown). */
bool bpf_load_privileged(void);
struct wgt_err;
/* e gets the line for le (a verifier rejection), the log's tail as notes. */
void bpf_load_verifier_err(const struct bpf_load_error *le, struct wgt_err *e);

#endif
