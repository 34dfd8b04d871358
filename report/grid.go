package report

import (
	"io"
	"strings"
	"unicode/utf8"

	"github.com/ftpsniff/ftpsniff/report/term"
)

// grid lays out a table for a terminal of a given width: box-drawn, the
// header centred, each cell wrapped inside its column when the table would
// be wider than the terminal. Cells are already safe for a terminal.
type grid struct {
	headers []string
	rows    [][]string
	// style colours a row's cells (nil: none).
	style func(row int) string
}

// widths returns the column widths that fit width, and whether they do:
// every column starts at its widest cell; while the table is too wide, a
// column gives up one cell, the one whose narrowing adds the fewest lines
// to the table (the widest of those). No column shrinks below its longest
// word (an address, a reply code): when the table cannot fit without
// breaking one, or a row would wrap into more than maxRowLines lines, it
// does not fit, and the caller lays the rows out another way.
func (g *grid) widths(width int) ([]int, bool) {
	n := len(g.headers)
	w := make([]int, n)
	floor := make([]int, n)
	for i, h := range g.headers {
		w[i] = term.Width(h)
		floor[i] = longestWord(h)
	}
	for _, r := range g.rows {
		for i, c := range r {
			w[i] = max(w[i], term.Width(c))
			floor[i] = max(floor[i], longestWord(c))
		}
	}
	total := 3*n + 1 // "│ " before each cell, " " after, the last "│"
	for _, x := range w {
		total += x
	}
	// The layout is decided on the header and the first rows: a table of
	// thousands costs no more to fit than one of layoutRows.
	sample := append([][]string{g.headers}, g.rows[:min(len(g.rows), layoutRows)]...)
	lines := make([][]int, len(sample)) // lines[row][column] at w[column]
	for r, cells := range sample {
		lines[r] = make([]int, n)
		for i, c := range cells {
			lines[r][i] = countLines(c, w[i])
		}
	}
	for total > width {
		best, bestCost := -1, 0
		for i := range w {
			if w[i] <= floor[i] {
				continue
			}
			cost := 0 // the lines the table gains if column i narrows
			for r, cells := range sample {
				before, after := 0, 0
				for j, x := range lines[r] {
					before = max(before, x)
					if j != i {
						after = max(after, x)
					}
				}
				after = max(after, countLines(cells[i], w[i]-1))
				cost += after - before
			}
			if best < 0 || cost < bestCost || cost == bestCost && w[i] > w[best] {
				best, bestCost = i, cost
			}
		}
		if best < 0 {
			return w, false
		}
		w[best]--
		total--
		for r, cells := range sample {
			lines[r][best] = countLines(cells[best], w[best])
		}
	}
	for _, r := range g.rows {
		for i, c := range r {
			if countLines(c, w[i]) > maxRowLines {
				return w, false
			}
		}
	}
	return w, true
}

// layoutRows is how many rows decide a grid's column widths.
const layoutRows = 100

// countLines is len(wrapText(s, width)), without building the lines.
func countLines(s string, width int) int {
	if width < 1 {
		width = 1
	}
	if term.Width(s) <= width {
		return 1
	}
	lines, curW := 0, 0
	for _, word := range strings.Fields(s) {
		for j, piece := range breakPieces(word) {
			pw := term.Width(piece)
			sep := 1
			if j > 0 {
				sep = 0
			}
			if curW > 0 && curW+sep+pw <= width {
				curW += sep + pw
				continue
			}
			if curW > 0 {
				lines++
			}
			for pw > width {
				head := prefixCells(piece, width)
				lines++
				piece = piece[len(head):]
				pw = term.Width(piece)
			}
			curW = pw
		}
	}
	if curW > 0 || lines == 0 {
		lines++
	}
	return lines
}

// maxRowLines is the most lines a row may wrap into: a taller one reads
// better as a block of its own.
const maxRowLines = 3

// longestWord is the width of the longest piece of s that wrapText never
// breaks.
func longestWord(s string) int {
	n := 0
	for _, f := range strings.Fields(s) {
		for _, p := range breakPieces(f) {
			n = max(n, term.Width(p))
		}
	}
	return n
}

// breakPieces cuts a word where a line may break inside it: after "→"
// ("10.0.0.1:40000→" / "192.0.2.1:21") and after "/" in a path.
func breakPieces(word string) []string {
	var out []string
	start := 0
	for i, r := range word {
		end := i + utf8.RuneLen(r)
		if (r == '→' || r == '/') && end < len(word) {
			out = append(out, word[start:end])
			start = end
		}
	}
	return append(out, word[start:])
}

// render writes the grid in the widths given.
func (g *grid) render(w io.Writer, widths []int, color bool) error {
	var b strings.Builder
	rule := func(l, m, r string) {
		b.WriteString(l)
		for i, x := range widths {
			if i > 0 {
				b.WriteString(m)
			}
			b.WriteString(strings.Repeat("─", x+2))
		}
		b.WriteString(r + "\n")
	}
	row := func(cells []string, centre bool, sgr string) {
		wrapped := make([][]string, len(cells))
		lines := 1
		for i, c := range cells {
			wrapped[i] = wrapText(c, widths[i])
			lines = max(lines, len(wrapped[i]))
		}
		for l := 0; l < lines; l++ {
			b.WriteString("│")
			for i := range cells {
				s := ""
				if l < len(wrapped[i]) {
					s = wrapped[i][l]
				}
				pad := widths[i] - term.Width(s)
				left := 0
				if centre {
					left = pad / 2
				}
				if color && sgr != "" && s != "" {
					s = term.Colorize(s, sgr)
				}
				b.WriteString(" " + strings.Repeat(" ", left) + s + strings.Repeat(" ", pad-left) + " │")
			}
			b.WriteString("\n")
		}
	}
	rule("┌", "┬", "┐")
	row(g.headers, true, "")
	rule("├", "┼", "┤")
	for i, r := range g.rows {
		sgr := ""
		if g.style != nil {
			sgr = g.style(i)
		}
		row(r, false, sgr)
	}
	rule("└", "┴", "┘")
	_, err := io.WriteString(w, b.String())
	return err
}

// wrapText breaks s into lines of at most width cells, at spaces and
// the breakPieces where it can and inside a word where it must. An empty s is
// one empty line.
func wrapText(s string, width int) []string {
	if width < 1 {
		width = 1
	}
	if term.Width(s) <= width {
		return []string{s}
	}
	var lines []string
	var cur strings.Builder
	curW := 0
	flush := func() {
		lines = append(lines, cur.String())
		cur.Reset()
		curW = 0
	}
	for _, word := range strings.Fields(s) {
		for j, piece := range breakPieces(word) {
			pw := term.Width(piece)
			sep := 1 // a space before the word's first piece, none inside it
			if j > 0 {
				sep = 0
			}
			if curW > 0 && curW+sep+pw <= width {
				if sep == 1 {
					cur.WriteByte(' ')
				}
				cur.WriteString(piece)
				curW += sep + pw
				continue
			}
			if curW > 0 {
				flush()
			}
			for pw > width { // a piece longer than a line: break it
				head := prefixCells(piece, width)
				lines = append(lines, head)
				piece = piece[len(head):]
				pw = term.Width(piece)
			}
			cur.WriteString(piece)
			curW = pw
		}
	}
	if curW > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}

// prefixCells is the longest start of s at most w cells wide (one rune at
// least, so that breaking a word always moves on).
func prefixCells(s string, w int) string {
	n := 0
	for i, r := range s {
		rw := term.RuneWidth(r)
		if n+rw > w && i > 0 {
			return s[:i]
		}
		n += rw
	}
	return s
}
