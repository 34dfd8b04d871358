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
	l       *Ladder
	width   int
	color   bool
	gutter  int   // cells before the first column's area: time and frame
	timeW   int   // width of the time
	frameW  int   // width of the frame number (0: not shown)
	xs      []int // each column's lifeline
	mainPt  string
	otherPt []string
	out     *bufio.Writer
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

// gutterText writes a row's time and frame at the left of l.
func (t *textLayout) gutterText(l textLine, r Row) {
	at := secs(r.At)
	l.put(t.timeW-term.Width(at), at, t.style(term.SGRDim))
	if t.frameW > 0 && r.Frame != 0 {
		f := strconv.FormatUint(r.Frame, 10)
		if r.Point != "" && r.Point != t.mainPt {
			f += "'"
		}
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

	// The gutter: the longest time, then the largest frame number.
	for _, r := range l.Rows {
		t.timeW = max(t.timeW, term.Width(secs(r.At)))
		if r.Point != "" && t.mainPt == "" {
			t.mainPt = r.Point
		}
	}
	t.timeW = max(t.timeW, len("+0.000s"))
	if width >= minWidthForFrames {
		seen := map[string]bool{}
		for _, r := range l.Rows {
			if r.Frame == 0 {
				continue
			}
			fw := len(strconv.FormatUint(r.Frame, 10))
			if r.Point != "" && r.Point != t.mainPt {
				fw++
				if !seen[r.Point] {
					seen[r.Point] = true
					t.otherPt = append(t.otherPt, r.Point)
				}
			}
			t.frameW = max(t.frameW, fw)
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
	line := newTextLine(t.width)
	rows := 0
	for i, c := range t.l.Columns {
		centred(line, i, c.Name, t.style(term.SGRBold))
		rows = max(rows, len(c.Addr))
	}
	t.emit(line)
	for k := 0; k < rows; k++ {
		line := newTextLine(t.width)
		for i, c := range t.l.Columns {
			if k < len(c.Addr) {
				centred(line, i, c.Addr[k], "")
			}
		}
		t.emit(line)
	}
	line = newTextLine(t.width)
	for _, x := range t.xs {
		line.put(x, "┬", "")
	}
	t.emit(line)
}

func (t *textLayout) col(i int) int {
	return max(0, min(i, len(t.xs)-1))
}

// row draws one row of the ladder.
func (t *textLayout) row(r Row) {
	from, to := t.col(r.From), t.col(r.To)
	if from == to {
		t.noteRow(r, from)
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
	dead, deadAtTo := false, false
	if r.Stop >= 0 && r.Stop < len(t.xs) {
		s := t.xs[r.Stop]
		switch {
		case r.Stop == r.To:
			deadAtTo = true
		case (s-a)*dir > 0 && (end-s)*dir > 0:
			end, dead = s, true
		}
	}
	arrow := t.base()
	for x := a + dir; x != end; x += dir {
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

// noteRow draws a row standing on one column: a finding, a rewrite, a
// note, a data connection that was never attempted.
func (t *textLayout) noteRow(r Row, c int) {
	x := t.xs[c]
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
	for _, r := range t.l.Rows {
		if r.Kind == RowRewrite {
			parts = append(parts, "◇ NAT rewrite")
			break
		}
	}
	if t.frameW > 0 {
		f := "left: time since the session began, frame number"
		if t.mainPt != "" {
			f += " at " + strconv.Quote(safeText(t.mainPt))
		}
		for _, p := range t.otherPt {
			f += " (with ' at " + strconv.Quote(safeText(p)) + ")"
		}
		parts = append(parts, f)
	} else {
		parts = append(parts, "left: time since the session began")
	}
	for _, s := range wrap(strings.Join(parts, " · "), t.width, 4) {
		line := newTextLine(t.width)
		line.put(0, s, t.style(term.SGRDim))
		t.emit(line)
	}
}
