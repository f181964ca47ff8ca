/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TURN ChannelData (RFC 8656 12.4), all the datapath knows of it: a 4-byte
 * header {channel 0x4000-0x4FFF, length} before the payload, padding to 4
 * bytes allowed after it (UDP needs none). Parsing, the header words and
 * the checksum change of adding or removing them; the packet surgery is in
 * egress.h (insert) and decap.h (strip).
 */
#ifndef WGT_CHANDATA_H
#define WGT_CHANDATA_H

#include <bpf/bpf_endian.h>
#include "csum.h"
#include "consts.h"
#include "wgturn.h"

#define WGT_CHANDATA_PAD_MAX 3

struct wgt_chandata {
	__u16 chan;		/* channel number */
	__u16 cdlen;		/* payload length */
	__u8 pad_len;		/* bytes after the payload */
	__u8 padding[WGT_CHANDATA_PAD_MAX];	/* their values, for the checksum */
};

/* The first byte of a ChannelData message: 0x40-0x4F. */
static __always_inline int chandata_first_byte(__u8 b0)
{
	return (b0 & 0xf0) == 0x40;
}

/* Header of a plen-byte UDP payload starting with b. 0, or the reason to
 * pass the datagram untouched. */
static __always_inline int chandata_parse(const __u8 *b, __u32 plen,
					  struct wgt_chandata *cd)
{
	cd->chan = (__u16)b[0] << 8 | b[1];
	cd->cdlen = (__u16)b[2] << 8 | b[3];
	if (WGT_CHANDATA_HLEN + cd->cdlen > plen)
		return WGT_PASS_BAD_CHANNEL_LEN;
	if (plen - WGT_CHANDATA_HLEN - cd->cdlen > WGT_CHANDATA_PAD_MAX)
		return WGT_PASS_BAD_CHANNEL_LEN;
	cd->pad_len = plen - WGT_CHANDATA_HLEN - cd->cdlen;
	return 0;
}

/* The header words, network order, for a len-byte payload on chan. */
static __always_inline void chandata_hdr(__u16 chan, __u16 len, __u16 hdr[2])
{
	hdr[0] = bpf_htons(chan);
	hdr[1] = bpf_htons(len);
}

/* Checksum diff of inserting the header (no padding is ever added). */
static __always_inline __u32 chandata_added(__u16 chan, __u16 len)
{
	return csum_add(bpf_htons(chan), bpf_htons(len));
}

/*
 * Checksum diff of removing the header and its padding. A padding byte at
 * an odd UDP offset is the low half of a 16-bit word.
 */
static __always_inline __u32 chandata_removed(const struct wgt_chandata *cd)
{
	__u32 diff = 0;

	diff = csum_sub(diff, bpf_htons(cd->chan));
	diff = csum_sub(diff, bpf_htons(cd->cdlen));
	for (int i = 0; i < WGT_CHANDATA_PAD_MAX; i++) {
		__u32 off = WGT_UDP_HLEN + WGT_CHANDATA_HLEN + cd->cdlen + i;

		if (i >= cd->pad_len)
			break;
		if (off & 1)
			diff = csum_sub(diff, csum_word(0, cd->padding[i]));
		else
			diff = csum_sub(diff, csum_word(cd->padding[i], 0));
	}
	return diff;
}

#endif
