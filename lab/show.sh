#!/usr/bin/env bash
# show.sh PCAP...  - what a capture shows, with tshark: the FTP commands and
# replies (frame, addresses, command/argument or reply) and the TCP SYNs,
# RSTs and ICMP errors of the data connections.  A reading aid for people
# checking the lab's captures; the lab's test uses ftpsniff, not this.
set -euo pipefail
command -v tshark >/dev/null || { echo "show.sh needs tshark (apt-get install tshark)" >&2; exit 1; }
for f in "$@"; do
	echo "== $f"
	tshark -n -r "$f" -o tcp.analyze_sequence_numbers:TRUE \
		-Y 'ftp or (tcp.flags.syn==1) or (tcp.flags.reset==1) or icmp or icmpv6.type<128 or tcp.analysis.retransmission' \
		-T fields -E separator=' ' \
		-e frame.number -e frame.time_relative -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport \
		-e tcp.flags.str -e _ws.col.Info 2>/dev/null |
		awk '{ printf "%5s %8.3f %s\n", $1, $2, substr($0, index($0,$3)) }'
done
