// Command floor is the decode floor of issue 7: the least any gopacket-based
// analyzer of a capture file must do. It reads a pcap file with pcapgo's
// Reader (ZeroCopyReadPacketData), decodes every frame with a
// DecodingLayerParser into reused Ethernet, 802.1Q, IPv4, IPv6 and TCP
// structs (IgnoreUnsupported), counts SYNs, and prints what it counted.
// ftpsniff's whole-process time on a capture, divided by this program's,
// is the ratio bench/run.sh reports.
//
//	go build -o floor ./bench/floor && ./floor bench/out/1g.pcap
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

func main() {
	bufSize := flag.Int("buf", 1<<20, "read buffer size in `BYTES` (ftpsniff's capture reader uses 1 MiB)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: floor [-buf BYTES] FILE.pcap")
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(bufio.NewReaderSize(f, *bufSize))
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}

	var (
		eth   layers.Ethernet
		dot1q layers.Dot1Q
		ip4   layers.IPv4
		ip6   layers.IPv6
		tcp   layers.TCP
	)
	p := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &dot1q, &ip4, &ip6, &tcp)
	p.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 8)

	var packets, bytes, tcpSegs, syns, errs uint64
	for {
		data, ci, err := r.ZeroCopyReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
		packets++
		bytes += uint64(ci.CaptureLength)
		if err := p.DecodeLayers(data, &decoded); err != nil {
			errs++
		}
		for _, lt := range decoded {
			if lt == layers.LayerTypeTCP {
				tcpSegs++
				if tcp.SYN {
					syns++
				}
			}
		}
	}
	fmt.Printf("packets %d bytes %d tcp %d syn %d decode_errors %d\n", packets, bytes, tcpSegs, syns, errs)
}
