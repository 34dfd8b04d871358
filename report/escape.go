// Package report formats what analyze found for people and programs: tables
// for a terminal, JSON Lines, Markdown and HTML. It is the only place where
// findings and records become text, and every string that came off the wire
// is escaped here before it can reach a terminal or a page.
package report

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean makes a string from the wire safe to print on a terminal: control
// characters (C0, DEL, C1, so every ANSI escape sequence), Unicode format
// characters that reorder or hide text (bidi overrides and isolates,
// zero-width characters) and invalid UTF-8 are written as visible escapes
// (\x1b, \u202e). Everything else is kept as is.
func Clean(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i]))
		case unsafeRune(r):
			if r < 0x100 {
				b.WriteString(`\x`)
				b.WriteString(hex2(byte(r)))
			} else {
				b.WriteString(`\u`)
				h := strconv.FormatInt(int64(r), 16)
				b.WriteString(strings.Repeat("0", 4-len(h)))
				b.WriteString(h)
			}
		case r == '\\':
			b.WriteString(`\\`)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}

func isClean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || c == '\\' {
			return false
		}
		if c >= 0x80 {
			// Slow path for anything non-ASCII.
			for _, r := range s[i:] {
				if r == utf8.RuneError || unsafeRune(r) {
					return false
				}
			}
			return !strings.ContainsRune(s[i:], '\\') && utf8.ValidString(s[i:])
		}
	}
	return true
}

func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true // bidi embeddings, overrides, isolates and marks
	case r == 0x200b || r == 0x200c || r == 0x200d || r == 0x2060 || r == 0xfeff:
		return true // zero-width characters
	case r == 0x2028 || r == 0x2029:
		return true // line and paragraph separators
	}
	return unicode.Is(unicode.Cc, r)
}
