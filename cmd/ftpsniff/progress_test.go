package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattn/go-runewidth"

	"github.com/ftpsniff/ftpsniff/capture"
)

func TestRenderProgressFull(t *testing.T) {
	s := progressState{Label: "inside", Read: 1_200_000_000, Total: 2_400_000_000, Packets: 8123456, Elapsed: 10 * time.Second}
	// The bar takes what the other fields leave, up to 40 columns.
	bar40 := "[" + strings.Repeat("=", 19) + ">" + strings.Repeat(" ", 20) + "]"
	for width, want := range map[int]string{
		200: "inside  " + bar40 + "   50%  1.2/2.4 GB  8,123,456 pkts  120.0 MB/s  0:10 left",
		120: "inside  " + bar40 + "   50%  1.2/2.4 GB  8,123,456 pkts  120.0 MB/s  0:10 left",
		100: "inside  [===============>                ]   50%  1.2/2.4 GB  8,123,456 pkts  120.0 MB/s  0:10 left",
		80:  "inside  [=====>      ]   50%  1.2/2.4 GB  8,123,456 pkts  120.0 MB/s  0:10 left",
	} {
		if got := renderProgress(s, width); got != want {
			t.Errorf("width %d:\n got %q\nwant %q", width, got, want)
		}
	}
	if got := renderProgress(s, 100); runewidth.StringWidth(got) != 99 {
		t.Errorf("at 100 columns the bar does not fill the line to 99: %q", got)
	}
}

func TestRenderProgressNarrow(t *testing.T) {
	s := progressState{Label: "inside", Read: 500_000, Total: 1_000_000, Packets: 1234, Elapsed: 2 * time.Second}
	for _, tt := range []struct {
		width int
		want  string
	}{
		{80, "inside  [====>      ]   50%  500.0 kB/1.0 MB  1,234 pkts  250.0 kB/s  0:02 left"},
		{70, "inside   50%  500.0 kB/1.0 MB  1,234 pkts  250.0 kB/s  0:02 left"},
		{60, "inside   50%  500.0 kB/1.0 MB  250.0 kB/s  0:02 left"},
		{50, "inside   50%  500.0 kB/1.0 MB  0:02 left"},
		{40, "50%  500.0 kB/1.0 MB  0:02 left"},
		{30, "50%  0:02 left"},
		{10, "50%"},
		{3, "50"},
		{1, ""},
		{0, "inside  [====>      ]   50%  500.0 kB/1.0 MB  1,234 pkts  250.0 kB/s  0:02 left"}, // unknown: 80
	} {
		if got := renderProgress(s, tt.width); got != tt.want {
			t.Errorf("width %d:\n got %q\nwant %q", tt.width, got, tt.want)
		}
	}
}

func TestRenderProgressNeverWiderThanTheTerminal(t *testing.T) {
	states := []progressState{
		{},
		{Label: "capture", Read: 0, Total: 0},
		{Label: strings.Repeat("long-name-", 10), Read: 1 << 40, Total: 1 << 41, Packets: 1 << 60, Elapsed: time.Nanosecond},
		{Label: "日本語のキャプチャポイント名前", Read: 5, Total: 10, Packets: 1, Elapsed: time.Hour},
		{Label: "\x1b[31mred", Read: 123456789, Total: 0, Packets: 99, Elapsed: time.Second},
		{Label: "over", Read: 200, Total: 100, Packets: 3, Elapsed: time.Second}, // pcapng estimate above the size
	}
	for _, s := range states {
		for width := 0; width <= 200; width++ {
			got := renderProgress(s, width)
			max := width - 1
			if width == 0 {
				max = 79 // unknown width: 80 columns
			}
			if w := runewidth.StringWidth(got); w > max {
				t.Fatalf("width %d: %d columns: %q", width, w, got)
			}
			if strings.ContainsAny(got, "\r\n\x1b") {
				t.Fatalf("width %d: control characters in %q", width, got)
			}
		}
	}
}

func TestRenderProgressUnknownTotal(t *testing.T) {
	for _, total := range []int64{0, -1} {
		got := renderProgress(progressState{Label: "big.pcap.gz", Read: 3_000_000, Total: total, Packets: 42, Elapsed: time.Second}, 100)
		if want := "big.pcap.gz  3.0 MB read  42 pkts  3.0 MB/s"; got != want {
			t.Errorf("total %d:\n got %q\nwant %q (no percentage, no time left, no bar)", total, got, want)
		}
	}
	// Nothing read yet, no time elapsed: no rate, no division by zero.
	if got, want := renderProgress(progressState{Label: "x", Total: 1000}, 80), "x  [>"; !strings.HasPrefix(got, want) || !strings.Contains(got, "   0%  0 B/1.0 kB  0 pkts") || strings.Contains(got, "left") || strings.Contains(got, "/s") {
		t.Errorf("at the start: %q", got)
	}
	if got := renderProgress(progressState{Label: "x", Read: 200, Total: 100, Elapsed: time.Second}, 80); !strings.Contains(got, "100%  100/100 B") || !strings.Contains(got, "0:00 left") {
		t.Errorf("read beyond the estimated total: %q", got)
	}
}

func TestETA(t *testing.T) {
	for _, tt := range []struct {
		read, total int64
		elapsed     time.Duration
		want        time.Duration
		ok          bool
	}{
		{50, 100, 10 * time.Second, 10 * time.Second, true},
		{25, 100, 10 * time.Second, 30 * time.Second, true},
		{100, 100, 10 * time.Second, 0, true},
		{150, 100, 10 * time.Second, 0, true},
		{0, 100, 10 * time.Second, 0, false}, // nothing read: no rate
		{50, 0, 10 * time.Second, 0, false},  // unknown total
		{50, 100, 0, 0, false},               // no time elapsed
		{1, 1 << 40, time.Hour, 0, false},    // far beyond 100 hours: meaningless
		{1, 1000, time.Second, 999 * time.Second, true},
	} {
		got, ok := eta(tt.read, tt.total, tt.elapsed)
		if ok != tt.ok || got != tt.want {
			t.Errorf("eta(%d, %d, %v) = %v, %v; want %v, %v", tt.read, tt.total, tt.elapsed, got, ok, tt.want, tt.ok)
		}
	}
	for d, want := range map[time.Duration]string{
		0: "0:00", time.Millisecond: "0:01", 7 * time.Second: "0:07", 754 * time.Second: "12:34",
		3723 * time.Second: "1:02:03", 100 * time.Hour: "100:00:00",
	} {
		if got := formatETA(d); got != want {
			t.Errorf("formatETA(%v) = %q, want %q", d, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 1_500_000: "1.5 MB",
		999_960_000: "1.0 GB", 2_345_000_000_000: "2.3 TB", -5: "0 B"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[uint64]string{0: "0", 999: "999", 1000: "1,000", 8123456: "8,123,456"} {
		if got := groupThousands(n); got != want {
			t.Errorf("groupThousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// syncBuffer is a bytes.Buffer the drawing goroutine may write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestProgressDrawsAndClears: the loop redraws the line in place with \r,
// within the width, and leaves a blank line behind when it stops.
func TestProgressDrawsAndClears(t *testing.T) {
	file := "testdata/passive-and-active.pcap"
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	p := newProgress(&out, func() int { return 60 }, "capture", []string{file})
	if p.total != st.Size() {
		t.Fatalf("total %d, want the file's size %d", p.total, st.Size())
	}
	pt, err := capture.OpenPoint("capture", []string{file})
	if err != nil {
		t.Fatal(err)
	}
	defer pt.Close()
	pt.OnRecord = p.record
	var pk capture.Packet
	for pt.Next(&pk) == nil {
	}
	if got := p.bytes.Load(); got != st.Size() {
		t.Errorf("a pcap's records and header count %d bytes, want its size %d", got, st.Size())
	}
	if got := p.packets.Load(); got != pt.Stats.Packets {
		t.Errorf("%d packets counted, the point read %d", got, pt.Stats.Packets)
	}
	go p.run(time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "100%") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	p.stop()
	s := out.String()
	if !strings.HasPrefix(s, "\r") || !strings.HasSuffix(s, "\r") {
		t.Fatalf("not drawn in place: %q", s)
	}
	draws := strings.Split(strings.TrimSuffix(strings.TrimPrefix(s, "\r"), "\r"), "\r")
	if len(draws) < 2 {
		t.Fatalf("want at least one line and the clearing, got %q", s)
	}
	if !strings.HasPrefix(draws[0], "capture  ") || !strings.Contains(s, "100%") {
		t.Errorf("first line %q", draws[0])
	}
	for _, d := range draws {
		if w := runewidth.StringWidth(d); w > 59 {
			t.Errorf("%d columns at a width of 60: %q", w, d)
		}
	}
	if last := draws[len(draws)-1]; strings.Trim(last, " ") != "" || len(last) == 0 {
		t.Errorf("the line is not cleared at the end: %q", last)
	}
	var none *progress // when no line is shown
	none.stop()
}

func TestProgressTotals(t *testing.T) {
	dir := t.TempDir()
	gz := filepath.Join(dir, "x.pcap.gz")
	if err := os.WriteFile(gz, []byte{0x1f, 0x8b, 8, 0}, 0o644); err != nil {
		t.Fatal(err)
	}
	ng := "testdata/two-interfaces.pcapng"
	a, b := "testdata/data-failures.pcap", "testdata/passive-and-active.pcap"
	sa, _ := os.Stat(a)
	sb, _ := os.Stat(b)
	sn, _ := os.Stat(ng)
	for _, tt := range []struct {
		name    string
		sources []string
		total   int64
	}{
		{"two files: the sum", []string{a, b}, sa.Size() + sb.Size()},
		{"FILE@N: the file", []string{a + "@2"}, sa.Size()},
		{"pcapng", []string{ng}, sn.Size()},
		{"standard input: unknown", []string{a, "-"}, 0},
		{"gzip: unknown in uncompressed bytes", []string{gz}, 0},
		{"a directory: unknown", []string{dir}, 0},
		{"missing: unknown", []string{filepath.Join(dir, "nope")}, 0},
	} {
		p := newProgress(nil, nil, "", tt.sources)
		if p.total != tt.total {
			t.Errorf("%s: total %d, want %d", tt.name, p.total, tt.total)
		}
	}
	// A pcapng's records are estimated as Enhanced Packet Blocks: close to
	// the file's size, never far above it.
	p := newProgress(nil, nil, "", []string{ng})
	pt, err := capture.OpenPoint("x", []string{ng})
	if err != nil {
		t.Fatal(err)
	}
	defer pt.Close()
	pt.OnRecord = p.record
	var pk capture.Packet
	for pt.Next(&pk) == nil {
	}
	if got := p.bytes.Load(); got > sn.Size() || got < sn.Size()*8/10 {
		t.Errorf("pcapng estimate %d bytes for a file of %d", got, sn.Size())
	}
}

// TestNoProgressOffATerminal: with stderr a buffer or a regular file,
// with or without -q, nothing at all is written there.
func TestNoProgressOffATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, args := range [][]string{
		{"testdata/passive-and-active.pcap"},
		{"-q", "testdata/passive-and-active.pcap"},
		{"--quiet", "-F", "json", "testdata/passive-and-active.pcap"},
		{"--point", "a=testdata/passive-and-active.pcap", "--point", "b=testdata/data-failures.pcap"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 0 || errb.Len() != 0 || out.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q; want 0, a report and nothing on stderr", args, code, errb.String())
		}
		out.Reset()
		if code := run(args, &out, f); code != 0 {
			t.Errorf("%q: exit %d", args, code)
		}
	}
	if st, _ := f.Stat(); st.Size() != 0 {
		b, _ := os.ReadFile(f.Name())
		t.Errorf("a file as stderr got %q", b)
	}
	if startProgress(f, "x", []string{"testdata/passive-and-active.pcap"}, nil) != nil {
		t.Error("a progress line for a regular file")
	}
	// -q does not silence errors.
	var out, errb bytes.Buffer
	if code := run([]string{"-q", "testdata/truncated.pcap"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "truncated.pcap") {
		t.Errorf("-q on a damaged file: exit %d, stderr %q", code, errb.String())
	}
}

func TestProgressLabel(t *testing.T) {
	for _, tt := range []struct {
		name    string
		sources []string
		points  int
		want    string
	}{
		{"capture", []string{"dir/a.pcap", "b.pcap.gz"}, 1, "a.pcap,b.pcap.gz"},
		{"capture", []string{"-"}, 1, "standard input"},
		{"inside", []string{"dir/lan.pcap"}, 2, "inside"},
	} {
		if got := progressLabelOf(tt.name, tt.sources, tt.points); got != tt.want {
			t.Errorf("progressLabelOf(%q, %q, %d) = %q, want %q", tt.name, tt.sources, tt.points, got, tt.want)
		}
	}
}
