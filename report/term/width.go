package term

import (
	"unicode/utf8"

	"github.com/mattn/go-runewidth"
)

// cellWidth measures runes as a terminal without CJK ambiguous widths
// does, whatever the locale: output must not depend on the environment.
var cellWidth = &runewidth.Condition{EastAsianWidth: false, StrictEmojiNeutral: true}

// RuneWidth is the number of terminal cells r takes: 0 for a combining
// mark, 2 for a wide rune, else 1.
func RuneWidth(r rune) int { return cellWidth.RuneWidth(r) }

// Width is the number of terminal cells s takes.
func Width(s string) int {
	n := 0
	for _, r := range s {
		n += cellWidth.RuneWidth(r)
	}
	return n
}

// Truncate cuts s to at most w cells, ending it with "…" when cut.
func Truncate(s string, w int) string {
	if Width(s) <= w {
		return s
	}
	if w <= 0 {
		return ""
	}
	n := 0
	for i, r := range s {
		rw := cellWidth.RuneWidth(r)
		if n+rw > w-1 {
			return s[:i] + "…"
		}
		n += rw
	}
	return s
}

// TruncateRunes cuts s to at most n runes (n at least 2), ending it with
// "…" when cut: for markup, where the reader's font decides the width.
func TruncateRunes(s string, n int) string {
	if n < 2 {
		n = 2
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)
	return string(rs[:n-1]) + "…"
}
