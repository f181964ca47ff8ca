/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One's complement arithmetic for incremental checksum updates (RFC 1624).
 * Values are raw words as loaded from packet memory, so no byte swapping
 * is needed. Plain C: the unit tests compile this header in userspace.
 */
#ifndef WGT_CSUM_H
#define WGT_CSUM_H

#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

static __always_inline __u32 csum_add(__u32 sum, __u32 v)
{
	sum += v;
	return sum + (sum < v);
}

static __always_inline __u32 csum_sub(__u32 sum, __u32 v)
{
	return csum_add(sum, ~v);
}

/* Fold a 32-bit sum to 16 bits, without complementing. */
static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* Account for a 16-byte address changing from *old to *new. */
static __always_inline __u32 csum_diff_addr(__u32 diff, const __u32 *old,
					    const __u32 *new, int words)
{
	for (int i = 0; i < 4; i++) {
		if (i >= words)
			break;
		diff = csum_sub(diff, old[i]);
		diff = csum_add(diff, new[i]);
	}
	return diff;
}

/* A 16-bit word whose bytes sit at an even (hi) and odd (lo) offset. */
static __always_inline __u16 csum_word(__u8 hi, __u8 lo)
{
	__u16 w;

	((__u8 *)&w)[0] = hi;
	((__u8 *)&w)[1] = lo;
	return w;
}

/* csum_apply() flags. */
#define CSUM_UDP	1	/* a result of 0 is sent as 0xffff */
#define CSUM_UDP4	3	/* and 0 means "no checksum" (IPv4): keep it */

/* Apply a diff to a stored checksum field (RFC 1624, eqn. 3). */
static __always_inline __u16 csum_apply(__u16 check, __u32 diff, int flags)
{
	__u16 res;

	if ((flags & 2) && check == 0)
		return 0;
	res = (__u16)~csum_fold(csum_add(diff, (__u16)~check));
	if ((flags & CSUM_UDP) && res == 0)
		res = 0xffff;
	return res;
}

/* Full checksum of a buffer (IPv4 header), for tests and small headers. */
static __always_inline __u32 csum_partial_words(const __u16 *p, int words,
						__u32 sum)
{
	for (int i = 0; i < words; i++)
		sum = csum_add(sum, p[i]);
	return sum;
}

#endif
