package pipeline

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/internal/pcapgen"
)

// bigSegments is a capture of one connection whose server sends n segments
// of size bytes each, every one different: batches fill by bytes before
// they fill by packets.
func bigSegments(t *testing.T, n, size int) string {
	return bigSegmentsAt(t, n, size, 0)
}

// bigSegmentsAt is bigSegments starting shift later, from another client.
func bigSegmentsAt(t *testing.T, n, size int, shift time.Duration) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgen.NewWriter(&buf, pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet})
	if err != nil {
		t.Fatal(err)
	}
	client := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, 0, byte(2 + shift/time.Millisecond%200)}), 40000)
	c := w.NewConn(client, netip.MustParseAddrPort("198.51.100.10:21"), time.Unix(1700000000, 0).Add(shift))
	c.Handshake()
	for i := range n {
		c.Server(strings.Repeat(string(rune('a'+i%26)), size-2) + "\r\n")
	}
	c.Close()
	w.Close()
	name := filepath.Join(t.TempDir(), fmt.Sprintf("big-%d-%d.pcap", n, size))
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// collect copies what it is handed, payloads included.
func collect(into *[]capture.Packet) func(*capture.Packet) {
	return func(p *capture.Packet) {
		cp := *p
		cp.Payload = bytes.Clone(p.Payload)
		*into = append(*into, cp)
	}
}

// TestReadAheadHandsEveryPacket: reading ahead hands the analysis the same
// packets, in the same order, with the same payloads, as reading one by
// one: over every capture in testdata/; over captures of many times the
// files' buffers, whose payloads stay in buffers lent and given back
// (a buffer given back too early is read into again before its packets
// are analysed: their payloads differ); over a point of two such files
// read as one (a record waits in its file's buffer while the other
// file's are handed on); and over large segments.
func TestReadAheadHandsEveryPacket(t *testing.T) {
	files, _ := filepath.Glob("../testdata/*.pcap*")
	var points [][]string
	for _, f := range files {
		points = append(points, []string{f})
	}
	points = append(points, []string{bigSegments(t, 3000, 1400)}, []string{bigSegments(t, 40, 60000)},
		[]string{bigSegmentsAt(t, 1500, 1000, 0), bigSegmentsAt(t, 1500, 700, 5*time.Millisecond)})
	for _, f := range points {
		t.Run(filepath.Base(f[0]), func(t *testing.T) {
			var want, got []capture.Packet
			pt, err := capture.OpenPoint("p", f)
			if err != nil {
				t.Fatal(err)
			}
			var p capture.Packet
			for pt.Next(&p) == nil {
				collect(&want)(&p)
			}
			wantStats := pt.Stats
			pt.Close()
			pt, err = capture.OpenPoint("p", f)
			if err != nil {
				t.Fatal(err)
			}
			readAhead(pt, collect(&got), func() bool { return false })
			if pt.Stats != wantStats {
				t.Errorf("stats %+v reading ahead, %+v one by one", pt.Stats, wantStats)
			}
			pt.Close()
			if len(got) != len(want) {
				t.Fatalf("%d packets read ahead, %d one by one", len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("packet %d: read ahead %+v, one by one %+v", i, got[i], want[i])
				}
			}
		})
	}
}

// TestReadAheadStops: once stop says so, no further packet is handed on,
// and readAhead returns (the reader's goroutine let go of the point).
func TestReadAheadStops(t *testing.T) {
	f := bigSegments(t, 4*batchPackets, 100)
	pt, err := capture.OpenPoint("p", []string{f})
	if err != nil {
		t.Fatal(err)
	}
	defer pt.Close()
	n := 0
	readAhead(pt, func(*capture.Packet) { n++ }, func() bool { return n == 700 })
	if n != 700 {
		t.Errorf("%d packets handed on, want 700: stop is asked after each", n)
	}
}

// TestReadAheadStopsBehindAFullReader: stopping while the reader waits,
// every batch full, for the analysis to take one. The batch the analysis
// stopped in goes back to the reader, which must find it empty: it was
// once handed back full, and the reader filled it past its end.
func TestReadAheadStopsBehindAFullReader(t *testing.T) {
	f := bigSegments(t, (batchesAhead+4)*batchPackets, 100)
	for range 20 {
		pt, err := capture.OpenPoint("p", []string{f})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		readAhead(pt, func(*capture.Packet) {
			if n++; n == 1 {
				time.Sleep(20 * time.Millisecond) // the reader fills every batch
			}
		}, func() bool { return n == 1 })
		pt.Close()
		if n != 1 {
			t.Fatalf("%d packets handed on, want 1", n)
		}
	}
}

// notAFile is an input that is not a *capture.File, so it cannot lend its
// buffers (a live interface is such an input).
type notAFile struct{ *capture.File }

// TestReadAheadOfAPointThatCannotLend: a point with an input that cannot
// lend its buffers is read one by one, on the caller's goroutine, every
// packet handed on as reading one by one hands it.
func TestReadAheadOfAPointThatCannotLend(t *testing.T) {
	name := bigSegments(t, 3000, 1400)
	pt, err := capture.OpenPoint("p", []string{name})
	if err != nil {
		t.Fatal(err)
	}
	var want []capture.Packet
	var p capture.Packet
	for pt.Next(&p) == nil {
		collect(&want)(&p)
	}
	pt.Close()
	f, err := capture.OpenFile(name)
	if err != nil {
		t.Fatal(err)
	}
	pt = capture.NewPoint("p", []string{name}, []capture.Input{notAFile{f}})
	defer pt.Close()
	if pt.Lends() {
		t.Fatal("a point of an input that is not a File lends")
	}
	var got []capture.Packet
	readAhead(pt, collect(&got), func() bool { return false })
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%d packets read, %d one by one, or they differ", len(got), len(want))
	}
}
