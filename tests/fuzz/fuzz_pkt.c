/*
 * libFuzzer target for the capture file reader and the check (not a tool
 * parser: the bytes are a pcap or pcapng file). Whatever the bytes: no
 * crash, no out-of-bounds access, no leak, no undefined behaviour; a
 * failure returns NR_EPARSE with a message naming the file; every frame
 * the reader returns goes through the check. Seeded from
 * the .pcap files of tests/fixtures/pkt/ (run.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkt/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nr_pkt_check_opts o = { .sent = 16 };
	struct nr_pkt_reader r;
	struct nr_pkt_record rec;
	struct nr_pkt_checker *c;
	struct nr_pkt_check res;
	struct nr_diag d = { 0 };
	int rc;

	rc = nr_pkt_reader_open_mem(&r, data, size, "fuzz.pcap", &d);
	if (rc < 0) {
		if (rc != NR_EPARSE || strncmp(d.msg, "fuzz.pcap: ", 11))
			abort();
		return 0;
	}
	c = nr_pkt_checker_new(&o);
	while ((rc = nr_pkt_reader_next(&r, &rec, &d)) > 0) {
		if (rec.caplen > NR_PKT_RECORD_MAX)
			abort();
		nr_pkt_checker_add(c, rec.ts_ns, rec.data, rec.caplen, rec.origlen);
	}
	if (rc < 0 && (rc != NR_EPARSE || strncmp(d.msg, "fuzz.pcap: ", 11)))
		abort();
	nr_pkt_checker_finish(c, &res);
	if (res.rule != NR_PKT_RULE_PASS && !res.message[0])
		abort();
	nr_pkt_reader_close(&r);
	return 0;
}
