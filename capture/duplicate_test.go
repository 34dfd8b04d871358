package capture_test

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/internal/pcapgen"
)

// raw is one record to write as it is.
type raw struct {
	time time.Time
	data []byte
	wire int
}

// distinct returns n records whose bytes all differ (each TCP segment
// carries its number and size bytes of payload), at the times at gives.
func distinct(t testing.TB, n, size int, at func(i int) time.Time) []raw {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgen.NewWriter(&buf, pcapgen.Options{Format: pcapgen.PcapNano, Link: pcapgen.Ethernet})
	if err != nil {
		t.Fatal(err)
	}
	cli, srv := netip.MustParseAddrPort("10.1.0.2:40000"), netip.MustParseAddrPort("198.51.100.10:21")
	for i := range n {
		payload := fmt.Appendf(nil, "%06d ", i)
		payload = append(payload, bytes.Repeat([]byte{'x'}, size)...)
		if err := w.WriteTCP(pcapgen.TCP{Time: at(i), Src: cli, Dst: srv, Seq: uint32(i) * 1000, Ack: 1,
			Flags: pcapgen.PSH | pcapgen.ACK, Payload: payload}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := capture.NewFile("distinct", bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var out []raw
	var rec capture.Record
	for f.ReadRecord(&rec) == nil {
		out = append(out, raw{time: rec.Time, data: bytes.Clone(rec.Data), wire: rec.WireLen})
	}
	if len(out) != n {
		t.Fatalf("read back %d records, wrote %d", len(out), n)
	}
	return out
}

// everyMillisecond spaces records 1 ms apart.
func everyMillisecond(i int) time.Time { return t0.Add(time.Duration(i) * time.Millisecond) }

// writeRecords writes recs, in this order, as a capture of the given
// format (Ethernet, nanosecond timestamps; Simple Packet Blocks, without
// timestamps, when simple is set).
func writeRecords(t testing.TB, format pcapgen.Format, simple bool, recs []raw) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgen.NewWriter(&buf, pcapgen.Options{Format: format, Link: pcapgen.Ethernet, SimplePackets: simple})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.WriteRaw(r.time, r.data, r.wire); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// doubled returns each record twice in a row.
func doubled(recs []raw) []raw {
	var out []raw
	for _, r := range recs {
		out = append(out, r, r)
	}
	return out
}

// mergedWithItself returns what mergecap writes for a file merged with
// itself: the records of each timestamp twice, the whole run, then the
// whole run again.
func mergedWithItself(recs []raw) []raw {
	var out []raw
	for i := 0; i < len(recs); {
		j := i + 1
		for j < len(recs) && recs[j].time.Equal(recs[i].time) {
			j++
		}
		out = append(out, recs[i:j]...)
		out = append(out, recs[i:j]...)
		i = j
	}
	return out
}

// shifted returns recs with every timestamp moved by d.
func shifted(recs []raw, d time.Duration) []raw {
	out := slices.Clone(recs)
	for i := range out {
		out[i].time = out[i].time.Add(d)
	}
	return out
}

// frameRange lists "input:frame" for frames from..to of an input.
func frameRange(input int, from, to uint64) []string {
	var out []string
	for f := from; f <= to; f++ {
		out = append(out, fmt.Sprintf("%d:%d", input, f))
	}
	return out
}

// oddFrames lists "input:frame" for the odd frames up to 2n.
func oddFrames(input, n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("%d:%d", input, 2*i+1))
	}
	return out
}

// stream hides everything of a reader but Read, as standard input from a
// pipe: it cannot be read a second time.
type stream struct{ r io.Reader }

func (s stream) Read(b []byte) (int, error) { return s.r.Read(b) }

// readPoint reads the files as one capture point and returns the
// "input:frame" of every packet Next returns.
func readPoint(t *testing.T, files [][]byte, asStream bool) ([]string, *capture.Point) {
	t.Helper()
	var inputs []capture.Input
	var names []string
	for i, b := range files {
		var r io.Reader = bytes.NewReader(b)
		if asStream {
			r = stream{r}
		}
		name := fmt.Sprintf("in%d", i)
		f, err := capture.NewFile(name, r)
		if err != nil {
			t.Fatal(err)
		}
		inputs, names = append(inputs, f), append(names, name)
	}
	pt := capture.NewPoint("p", names, inputs)
	var got []string
	var p capture.Packet
	for {
		err := pt.Next(&p)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d:%d", p.Input, p.Frame))
	}
	if len(pt.Errors) > 0 {
		t.Fatal(pt.Errors)
	}
	return got, pt
}

func sameEvidence(a, b capture.DuplicateEvidence) bool {
	return a.Input == b.Input && a.Frame == b.Frame && a.Repeats == b.Repeats && a.Time.Equal(b.Time) &&
		a.Shape == b.Shape && a.SteppedBackFrom.Equal(b.SteppedBackFrom) && a.Unchecked == b.Unchecked
}

func TestDuplicates(t *testing.T) {
	six := distinct(t, 6, 20, everyMillisecond)
	// Runs of one timestamp: records 1-2, 3, 4-6.
	runs := distinct(t, 6, 20, func(i int) time.Time { return t0.Add(time.Duration([]int{0, 0, 1, 2, 2, 2}[i]) * time.Millisecond) })
	sameTime := distinct(t, 6, 20, func(int) time.Time { return t0 })
	other := distinct(t, 3, 30, func(i int) time.Time { return t0.Add(time.Duration(i)*time.Millisecond + time.Microsecond) })
	head := capture.DuplicateHeadRecords
	long := distinct(t, head+500, 10, func(i int) time.Time { return t0.Add(time.Duration(i) * time.Microsecond) })
	// 4.8 MB: the reader's buffers are filled many times, and the head
	// holds fewer than DuplicateHeadBytes of them.
	large := distinct(t, 4500, 1000, everyMillisecond)
	n, nl := uint64(len(long)), uint64(len(large))
	oneByteOff := slices.Clone(sameTime[:1])
	oneByteOff[0].data = bytes.Clone(oneByteOff[0].data)
	oneByteOff[0].data[len(oneByteOff[0].data)-1] ^= 1
	longerOnWire := slices.Clone(sameTime[:1])
	longerOnWire[0].wire++

	for _, tt := range []struct {
		name     string
		format   pcapgen.Format
		simple   bool     // Simple Packet Blocks, without timestamps
		stream   bool     // the inputs cannot be read a second time
		inputs   [][]raw  // the records of each input, in file order
		want     []string // "input:frame" of the packets Next returns
		evidence capture.DuplicateEvidence
		dups     uint64
	}{
		{name: "concatenated copy/pcap", format: pcapgen.PcapNano, inputs: [][]raw{append(slices.Clone(six), six...)},
			want: frameRange(0, 1, 6), dups: 6,
			evidence: capture.DuplicateEvidence{Frame: 7, Repeats: 1, Time: six[0].time, Shape: capture.RepeatedAfterStepBack, SteppedBackFrom: six[5].time}},
		{name: "concatenated copy/pcapng", format: pcapgen.Pcapng, inputs: [][]raw{append(slices.Clone(six), six...)},
			want: frameRange(0, 1, 6), dups: 6,
			evidence: capture.DuplicateEvidence{Frame: 7, Repeats: 1, Time: six[0].time, Shape: capture.RepeatedAfterStepBack, SteppedBackFrom: six[5].time}},
		{name: "concatenated three times", format: pcapgen.PcapNano, inputs: [][]raw{slices.Concat(six, six, six)},
			want: frameRange(0, 1, 6), dups: 12,
			evidence: capture.DuplicateEvidence{Frame: 7, Repeats: 1, Time: six[0].time, Shape: capture.RepeatedAfterStepBack, SteppedBackFrom: six[5].time}},
		{name: "overlapping files concatenated", format: pcapgen.PcapNano, inputs: [][]raw{slices.Concat(six[:4], six[2:])},
			want: append(frameRange(0, 1, 4), frameRange(0, 7, 8)...), dups: 2,
			evidence: capture.DuplicateEvidence{Frame: 5, Repeats: 3, Time: six[2].time, Shape: capture.RepeatedAfterStepBack, SteppedBackFrom: six[3].time}},
		{name: "doubled in place/pcap", format: pcapgen.PcapNano, inputs: [][]raw{doubled(six)},
			want: oddFrames(0, 6), dups: 6,
			evidence: capture.DuplicateEvidence{Frame: 2, Repeats: 1, Time: six[0].time, Shape: capture.DoubledInPlace}},
		{name: "doubled in place/pcapng", format: pcapgen.Pcapng, inputs: [][]raw{doubled(six)},
			want: oddFrames(0, 6), dups: 6,
			evidence: capture.DuplicateEvidence{Frame: 2, Repeats: 1, Time: six[0].time, Shape: capture.DoubledInPlace}},
		{name: "merged with itself, runs of one timestamp", format: pcapgen.PcapNano, inputs: [][]raw{mergedWithItself(runs)},
			want: []string{"0:1", "0:2", "0:5", "0:7", "0:8", "0:9"}, dups: 6,
			evidence: capture.DuplicateEvidence{Frame: 3, Repeats: 1, Time: runs[0].time, Shape: capture.DoubledInPlace}},
		// a holds x (t1), y (t0, out of order), z (t2); mergecap a a
		// writes x y x y z z.
		{name: "merged with itself, a record out of order", format: pcapgen.Pcapng,
			inputs: [][]raw{{six[1], six[0], six[1], six[0], six[2], six[2]}},
			want:   []string{"0:1", "0:2", "0:5"}, dups: 3,
			evidence: capture.DuplicateEvidence{Frame: 3, Repeats: 1, Time: six[1].time, Shape: capture.DoubledInPlace}},
		{name: "same bytes at a later time", format: pcapgen.PcapNano, inputs: [][]raw{slices.Concat(six, shifted(six, time.Hour))},
			want: frameRange(0, 1, 12)},
		{name: "same bytes after the time stepped back, other timestamps", format: pcapgen.Pcapng, inputs: [][]raw{slices.Concat(six, shifted(six, -time.Microsecond))},
			want: frameRange(0, 1, 12)},
		{name: "equal timestamps, different bytes", format: pcapgen.PcapNano, inputs: [][]raw{slices.Concat(sameTime, sameTime[:1], oneByteOff, longerOnWire)},
			want: append(frameRange(0, 1, 6), "0:8", "0:9"), dups: 1,
			evidence: capture.DuplicateEvidence{Frame: 7, Repeats: 1, Time: t0, Shape: capture.DoubledInPlace}},
		{name: "time stepped back to a timestamp and length seen, other bytes", format: pcapgen.PcapNano, inputs: [][]raw{{six[0], six[1], oneByteOff[0]}},
			want: frameRange(0, 1, 3)},
		{name: "time stepped back to a timestamp and length seen, other bytes, a stream", format: pcapgen.Pcapng, stream: true, inputs: [][]raw{{six[0], six[1], oneByteOff[0]}},
			want: frameRange(0, 1, 3)},
		{name: "records without timestamps", format: pcapgen.Pcapng, simple: true, inputs: [][]raw{doubled(six)},
			want: frameRange(0, 1, 12)},
		{name: "several inputs, the same records", format: pcapgen.PcapNano, inputs: [][]raw{six[:3], six[:3]},
			want: []string{"0:1", "1:1", "0:2", "1:2", "0:3", "1:3"}},
		{name: "several inputs, one doubled", format: pcapgen.Pcapng, inputs: [][]raw{six[:3], doubled(other)},
			want: []string{"0:1", "1:1", "0:2", "1:3", "0:3", "1:5"}, dups: 3,
			evidence: capture.DuplicateEvidence{Input: 1, Frame: 2, Repeats: 1, Time: other[0].time, Shape: capture.DoubledInPlace}},
		{name: "concatenated copy beyond the head, read again", format: pcapgen.PcapNano, inputs: [][]raw{slices.Concat(long, long)},
			want: frameRange(0, 1, n), dups: n,
			evidence: capture.DuplicateEvidence{Frame: n + 1, Repeats: 1, Time: long[0].time, Shape: capture.RepeatedAfterStepBack, SteppedBackFrom: long[n-1].time}},
		// (The copy leaves out the last record, which would be found in
		// place: at the latest timestamp, and still in the reader's buffers.)
		{name: "concatenated copy beyond the head, a stream", format: pcapgen.Pcapng, stream: true, inputs: [][]raw{slices.Concat(long, long[:n-1])},
			want: append(frameRange(0, 1, n), frameRange(0, n+uint64(head)+1, 2*n-1)...), dups: uint64(head),
			evidence: capture.DuplicateEvidence{Frame: n + 1, Repeats: 1, Time: long[0].time, Shape: capture.RepeatedAfterStepBack,
				SteppedBackFrom: long[n-1].time, Unchecked: n + uint64(head) + 1}},
		{name: "doubled in place across buffer refills", format: pcapgen.PcapNano, stream: true, inputs: [][]raw{doubled(large)},
			want: oddFrames(0, len(large)), dups: nl,
			evidence: capture.DuplicateEvidence{Frame: 2, Repeats: 1, Time: large[0].time, Shape: capture.DoubledInPlace}},
		{name: "concatenated large copy, pcapng", format: pcapgen.Pcapng, inputs: [][]raw{slices.Concat(large, large)},
			want: frameRange(0, 1, nl), dups: nl,
			evidence: capture.DuplicateEvidence{Frame: nl + 1, Repeats: 1, Time: large[0].time, Shape: capture.RepeatedAfterStepBack, SteppedBackFrom: large[nl-1].time}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var files [][]byte
			var records uint64
			for _, recs := range tt.inputs {
				files = append(files, writeRecords(t, tt.format, tt.simple, recs))
				records += uint64(len(recs))
			}
			got, pt := readPoint(t, files, tt.stream)
			if !slices.Equal(got, tt.want) {
				t.Errorf("packets (input:frame)\n got %s\nwant %s", abbreviate(got), abbreviate(tt.want))
			}
			if pt.Stats.Duplicates != tt.dups || pt.Stats.Packets != records {
				t.Errorf("%d duplicates of %d records, want %d of %d", pt.Stats.Duplicates, pt.Stats.Packets, tt.dups, records)
			}
			if !sameEvidence(pt.Stats.FirstDuplicate, tt.evidence) {
				t.Errorf("evidence\n got %+v\nwant %+v", pt.Stats.FirstDuplicate, tt.evidence)
			}
		})
	}
}

// abbreviate shows a long list by its ends.
func abbreviate(s []string) string {
	if len(s) <= 20 {
		return strings.Join(s, " ")
	}
	return fmt.Sprintf("%s ... %s (%d)", strings.Join(s[:10], " "), strings.Join(s[len(s)-10:], " "), len(s))
}

func TestDuplicateEvidenceString(t *testing.T) {
	at := time.Date(2026, 11, 2, 10, 0, 0, 5, time.UTC)
	for _, tt := range []struct {
		name string
		e    capture.DuplicateEvidence
		want []string
	}{
		{name: "none", want: []string{"no duplicate"}},
		{name: "repeated", e: capture.DuplicateEvidence{Frame: 1001, Repeats: 1, Time: at, Shape: capture.RepeatedAfterStepBack, SteppedBackFrom: at.Add(time.Minute)},
			want: []string{"record 1001 repeats record 1 ", "stepped back from 2026-11-02 10:01:00.000000005 to 2026-11-02 10:00:00.000000005", "concatenated"}},
		{name: "repeated, unchecked", e: capture.DuplicateEvidence{Frame: 1001, Repeats: 1, Time: at, Shape: capture.RepeatedAfterStepBack, SteppedBackFrom: at, Unchecked: 5097},
			want: []string{"from record 5097 on, the input could not be read a second time"}},
		{name: "in place", e: capture.DuplicateEvidence{Frame: 2, Repeats: 1, Time: at, Shape: capture.DoubledInPlace},
			want: []string{"record 2 repeats record 1 ", "timestamp 2026-11-02 10:00:00.000000005", "doubled in place"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.e.String()
			for _, w := range tt.want {
				if !strings.Contains(s, w) {
					t.Errorf("%q does not say %q", s, w)
				}
			}
		})
	}
}

// TestDuplicatesInCorpus: the captures of testdata hold no duplicate, even
// those whose time steps back or stands still (a router's "any" device
// sees each forwarded packet twice), except those written with duplicates
// on purpose, named so.
func TestDuplicatesInCorpus(t *testing.T) {
	files, _ := filepath.Glob("../testdata/*.pcap*")
	if len(files) == 0 {
		t.Skip("no capture in ../testdata")
	}
	for _, name := range files {
		pt, err := capture.OpenPoint("p", []string{name})
		if err != nil {
			t.Fatal(err)
		}
		var p capture.Packet
		for pt.Next(&p) == nil {
		}
		pt.Close()
		if want := strings.Contains(filepath.Base(name), "duplicate"); (pt.Stats.Duplicates > 0) != want {
			t.Errorf("%s: %d duplicates: %v", name, pt.Stats.Duplicates, pt.Stats.FirstDuplicate)
		}
	}
}

// TestDuplicateOfAFileOnDisk: a file concatenated with itself on disk,
// opened by name, is read a second time to follow the repetition past the
// head; standard input from a pipe cannot be.
func TestDuplicateOfAFileOnDisk(t *testing.T) {
	recs := distinct(t, capture.DuplicateHeadRecords+10, 10, func(i int) time.Time { return t0.Add(time.Duration(i) * time.Microsecond) })
	name := filepath.Join(t.TempDir(), "twice.pcap.gz")
	var buf bytes.Buffer
	w, _ := pcapgen.NewWriter(&buf, pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet, Gzip: true})
	for _, r := range slices.Concat(recs, recs) {
		w.WriteRaw(r.time, r.data, r.wire)
	}
	w.Close()
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	pt, err := capture.OpenPoint("p", []string{name})
	if err != nil {
		t.Fatal(err)
	}
	defer pt.Close()
	var p capture.Packet
	delivered := 0
	for pt.Next(&p) == nil {
		delivered++
	}
	if delivered != len(recs) || pt.Stats.Duplicates != uint64(len(recs)) || pt.Stats.FirstDuplicate.Unchecked != 0 {
		t.Errorf("%d packets delivered, %d duplicates (%v); want %d and %d", delivered, pt.Stats.Duplicates, pt.Stats.FirstDuplicate, len(recs), len(recs))
	}
}
