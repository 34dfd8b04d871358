// Package term is terminal-safe text: escaping wire text, display width,
// colours. Every string that came off the wire goes through Clean before a
// report prints it; Width and Truncate measure text in terminal cells the
// same way whatever the locale; SeverityColor and Colorize write ANSI SGR
// sequences, and only when the caller asks for colour.
package term

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
		case UnsafeRune(r):
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
				if r == utf8.RuneError || UnsafeRune(r) {
					return false
				}
			}
			return !strings.ContainsRune(s[i:], '\\') && utf8.ValidString(s[i:])
		}
	}
	return true
}

// UnsafeRune reports whether Clean escapes r: a control character (C0,
// DEL, C1), a bidi embedding, override, isolate or mark, a zero-width
// character, or a line or paragraph separator.
func UnsafeRune(r rune) bool {
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

// IsSafe reports whether s is valid UTF-8 with no rune Clean escapes
// (backslashes are fine: they are Clean's own escapes). Text that went
// through Clean is safe; cleaning it again would double its backslashes.
func IsSafe(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if UnsafeRune(r) {
			return false
		}
	}
	return true
}
