package term

import (
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"plain", "file.bin", "file.bin"},
		{"utf-8 kept", "résumé.pdf", "résumé.pdf"},
		{"ANSI colour escape", "\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"clear screen and bell", "\x1b[2J\x07", `\x1b[2J\x07`},
		{"carriage return hides text", "ok\rEVIL", `ok\x0dEVIL`},
		{"bidi override", "invoice\u202efdp.exe", `invoice\u202efdp.exe`},
		{"bidi isolate", "a\u2066b", `a\u2066b`},
		{"zero width joiner", "a\u200db", `a\u200db`},
		{"C1 control (CSI)", "a\u009bb", `a\x9bb`},
		{"invalid UTF-8", "a\xffb\xc3", `a\xffb\xc3`},
		{"backslash escaped so escapes cannot be forged", `a\x1b`, `a\\x1b`},
		{"DEL", "a\x7fb", `a\x7fb`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := Clean(tt.in)
			if got != tt.want {
				t.Errorf("- want: %s\n-  got: %s", tt.want, got)
			}
			for _, r := range got {
				if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || UnsafeRune(r) {
					t.Errorf("unsafe rune %U left in %q", r, got)
				}
			}
			if !utf8.ValidString(got) {
				t.Errorf("result is not valid UTF-8: %q", got)
			}
			if !IsSafe(got) {
				t.Errorf("IsSafe(%q) = false for Clean's output", got)
			}
		})
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"file.bin", "\x1b[31m", "a\u202eb", "\xff\xfe", `\x1b`, "RETR r\u00e9sum\u00e9\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Clean(s)
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		for _, r := range got {
			if UnsafeRune(r) {
				t.Fatalf("unsafe rune %U out of %q", r, s)
			}
		}
		if isClean(s) && got != s {
			t.Fatalf("a clean string was changed: %q -> %q", s, got)
		}
	})
}

func TestWidth(t *testing.T) {
	for _, tt := range []struct {
		in        string
		width     int
		cut3      string // Truncate(in, 3)
		cut3Runes string // TruncateRunes(in, 3)
	}{
		{"", 0, "", ""},
		{"abc", 3, "abc", "abc"},
		{"abcd", 4, "ab…", "ab…"},
		{"日本語", 6, "日…", "日本語"},
		{"e\u0301te\u0301", 3, "e\u0301te\u0301", "e\u0301…"}, // combining marks take no cell
		{"→→→→", 4, "→→…", "→→…"},                             // ambiguous width: one cell, whatever the locale
	} {
		if got := Width(tt.in); got != tt.width {
			t.Errorf("Width(%q) = %d, want %d", tt.in, got, tt.width)
		}
		if got := Truncate(tt.in, 3); got != tt.cut3 || Width(got) > 3 {
			t.Errorf("Truncate(%q, 3) = %q, want %q", tt.in, got, tt.cut3)
		}
		if got := TruncateRunes(tt.in, 3); got != tt.cut3Runes {
			t.Errorf("TruncateRunes(%q, 3) = %q, want %q", tt.in, got, tt.cut3Runes)
		}
	}
	if got := Truncate("abc", 0); got != "" {
		t.Errorf("Truncate(abc, 0) = %q", got)
	}
	if got := TruncateRunes("abcdef", 0); got != "a…" {
		t.Errorf("TruncateRunes(abcdef, 0) = %q, want at least two runes", got)
	}
}

func TestColorize(t *testing.T) {
	if got := Colorize("ERROR", SeverityColor("error")); got != "\x1b[1;31mERROR\x1b[0m" {
		t.Errorf("Colorize(ERROR, error) = %q", got)
	}
	if got := Colorize("note", SeverityColor("")); got != "note" {
		t.Errorf("no severity, no colour: %q", got)
	}
}
