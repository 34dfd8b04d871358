package report

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"
)

// MinLadderWidth is the narrowest text ladder WriteLadder draws: a smaller
// width is raised to it (three columns and the times need that much).
const MinLadderWidth = 40

// Text ladder limits.
const (
	ladderFindingLines = 3 // lines of a finding's summary before it is cut with "…"
	ladderDetailLines  = 2 // lines of a row's detail (an outcome, a fix)
	ladderFrameWidth   = 60
)

// ldCellWidth measures runes as a terminal without CJK ambiguous widths
// does, whatever the locale: output must not depend on the environment.
var ldCellWidth = &runewidth.Condition{EastAsianWidth: false, StrictEmojiNeutral: true}

// ldWidth is the number of terminal cells s takes.
func ldWidth(s string) int {
	n := 0
	for _, r := range s {
		n += ldCellWidth.RuneWidth(r)
	}
	return n
}

// ldTrunc cuts s to at most w cells, ending it with "…" when cut.
func ldTrunc(s string, w int) string {
	if ldWidth(s) <= w {
		return s
	}
	if w <= 0 {
		return ""
	}
	n := 0
	for i, r := range s {
		rw := ldCellWidth.RuneWidth(r)
		if n+rw > w-1 {
			return s[:i] + "…"
		}
		n += rw
	}
	return s
}

// ldWrap breaks s into lines of at most w cells, at spaces when it can,
// and at most maxLines of them (the last one cut with "…").
func ldWrap(s string, w, maxLines int) []string {
	if w < 1 {
		return nil
	}
	var lines []string
	for s != "" && len(lines) < maxLines {
		if ldWidth(s) <= w {
			lines = append(lines, s)
			s = ""
			break
		}
		if len(lines) == maxLines-1 {
			lines = append(lines, ldTrunc(s, w))
			s = ""
			break
		}
		// The longest prefix that fits, then back to its last space.
		cut, n := 0, 0
		for i, r := range s {
			rw := ldCellWidth.RuneWidth(r)
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

// ldSafe escapes what Clean would in s but leaves the rest (backslashes
// included) alone: the builder cleaned every wire string already, so this
// only guards against a Ladder built elsewhere. No control character
// reaches the terminal through it.
func ldSafe(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unsafeRune(r) {
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
		if r == utf8.RuneError && size == 1 || unsafeRune(r) {
			b.WriteString(Clean(s[i : i+size]))
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// A text line is a row of terminal cells, each with its style.
type ldCell struct {
	s     string // what the cell shows; "" on the right half of a wide rune
	style string // SGR parameters
	half  bool   // the right half of a wide rune
}

type ldLine []ldCell

func newLdLine(width int) ldLine {
	l := make(ldLine, width)
	for i := range l {
		l[i].s = " "
	}
	return l
}

// ldMaxMarks bounds the zero-width runes (combining marks) kept on one
// cell: a label of a million accents draws as its first few.
const ldMaxMarks = 3

// put writes s from cell x on, clipped at the end of the line.
func (l ldLine) put(x int, s, style string) {
	last, marks := -1, 0
	for _, r := range s {
		w := ldCellWidth.RuneWidth(r)
		if w == 0 {
			if last >= 0 && marks < ldMaxMarks {
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
			l[x-1] = ldCell{s: " "}
		}
		if x+w < len(l) && l[x+w].half {
			l[x+w] = ldCell{s: " "}
		}
		l[x] = ldCell{s: string(r), style: style}
		if w == 2 {
			l[x+1] = ldCell{half: true, style: style}
		}
		last = x
		x += w
	}
}

// render writes the line, with SGR sequences when color is set, without
// trailing blanks.
func (l ldLine) render(color bool) string {
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

// ldText lays a ladder out on a width.
type ldText struct {
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

func (t *ldText) style(s string) string {
	if !t.color {
		return ""
	}
	return s
}

func (t *ldText) emit(l ldLine) {
	t.out.WriteString(l.render(t.color))
	t.out.WriteByte('\n')
}

// base is a line with the lifelines only.
func (t *ldText) base() ldLine {
	l := newLdLine(t.width)
	for _, x := range t.xs {
		l.put(x, "│", "")
	}
	return l
}

func (t *ldText) isLifeline(x int) bool {
	for _, c := range t.xs {
		if c == x {
			return true
		}
	}
	return false
}

// gutterText writes a row's time and frame at the left of l.
func (t *ldText) gutterText(l ldLine, r Row) {
	at := ldSecs(r.At)
	l.put(t.timeW-ldWidth(at), at, t.style(sgrDim))
	if t.frameW > 0 && r.Frame != 0 {
		f := strconv.FormatUint(r.Frame, 10)
		if r.Point != "" && r.Point != t.mainPt {
			f += "'"
		}
		l.put(t.timeW+1+t.frameW-ldWidth(f), f, t.style(sgrDim))
	}
}

// block writes text (a label or a detail) near an arrow whose left end
// is x: from x+2 on when it fits there, or when there is room enough to
// wrap it there; else from the first column on, over the whole width.
// Each line of it is a new line of lifelines, returned.
func (t *ldText) block(x int, s, style string, maxLines int) []ldLine {
	start := x + 2
	if room := t.width - start; ldWidth(s) > room && (room < 40 || len(ldWrap(s, room, maxLines+1)) > maxLines) {
		start = t.xs[0] + 2
	}
	var out []ldLine
	for _, part := range ldWrap(s, t.width-start, maxLines) {
		line := t.base()
		line.put(start, part, style)
		out = append(out, line)
	}
	return out
}

// WriteLadder draws l as plain text in at most width columns (at least
// MinLadderWidth): a header with the columns, then one or more lines per
// row with its time and frame at the left. With color, severities and
// negotiations are coloured with ANSI SGR sequences; without it the output
// holds no escape byte at all.
func WriteLadder(w io.Writer, l *Ladder, width int, color bool) error {
	width = max(width, MinLadderWidth)
	t := &ldText{l: l, width: width, color: color, out: bufio.NewWriter(w)}

	for _, s := range ldWrap(ldSafe(l.Title), width, 4) {
		line := newLdLine(width)
		line.put(0, s, t.style(sgrBold))
		t.emit(line)
	}
	for _, n := range l.Notes {
		for i, s := range ldWrap(ldSafe(n), width-2, 6) {
			line := newLdLine(width)
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
		t.timeW = max(t.timeW, ldWidth(ldSecs(r.At)))
		if r.Point != "" && t.mainPt == "" {
			t.mainPt = r.Point
		}
	}
	t.timeW = max(t.timeW, len("+0.000s"))
	if width >= ladderFrameWidth {
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
func (t *ldText) header() {
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
	centred := func(line ldLine, i int, s, style string) {
		lo, hi := box(i)
		s = ldTrunc(ldSafe(s), hi-lo+1)
		w := ldWidth(s)
		x := t.xs[i] - w/2
		x = max(lo, min(x, hi-w+1))
		line.put(x, s, style)
	}
	line := newLdLine(t.width)
	rows := 0
	for i, c := range t.l.Columns {
		centred(line, i, c.Name, t.style(sgrBold))
		rows = max(rows, len(c.Addr))
	}
	t.emit(line)
	for k := 0; k < rows; k++ {
		line := newLdLine(t.width)
		for i, c := range t.l.Columns {
			if k < len(c.Addr) {
				centred(line, i, c.Addr[k], "")
			}
		}
		t.emit(line)
	}
	line = newLdLine(t.width)
	for _, x := range t.xs {
		line.put(x, "┬", "")
	}
	t.emit(line)
}

func (t *ldText) col(i int) int {
	return max(0, min(i, len(t.xs)-1))
}

// row draws one row of the ladder.
func (t *ldText) row(r Row) {
	from, to := t.col(r.From), t.col(r.To)
	if from == to {
		t.noteRow(r, from)
		return
	}
	style := t.style(SeverityColor(r.Severity))
	glyph, cross := "─", "┼"
	switch r.Kind {
	case RowNegotiation:
		glyph, cross = "═", "╪"
		if style == "" {
			style = t.style(sgrNegotiation)
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

	label := ldSafe(r.Label)
	lo, hi := min(a, end)+1, max(a, end)-1
	lw := ldWidth(label)
	var lines []ldLine
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
		lines = append(lines, t.block(min(a, end), ldSafe(r.Detail), style, ladderDetailLines)...)
	}
	for _, line := range lines {
		t.emit(line)
	}
}

// noteRow draws a row standing on one column: a finding, a rewrite, a
// note, a data connection that was never attempted.
func (t *ldText) noteRow(r Row, c int) {
	x := t.xs[c]
	style := t.style(SeverityColor(r.Severity))
	marker := "○"
	switch r.Kind {
	case RowFinding:
		marker = "◆"
	case RowRewrite:
		marker = "◇"
		if style == "" {
			style = t.style(sgrNegotiation)
		}
	case RowData:
		marker = "✕"
	}
	first := t.base()
	first.put(x, marker, style)
	t.gutterText(first, r)
	label := ldSafe(r.Label)
	var body []string
	switch {
	case r.Kind != RowFinding && t.fits(x, label):
		t.beside(first, x, label, style)
	default:
		// The code (a finding's, a rewrite's verdict) by the marker, the
		// text below it, across the width.
		code := ldSafe(r.Code)
		head := code
		if r.Kind == RowFinding && r.Severity != "" {
			head = strings.TrimSpace(head + " " + strings.ToUpper(r.Severity))
		}
		lines := ladderDetailLines
		if r.Kind == RowFinding {
			lines = ladderFindingLines
		}
		if head != "" {
			t.beside(first, x, head, style)
			label = strings.TrimPrefix(label, code+": ")
		}
		body = ldWrap(label, t.width-t.xs[0]-2, lines)
	}
	t.emit(first)
	for _, s := range body {
		line := t.base()
		line.put(t.xs[0]+2, s, "")
		t.emit(line)
	}
	if r.Detail != "" {
		for _, s := range ldWrap(ldSafe(r.Detail), t.width-t.xs[0]-2, ladderDetailLines) {
			line := t.base()
			line.put(t.xs[0]+2, s, t.style(sgrDim))
			t.emit(line)
		}
	}
}

// fits reports whether s fits beside the marker at x, on either side.
func (t *ldText) fits(x int, s string) bool {
	w := ldWidth(s)
	return w <= t.width-(x+2) || w <= x-1-t.gutter
}

// beside writes s next to the marker at x: on its right when it fits,
// else on its left, else on the right cut.
func (t *ldText) beside(l ldLine, x int, s, style string) {
	w := ldWidth(s)
	switch {
	case w <= t.width-(x+2):
		l.put(x+2, s, style)
	case w <= x-1-t.gutter:
		l.put(x-1-w, s, style)
	default:
		l.put(x+2, ldTrunc(s, t.width-(x+2)), style)
	}
}

// legend explains the glyphs and the frame numbers.
func (t *ldText) legend() {
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
			f += " at " + strconv.Quote(ldSafe(t.mainPt))
		}
		for _, p := range t.otherPt {
			f += " (with ' at " + strconv.Quote(ldSafe(p)) + ")"
		}
		parts = append(parts, f)
	} else {
		parts = append(parts, "left: time since the session began")
	}
	for _, s := range ldWrap(strings.Join(parts, " · "), t.width, 4) {
		line := newLdLine(t.width)
		line.put(0, s, t.style(sgrDim))
		t.emit(line)
	}
}
