package ladder

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ftpsniff/ftpsniff/report/term"
)

// MinWidth is the narrowest text ladder WriteText draws: a smaller
// width is raised to it (three columns and the times need that much).
const MinWidth = 40

// Text ladder limits.
const (
	findingLines      = 3  // lines of a finding's summary before it is cut with "…"
	detailLines       = 2  // lines of a row's detail (an outcome, a fix)
	minWidthForFrames = 60 // frame numbers are shown from this width on
)

// wrap breaks s into lines of at most w cells, at spaces when it can,
// and at most maxLines of them (the last one cut with "…").
func wrap(s string, w, maxLines int) []string {
	if w < 1 {
		return nil
	}
	var lines []string
	for s != "" && len(lines) < maxLines {
		if term.Width(s) <= w {
			lines = append(lines, s)
			s = ""
			break
		}
		if len(lines) == maxLines-1 {
			lines = append(lines, term.Truncate(s, w))
			s = ""
			break
		}
		// The longest prefix that fits, then back to its last space.
		cut, n := 0, 0
		for i, r := range s {
			rw := term.RuneWidth(r)
			if n+rw > w {
				cut = i
				break
			}
			n += rw
		}
		if sp := strings.LastIndexByte(s[:cut], ' '); sp > 0 {
			cut = sp
		}
		lines = append(lines, strings.TrimRight(s[:cut], " "))
		s = strings.TrimLeft(s[cut:], " ")
	}
	return lines
}

// safeText escapes what Clean would in s but leaves the rest (backslashes
// included) alone: the builder cleaned every wire string already, so this
// only guards against a Ladder built elsewhere. No control character
// reaches the terminal through it.
func safeText(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || term.UnsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || term.UnsafeRune(r) {
			b.WriteString(term.Clean(s[i : i+size]))
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// A text line is a row of terminal cells, each with its style.
type cell struct {
	s     string // what the cell shows; "" on the right half of a wide rune
	style string // SGR parameters
	half  bool   // the right half of a wide rune
}

type textLine []cell

func newTextLine(width int) textLine {
	l := make(textLine, width)
	for i := range l {
		l[i].s = " "
	}
	return l
}

// maxMarks bounds the zero-width runes (combining marks) kept on one
// cell: a label of a million accents draws as its first few.
const maxMarks = 3

// put writes s from cell x on, clipped at the end of the line.
func (l textLine) put(x int, s, style string) {
	last, marks := -1, 0
	for _, r := range s {
		w := term.RuneWidth(r)
		if w == 0 {
			if last >= 0 && marks < maxMarks {
				l[last].s += string(r) // a combining mark stays with its base
				marks++
			}
			continue
		}
		marks = 0
		if x < 0 || x+w > len(l) {
			return
		}
		if l[x].half && x > 0 {
			l[x-1] = cell{s: " "}
		}
		if x+w < len(l) && l[x+w].half {
			l[x+w] = cell{s: " "}
		}
		l[x] = cell{s: string(r), style: style}
		if w == 2 {
			l[x+1] = cell{half: true, style: style}
		}
		last = x
		x += w
	}
}

// render writes the line, with SGR sequences when color is set, without
// trailing blanks.
func (l textLine) render(color bool) string {
	end := len(l)
	for end > 0 && l[end-1].s == " " && (l[end-1].style == "" || !color) {
		end--
	}
	var b strings.Builder
	cur := ""
	for _, c := range l[:end] {
		if c.half {
			continue
		}
		if color && c.style != cur {
			if cur != "" {
				b.WriteString("\x1b[0m")
			}
			if c.style != "" {
				b.WriteString("\x1b[" + c.style + "m")
			}
			cur = c.style
		}
		b.WriteString(c.s)
	}
	if color && cur != "" {
		b.WriteString("\x1b[0m")
	}
	return b.String()
}

// textLayout lays a ladder out on a width.
type textLayout struct {
	l      *Ladder
	width  int
	color  bool
	gutter int   // cells before the first column's area: time and frame
	timeW  int   // width of the time
	frameW int   // width of the frame number (0: not shown)
	xs     []int // each column's lifeline
	mainPt string
	// multi: the rows come from several capture points, and each frame
	// is shown with its point ("client-lan#13"), its name cut to pointW.
	multi  bool
	pointW int
	out    *bufio.Writer
}

func (t *textLayout) style(s string) string {
	if !t.color {
		return ""
	}
	return s
}

func (t *textLayout) emit(l textLine) {
	t.out.WriteString(l.render(t.color))
	t.out.WriteByte('\n')
}

// base is a line with the lifelines only.
func (t *textLayout) base() textLine {
	l := newTextLine(t.width)
	for _, x := range t.xs {
		l.put(x, "│", "")
	}
	return l
}

func (t *textLayout) isLifeline(x int) bool {
	for _, c := range t.xs {
		if c == x {
			return true
		}
	}
	return false
}

// frameText is a row's frame as the gutter shows it: the number, or
// "point#number" on a ladder of several points.
func (t *textLayout) frameText(r Row) string {
	f := strconv.FormatUint(r.Frame, 10)
	if !t.multi {
		return f
	}
	p := safeText(r.Point)
	if term.Width(p) > t.pointW {
		p = term.Truncate(p, t.pointW)
	}
	return p + "#" + f
}

// gutterText writes a row's time and frame at the left of l.
func (t *textLayout) gutterText(l textLine, r Row) {
	at := secs(r.At)
	l.put(t.timeW-term.Width(at), at, t.style(term.SGRDim))
	if t.frameW > 0 && r.Frame != 0 {
		f := t.frameText(r)
		l.put(t.timeW+1+t.frameW-term.Width(f), f, t.style(term.SGRDim))
	}
}

// block writes text (a label or a detail) near an arrow whose left end
// is x: from x+2 on when it fits there, or when there is room enough to
// wrap it there; else from the first column on, over the whole width.
// Each line of it is a new line of lifelines, returned.
func (t *textLayout) block(x int, s, style string, maxLines int) []textLine {
	start := x + 2
	if room := t.width - start; term.Width(s) > room && (room < 40 || len(wrap(s, room, maxLines+1)) > maxLines) {
		start = t.xs[0] + 2
	}
	var out []textLine
	for _, part := range wrap(s, t.width-start, maxLines) {
		line := t.base()
		line.put(start, part, style)
		out = append(out, line)
	}
	return out
}

// WriteText draws l as plain text in at most width columns (at least
// MinWidth): a header with the columns, then one or more lines per
// row with its time and frame at the left. With color, severities and
// negotiations are coloured with ANSI SGR sequences; without it the output
// holds no escape byte at all.
func WriteText(w io.Writer, l *Ladder, width int, color bool) error {
	width = max(width, MinWidth)
	t := &textLayout{l: l, width: width, color: color, out: bufio.NewWriter(w)}

	for _, s := range wrap(safeText(l.Title), width, 4) {
		line := newTextLine(width)
		line.put(0, s, t.style(term.SGRBold))
		t.emit(line)
	}
	for _, n := range l.Notes {
		for i, s := range wrap(safeText(n), width-2, 6) {
			line := newTextLine(width)
			if i == 0 {
				line.put(0, "·", "")
			}
			line.put(2, s, "")
			t.emit(line)
		}
	}
	t.out.WriteByte('\n')
	n := len(l.Columns)
	if n == 0 {
		t.out.WriteString("(nothing to draw)\n")
		return t.out.Flush()
	}

	// The gutter: the longest time, then the widest frame: its number, or
	// with its point when the rows come from several points (or the
	// columns are points), the points' names cut so that every column
	// keeps room.
	for _, r := range l.Rows {
		t.timeW = max(t.timeW, term.Width(secs(r.At)))
		if r.Point != "" && t.mainPt == "" {
			t.mainPt = r.Point
		}
		t.multi = t.multi || r.Point != "" && r.Point != t.mainPt
	}
	for _, c := range l.Columns {
		t.multi = t.multi || c.Role == RolePoint
	}
	t.timeW = max(t.timeW, len("+0.000s"))
	if width >= minWidthForFrames {
		pointW := 0
		for _, r := range l.Rows {
			if r.Frame == 0 {
				continue
			}
			fw := len(strconv.FormatUint(r.Frame, 10))
			if t.multi {
				pw := term.Width(safeText(r.Point))
				pointW = max(pointW, pw)
				fw += pw + 1
			}
			t.frameW = max(t.frameW, fw)
		}
		if t.multi {
			// At most what leaves 6 cells per column, and at least a
			// few letters of the point's name.
			limit := width - t.timeW - 2 - 6*n
			if t.frameW > limit {
				cut := t.frameW - limit
				if pointW-cut < 4 {
					t.frameW = 0
				} else {
					pointW -= cut
					t.frameW = limit
				}
			}
			t.pointW = pointW
		}
	}
	t.gutter = t.timeW + 1
	if t.frameW > 0 {
		t.gutter += t.frameW + 1
	}
	avail := width - t.gutter
	edge := min(max(avail/(2*n), 2), 9)
	left, right := t.gutter+edge, width-1-edge
	t.xs = make([]int, n)
	for i := range t.xs {
		if n == 1 {
			t.xs[i] = (left + right) / 2
		} else {
			t.xs[i] = left + i*(right-left)/(n-1)
		}
	}

	t.header()
	for _, r := range l.Rows {
		t.row(r)
	}
	t.emit(t.base())
	t.legend()
	return t.out.Flush()
}

// header writes each column's name and addresses, centred on its lifeline.
func (t *textLayout) header() {
	n := len(t.xs)
	box := func(i int) (lo, hi int) {
		lo, hi = 0, t.width-1
		if i > 0 {
			lo = (t.xs[i-1]+t.xs[i])/2 + 1
		}
		if i < n-1 {
			hi = (t.xs[i] + t.xs[i+1]) / 2
		}
		return lo, hi
	}
	centred := func(line textLine, i int, s, style string) {
		lo, hi := box(i)
		s = term.Truncate(safeText(s), hi-lo+1)
		w := term.Width(s)
		x := t.xs[i] - w/2
		x = max(lo, min(x, hi-w+1))
		line.put(x, s, style)
	}
	// A line of names (or addresses) too wide for their columns is written
	// as two, every other column on the second: each then has the room of
	// two columns.
	wide := func(i int) (lo, hi int) {
		lo, hi = 0, t.width-1
		if i > 0 {
			lo = t.xs[i-1] + 2
		}
		if i < n-1 {
			hi = t.xs[i+1] - 2
		}
		return lo, hi
	}
	rows := 0
	for _, c := range t.l.Columns {
		rows = max(rows, len(c.Addr))
	}
	write := func(text func(c Column) (string, bool), style string) {
		fits := true
		for i, c := range t.l.Columns {
			lo, hi := box(i)
			if s, ok := text(c); ok {
				fits = fits && term.Width(safeText(s)) <= hi-lo+1
			}
		}
		if fits {
			line := newTextLine(t.width)
			for i, c := range t.l.Columns {
				if s, ok := text(c); ok {
					centred(line, i, s, style)
				}
			}
			t.emit(line)
			return
		}
		for half := 0; half < 2; half++ {
			line, used := newTextLine(t.width), false
			for i, c := range t.l.Columns {
				s, ok := text(c)
				if !ok || i%2 != half {
					continue
				}
				lo, hi := wide(i)
				s = term.Truncate(safeText(s), hi-lo+1)
				w := term.Width(s)
				line.put(max(lo, min(t.xs[i]-w/2, hi-w+1)), s, style)
				used = true
			}
			if used {
				t.emit(line)
			}
		}
	}
	write(func(c Column) (string, bool) { return c.Name, true }, t.style(term.SGRBold))
	for k := 0; k < rows; k++ {
		write(func(c Column) (string, bool) {
			if k < len(c.Addr) {
				return c.Addr[k], true
			}
			return "", false
		}, "")
	}
	line := newTextLine(t.width)
	for _, x := range t.xs {
		line.put(x, "┬", "")
	}
	t.emit(line)
}

func (t *textLayout) col(i int) int {
	return max(0, min(i, len(t.xs)-1))
}

// isArrowKind says whether rows of kind k are arrows (when From and To
// differ); the others are boxes.
func isArrowKind(k RowKind) bool {
	switch k {
	case RowCommand, RowReply, RowNegotiation, RowData:
		return true
	}
	return false
}

// row draws one row of the ladder.
func (t *textLayout) row(r Row) {
	from, to := t.col(r.From), t.col(r.To)
	if from == to {
		t.noteRow(r, t.xs[from])
		return
	}
	if !isArrowKind(r.Kind) {
		t.noteRow(r, (t.xs[from]+t.xs[to])/2)
		return
	}
	style := t.style(term.SeverityColor(r.Severity))
	glyph, cross := "─", "┼"
	switch r.Kind {
	case RowNegotiation:
		glyph, cross = "═", "╪"
		if style == "" {
			style = t.style(term.SGRNegotiation)
		}
	case RowData:
		glyph, cross = "━", "┿"
	}
	a, end := t.xs[from], t.xs[to]
	dir := 1
	if end < a {
		dir = -1
	}
	colDir := 1
	if to < from {
		colDir = -1
	}
	tail := false // the arrow starts between two columns
	if b := from - colDir; r.FromBeyond && b >= 0 && b < len(t.xs) {
		a, tail = (t.xs[from]+t.xs[b])/2, true
	}
	dead, deadAtTo := false, false
	if r.Stop >= 0 && r.Stop < len(t.xs) {
		s := t.xs[r.Stop]
		if next := r.Stop + colDir; r.StopBeyond && next >= 0 && next < len(t.xs) {
			s = (s + t.xs[next]) / 2
		}
		switch {
		case r.Stop == r.To && !r.StopBeyond:
			deadAtTo = true
		case (s-a)*dir > 0 && (end-s)*dir >= 0 && (s != end || r.StopBeyond):
			end, dead = s, true
		}
	}
	if a == end { // columns too close to draw an arrow between
		t.noteRow(r, a)
		return
	}
	arrow := t.base()
	if tail {
		arrow.put(a, glyph, style)
	}
	for x := a + dir; (end-x)*dir > 0; x += dir {
		if t.isLifeline(x) {
			arrow.put(x, cross, style)
		} else {
			arrow.put(x, glyph, style)
		}
	}
	head := ">"
	if dir < 0 {
		head = "<"
	}
	switch {
	case dead:
		arrow.put(end, "✕", style)
	case deadAtTo:
		arrow.put(end-dir, "✕", style)
	default:
		arrow.put(end-dir, head, style)
	}

	label := safeText(r.Label)
	lo, hi := min(a, end)+1, max(a, end)-1
	lw := term.Width(label)
	var lines []textLine
	if lw <= hi-lo-5 {
		if dir > 0 {
			arrow.put(lo+2, " "+label+" ", style)
		} else {
			arrow.put(hi-2-lw-1, " "+label+" ", style)
		}
		t.gutterText(arrow, r)
		lines = append(lines, arrow)
	} else {
		above := t.block(min(a, end), label, style, 1)
		if len(above) == 0 { // no label
			above = append(above, t.base())
		}
		t.gutterText(above[0], r)
		lines = append(lines, above[0], arrow)
	}
	if r.Detail != "" {
		lines = append(lines, t.block(min(a, end), safeText(r.Detail), style, detailLines)...)
	}
	for _, line := range lines {
		t.emit(line)
	}
}

// noteRow draws a row standing at cell x (on a column, or between two): a
// finding, a rewrite, a note, a data connection that was never attempted.
func (t *textLayout) noteRow(r Row, x int) {
	style := t.style(term.SeverityColor(r.Severity))
	marker := "○"
	switch r.Kind {
	case RowFinding:
		marker = "◆"
	case RowRewrite:
		marker = "◇"
		if style == "" {
			style = t.style(term.SGRNegotiation)
		}
	case RowData:
		marker = "✕"
	}
	first := t.base()
	first.put(x, marker, style)
	t.gutterText(first, r)
	label := safeText(r.Label)
	var body []string
	switch {
	case r.Kind != RowFinding && t.fits(x, label):
		t.beside(first, x, label, style)
	default:
		// The code (a finding's, a rewrite's verdict) by the marker, the
		// text below it, across the width.
		code := safeText(r.Code)
		head := code
		if r.Kind == RowFinding && r.Severity != "" {
			head = strings.TrimSpace(head + " " + strings.ToUpper(r.Severity))
		}
		lines := detailLines
		if r.Kind == RowFinding {
			lines = findingLines
		}
		if head != "" {
			t.beside(first, x, head, style)
			label = strings.TrimPrefix(label, code+": ")
		}
		body = wrap(label, t.width-t.xs[0]-2, lines)
	}
	t.emit(first)
	for _, s := range body {
		line := t.base()
		line.put(t.xs[0]+2, s, "")
		t.emit(line)
	}
	if r.Detail != "" {
		for _, s := range wrap(safeText(r.Detail), t.width-t.xs[0]-2, detailLines) {
			line := t.base()
			line.put(t.xs[0]+2, s, t.style(term.SGRDim))
			t.emit(line)
		}
	}
}

// fits reports whether s fits beside the marker at x, on either side.
func (t *textLayout) fits(x int, s string) bool {
	w := term.Width(s)
	return w <= t.width-(x+2) || w <= x-1-t.gutter
}

// beside writes s next to the marker at x: on its right when it fits,
// else on its left, else on the right cut.
func (t *textLayout) beside(l textLine, x int, s, style string) {
	w := term.Width(s)
	switch {
	case w <= t.width-(x+2):
		l.put(x+2, s, style)
	case w <= x-1-t.gutter:
		l.put(x-1-w, s, style)
	default:
		l.put(x+2, term.Truncate(s, t.width-(x+2)), style)
	}
}

// legend explains the glyphs and the frame numbers.
func (t *textLayout) legend() {
	parts := []string{"─> command, reply", "═> negotiation", "━> data connection", "✕ died there", "◆ finding"}
	beyond, rewrite := false, false
	for _, r := range t.l.Rows {
		beyond = beyond || r.StopBeyond
		rewrite = rewrite || r.Kind == RowRewrite
	}
	if beyond {
		parts[3] = "✕ lost between two capture points"
	}
	if rewrite {
		parts = append(parts, "◇ what a box between two points did to the line")
	}
	switch {
	case t.frameW > 0 && t.multi:
		parts = append(parts, "left: time since the session began, point#frame (Wireshark's frame number in that point's capture)")
	case t.frameW > 0:
		f := "left: time since the session began, frame number"
		if t.mainPt != "" {
			f += " at " + strconv.Quote(safeText(t.mainPt))
		}
		parts = append(parts, f)
	default:
		parts = append(parts, "left: time since the session began")
	}
	for _, s := range wrap(strings.Join(parts, " · "), t.width, 4) {
		line := newTextLine(t.width)
		line.put(0, s, t.style(term.SGRDim))
		t.emit(line)
	}
}
