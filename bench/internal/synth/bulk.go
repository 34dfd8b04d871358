package synth

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"strings"
	"time"

	"github.com/ftpsniff/ftpsniff/internal/pcapgen"
)

// bulk is one long TCP flow between two hosts that have nothing to do with
// FTP: an HTTPS download (or upload) of 1448-byte segments, the receiver
// ACKing every second one. After the handshake the sender's bytes are a
// stream of TLS 1.3 application-data records of the largest size, headers
// where a real stream has them (one record spans about 11 segments, and a
// header may be cut by a segment boundary): what a span port sees, and
// what a dissector such as tshark's has to reassemble.
type bulk struct {
	s         *sim
	c         *pcapgen.Conn
	remaining int
	upload    bool
	opened    bool
	burst     int
	gap       time.Duration
	recLeft   int    // bytes of the current record's body still to send
	hdr       []byte // bytes of the next record's header still to send
}

// tlsRecordBody is a full TLS 1.3 record's body on the wire: 2^14 bytes of
// data, the inner content type and a 16-byte AEAD tag (RFC 8446, 5.2).
const tlsRecordBody = 1<<14 + 1 + 16

// stream returns the next n bytes the sender puts on the wire.
func (b *bulk) stream(n int) []byte {
	if len(b.hdr) == 0 && b.recLeft >= n {
		b.recLeft -= n
		return b.s.payload(false, n)
	}
	out := make([]byte, 0, n)
	for len(out) < n {
		if len(b.hdr) == 0 && b.recLeft == 0 {
			b.hdr = []byte{23, 3, 3, byte(tlsRecordBody >> 8), byte(tlsRecordBody & 0xff)}
			b.recLeft = tlsRecordBody
		}
		if len(b.hdr) > 0 {
			k := min(len(b.hdr), n-len(out))
			out = append(out, b.hdr[:k]...)
			b.hdr = b.hdr[k:]
			continue
		}
		k := min(b.recLeft, n-len(out))
		out = append(out, b.s.payload(false, k)...)
		b.recLeft -= k
	}
	return out
}

var bulkPorts = []uint16{443, 443, 443, 443, 8443, 993, 5001, 22}

func (s *sim) startBulk() {
	s.bulkOpen++
	s.bulkSerial++
	n := uint32(s.bulkSerial)
	r := s.rng
	var cli, srv netip.Addr
	if r.IntN(5) == 0 {
		cli, srv = v6addr(0x20010db8, 0x000b0000, n), v6addr(0x20010db8, 0x00b50000, n)
	} else {
		cli, srv = v4addr(100<<24|64<<16, n), v4addr(198<<24|18<<16, n)
	}
	b := &bulk{s: s,
		remaining: int(math.Exp(math.Log(1<<20) + r.Float64()*math.Log(64))), // 1-64 MiB
		upload:    r.IntN(6) == 0,
		burst:     8 + r.IntN(40),
		gap:       time.Duration(100+r.IntN(900)) * time.Microsecond,
	}
	b.c = s.newConn(s.plain, netip.AddrPortFrom(cli, uint16(32768+r.IntN(28000))),
		netip.AddrPortFrom(srv, bulkPorts[r.IntN(len(bulkPorts))]))
	s.stats.BulkFlows++
	s.schedule(b, s.now.Add(time.Duration(r.IntN(2000))*time.Microsecond))
}

func (b *bulk) seg(p pcapgen.TCP) { b.s.seg(b.s.plain, bulkTraffic, p) }

func (b *bulk) step() (time.Duration, bool) {
	s := b.s
	if s.err != nil {
		return 0, true
	}
	c := b.c
	if !b.opened {
		b.opened = true
		s.conn(s.plain, bulkTraffic, c, 3, c.Handshake)
		// A TLS ClientHello and the server's first flight.
		b.seg(c.NextClientSegment(tlsRecord(s, 22, 512)))
		b.seg(c.NextServerSegment(tlsRecord(s, 22, mss-5)))
		b.seg(c.NextServerSegment(tlsRecord(s, 23, 1195)))
		b.seg(c.NextClientSegment(tlsRecord(s, 20, 1)))
		return b.gap, false
	}
	if s.winding || b.remaining <= 0 {
		s.conn(s.plain, bulkTraffic, c, 3, func() error { return c.CloseFrom(b.upload) })
		s.bulkOpen--
		if !s.winding {
			s.startBulk()
		}
		return 0, true
	}
	// Bulk traffic waits while FTP is behind its share of the bytes (and
	// there is FTP traffic to wait for).
	if s.open > 0 && s.ftpBehind() {
		return 300 * time.Microsecond, false
	}
	send, recv := c.NextServerSegment, c.NextClientSegment
	if b.upload {
		send, recv = c.NextClientSegment, c.NextServerSegment
	}
	for i := 0; i < b.burst && b.remaining > 0; i++ {
		k := min(b.remaining, mss)
		b.seg(send(b.stream(k)))
		s.now = s.last.Add(12 * time.Microsecond) // 1 Gb/s
		b.remaining -= k
		if i%2 == 1 {
			b.seg(recv(nil))
		}
	}
	return b.gap, false
}

// tlsRecord returns a TLS record header and n random bytes (a fresh slice:
// segments keep their payload until written).
func tlsRecord(s *sim, typ byte, n int) []byte {
	b := make([]byte, 5, 5+n)
	b[0], b[1], b[2], b[3], b[4] = typ, 3, 3, byte(n>>8), byte(n)
	return append(b, s.payload(false, n)...)
}

var words = strings.Fields(`order customer invoice amount total status shipped pending paid refund
	date region north south east west product sku quantity price tax discount currency EUR USD
	warehouse delivered cancelled account reference note`)

// makeText returns n bytes of CSV-like text.
func makeText(r *rand.Rand, n int) []byte {
	b := make([]byte, 0, n+128)
	for len(b) < n {
		for f := range 6 {
			if f > 0 {
				b = append(b, ',')
			}
			if f%2 == 0 {
				b = append(b, words[r.IntN(len(words))]...)
			} else {
				for range 1 + r.IntN(7) {
					b = append(b, byte('0'+r.IntN(10)))
				}
			}
		}
		b = append(b, '\n')
	}
	return b[:n]
}
