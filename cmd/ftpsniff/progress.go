package main

// The progress line: while capture files are read, and only when standard
// error is a terminal (and not with -q), one line on standard error,
// redrawn in place a few times a second, says how far the reading is:
//
//	inside  [==========>         ]  52%  1.2 GB / 2.3 GB  8,123,456 pkts  85.2 MB/s  0:13 left
//
// It is cleared when the capture point has been read, before anything else
// is written. The reader pays one callback per record (two atomic adds);
// drawing happens on its own goroutine, from a ticker, never per packet.

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/mattn/go-runewidth"

	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/report/term"
)

// progressEvery is how often the line is redrawn.
const progressEvery = 200 * time.Millisecond

// progressState is what the line shows.
type progressState struct {
	Label   string        // what is read: the files, or the capture point
	Read    int64         // bytes of the inputs read so far (of the uncompressed stream for gzip)
	Total   int64         // bytes to read in all; 0 when unknown (standard input, a FIFO, gzip)
	Packets uint64        // records read
	Elapsed time.Duration // since the reading started
}

// renderProgress draws the line for s in at most width-1 columns (the last
// column is left alone: writing there makes some terminals wrap). What
// does not fit is left out, least useful first: the bar, the packets, the
// rate, the label, the bytes, the time left; the percentage goes last.
func renderProgress(s progressState, width int) string {
	if width <= 0 {
		width = 80
	}
	room := width - 1
	if room <= 0 {
		return ""
	}
	known := s.Total > 0
	read := s.Read
	if known && read > s.Total {
		read = s.Total // the size of pcapng records is estimated
	}
	// Fields in display order; drop is the order in which they go. The
	// bar is laid out at its narrowest, then widened into what is left.
	const minBar, maxBar = 10, 40
	type field struct {
		text string
		drop int
	}
	var fields []field
	if label := progressLabel(s.Label); label != "" {
		fields = append(fields, field{label, 4})
	}
	if known {
		fields = append(fields, field{progressBar(read, s.Total, minBar), 1})
		fields = append(fields, field{fmt.Sprintf("%3d%%", percent(read, s.Total)), 7})
		fields = append(fields, field{formatBytesOf(read, s.Total), 5})
	} else {
		fields = append(fields, field{formatBytes(read) + " read", 5})
	}
	fields = append(fields, field{groupThousands(s.Packets) + " pkts", 2})
	if s.Elapsed > 0 && s.Read > 0 {
		rate := float64(s.Read) / s.Elapsed.Seconds()
		fields = append(fields, field{formatBytes(int64(rate)) + "/s", 3})
	}
	if d, ok := eta(read, s.Total, s.Elapsed); ok {
		fields = append(fields, field{formatETA(d) + " left", 6})
	}
	const sep = "  "
	join := func() string {
		var parts []string
		for _, f := range fields {
			parts = append(parts, f.text)
		}
		return strings.Join(parts, sep)
	}
	line := join()
	for runewidth.StringWidth(line) > room && len(fields) > 1 {
		low := 0
		for i, f := range fields {
			if f.drop < fields[low].drop {
				low = i
			}
		}
		fields = append(fields[:low], fields[low+1:]...)
		line = join()
	}
	for i, f := range fields {
		if f.drop == 1 { // the bar
			inner := min(minBar+room-runewidth.StringWidth(line), maxBar)
			fields[i].text = progressBar(read, s.Total, inner)
			line = join()
		}
	}
	line = strings.TrimLeft(line, " ") // " 50%" first
	if runewidth.StringWidth(line) > room {
		line = runewidth.Truncate(line, room, "")
	}
	return line
}

// progressLabel keeps a label printable and short.
func progressLabel(s string) string {
	s = term.Clean(s)
	if runewidth.StringWidth(s) > 24 {
		s = runewidth.Truncate(s, 24, "…")
	}
	return s
}

func percent(read, total int64) int {
	if total <= 0 {
		return 0
	}
	if read >= total {
		return 100
	}
	return int(float64(read) * 100 / float64(total))
}

// progressBar draws [=====>    ] with inner columns between the brackets.
func progressBar(read, total int64, inner int) string {
	n := 0
	if total > 0 {
		n = int(float64(inner) * float64(min(read, total)) / float64(total))
	}
	switch {
	case n >= inner:
		return "[" + strings.Repeat("=", inner) + "]"
	case n == 0:
		return "[>" + strings.Repeat(" ", inner-1) + "]"
	}
	return "[" + strings.Repeat("=", n-1) + ">" + strings.Repeat(" ", inner-n) + "]"
}

// eta is the time left at the average rate so far; ok is false when it
// cannot be known (no total, nothing read yet).
func eta(read, total int64, elapsed time.Duration) (time.Duration, bool) {
	if total <= 0 || read <= 0 || elapsed <= 0 {
		return 0, false
	}
	if read >= total {
		return 0, true
	}
	left := float64(elapsed) * float64(total-read) / float64(read)
	if left > float64(100*time.Hour) {
		return 0, false // a rate that low says nothing about the end
	}
	return time.Duration(left), true
}

// formatETA writes d rounded up to the second: 0:07, 12:34, 1:02:03.
func formatETA(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// formatBytes writes n in decimal units: 512 B, 1.5 kB, 85.2 MB, 2.3 GB.
func formatBytes(n int64) string {
	if n < 1000 {
		return strconv.FormatInt(max(n, 0), 10) + " B"
	}
	f := float64(n)
	for _, unit := range []string{"kB", "MB", "GB", "TB", "PB"} {
		f /= 1000
		if f < 999.95 || unit == "PB" {
			return strconv.FormatFloat(f, 'f', 1, 64) + " " + unit
		}
	}
	panic("unreachable")
}

// formatBytesOf writes "1.2/2.4 GB", or "512.0 kB/1.2 MB" when the units
// differ.
func formatBytesOf(read, total int64) string {
	r, t := formatBytes(read), formatBytes(total)
	if rn, ru, ok := strings.Cut(r, " "); ok {
		if _, tu, _ := strings.Cut(t, " "); ru == tu {
			return rn + "/" + t
		}
	}
	return r + "/" + t
}

// groupThousands writes 8123456 as 8,123,456.
func groupThousands(n uint64) string {
	s := strconv.FormatUint(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// progress counts what a capture point has read and draws the line.
type progress struct {
	w     io.Writer
	width func() int
	label string
	total int64
	start time.Time

	// Per input, what a record takes in its file besides its data: a pcap
	// record header (16 bytes); a pcapng Enhanced Packet Block (32 bytes,
	// data padded to 4; options are not counted, so it is approximate).
	overhead []int64
	pad      []bool

	bytes   atomic.Int64
	packets atomic.Uint64

	done, exited chan struct{}
	shown        int // columns of the line on screen now; 0: nothing shown
}

// startProgress shows the progress of reading pt's sources on stderr when
// stderr is a terminal, and returns nil, doing nothing, otherwise. It sets
// pt.OnRecord: the caller calls stop (nil is fine) when pt has been read.
func startProgress(stderr io.Writer, label string, sources []string, pt *capture.Point) *progress {
	if !isTerminal(stderr) {
		return nil
	}
	f := stderr.(*os.File)
	p := newProgress(stderr, func() int { return terminalWidth(f) }, label, sources)
	prev := pt.OnRecord
	pt.OnRecord = func(input int, rec *capture.Record) {
		p.record(input, rec)
		if prev != nil {
			prev(input, rec)
		}
	}
	go p.run(progressEvery)
	return p
}

// newProgress sizes the sources: the total is the sum of the sizes of the
// regular files, unknown when one of them is standard input, not a regular
// file, or gzip-compressed (the records read are counted uncompressed).
func newProgress(w io.Writer, width func() int, label string, sources []string) *progress {
	p := &progress{w: w, width: width, label: label, start: time.Now(),
		overhead: make([]int64, len(sources)), pad: make([]bool, len(sources)),
		done: make(chan struct{}), exited: make(chan struct{})}
	known := len(sources) > 0
	var total, headers int64
	for i, src := range sources {
		p.overhead[i] = 16
		file, _ := capture.ParseSource(src)
		st, err := os.Stat(file)
		if file == "-" || err != nil || !st.Mode().IsRegular() {
			known = false // never opened here: reading a FIFO would take its bytes
			continue
		}
		total += st.Size()
		var magic [4]byte
		if fh, err := os.Open(file); err == nil {
			io.ReadFull(fh, magic[:])
			fh.Close()
		}
		switch {
		case magic[0] == 0x1f && magic[1] == 0x8b:
			known = false
		case magic == [4]byte{0x0a, 0x0d, 0x0d, 0x0a}:
			p.overhead[i], p.pad[i] = 32, true
		default:
			headers += 24 // the pcap file header
		}
	}
	if known {
		p.total = total
		p.bytes.Store(headers)
	}
	return p
}

// record is the capture point's OnRecord hook.
func (p *progress) record(input int, rec *capture.Record) {
	n := int64(rec.CapLen) + p.overhead[input]
	if p.pad[input] {
		n += int64(-rec.CapLen & 3)
	}
	p.bytes.Add(n)
	p.packets.Add(1)
}

func (p *progress) state(now time.Time) progressState {
	return progressState{Label: p.label, Read: p.bytes.Load(), Total: p.total,
		Packets: p.packets.Load(), Elapsed: now.Sub(p.start)}
}

func (p *progress) run(every time.Duration) {
	defer close(p.exited)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case now := <-t.C:
			p.draw(now)
		}
	}
}

// draw writes the line over the previous one, blanking what is left of a
// longer previous line.
func (p *progress) draw(now time.Time) {
	width := p.width()
	line := renderProgress(p.state(now), width)
	n := runewidth.StringWidth(line)
	pad := max(0, min(p.shown, width-1)-n)
	io.WriteString(p.w, "\r"+line+strings.Repeat(" ", pad))
	p.shown = n + pad
}

// stop ends the drawing and clears the line, so what follows on stderr
// starts on a clean line.
func (p *progress) stop() {
	if p == nil {
		return
	}
	close(p.done)
	<-p.exited
	if p.shown > 0 {
		io.WriteString(p.w, "\r"+strings.Repeat(" ", p.shown)+"\r")
		p.shown = 0
	}
}

// isTerminal says whether w is a terminal (not a file, a pipe, /dev/null).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && f != nil && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// terminalWidth is the terminal's width in columns: from the terminal
// itself, else $COLUMNS, else 80.
func terminalWidth(f *os.File) int {
	if n := windowColumns(f); n > 0 {
		return n
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 80
}

// progressLabelOf names what a capture point reads: its files (base names)
// when it is the only point, else its name.
func progressLabelOf(name string, sources []string, points int) string {
	if points > 1 {
		return name
	}
	var bases []string
	for _, s := range sources {
		if s == "-" {
			s = "standard input"
		}
		bases = append(bases, filepath.Base(s))
	}
	return strings.Join(bases, ",")
}
