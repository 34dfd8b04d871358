package ftp

import (
	"bytes"
	"testing"
)

func TestCleanLine(t *testing.T) {
	const iac, will, wont, do, dont, sb, se = "\xff", "\xfb", "\xfc", "\xfd", "\xfe", "\xfa", "\xf0"
	const ip, dm, ayt, nop = "\xf4", "\xf2", "\xf6", "\xf1"
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "OK plain", in: "USER anonymous", want: "USER anonymous"},
		{name: "OK empty", in: "", want: ""},
		{name: "trailing CR", in: "USER anonymous\r", want: "USER anonymous"},
		{name: "CR NUL inside (RFC 2640)", in: "RETR a\r\x00b\r", want: "RETR ab"},
		{name: "bare CR inside", in: "RETR a\rb", want: "RETR ab"},
		{name: "NUL not after CR kept", in: "RETR a\x00b", want: "RETR a\x00b"},
		{name: "stray LF removed", in: "NOOP\n", want: "NOOP"},
		{name: "IAC IAC is one 0xFF", in: "RETR a" + iac + iac + "b", want: "RETR a\xffb"},
		{name: "two IAC IAC", in: iac + iac + iac + iac, want: "\xff\xff"},
		{name: "ABOR after IAC IP IAC DM (RFC 959 4.1.3)", in: iac + ip + iac + dm + "ABOR\r", want: "ABOR"},
		{name: "IAC AYT and IAC NOP", in: "NO" + iac + ayt + "OP" + iac + nop, want: "NOOP"},
		{name: "IAC WILL option", in: iac + will + "\x01USER a", want: "USER a"},
		{name: "IAC WONT DO DONT", in: "A" + iac + wont + "\x03B" + iac + do + "\x18C" + iac + dont + "\x1fD", want: "ABCD"},
		{name: "IAC DO with IAC as option byte", in: iac + do + iac + "X", want: "X"},
		{name: "IAC WILL with CR as option byte", in: iac + will + "\rX", want: "X"},
		{name: "IAC WILL at line end", in: "NOOP" + iac + will, want: "NOOP"},
		{name: "lone IAC at line end", in: "NOOP" + iac, want: "NOOP"},
		{name: "IAC SB ... IAC SE", in: "NO" + iac + sb + "\x18\x00xterm" + iac + se + "OP", want: "NOOP"},
		{name: "IAC IAC inside SB is data", in: "A" + iac + sb + "\x01" + iac + iac + se + "x" + iac + se + "B", want: "AB"},
		{name: "SB without SE eats the line", in: "NOOP" + iac + sb + "\x18 rest\r", want: "NOOP"},
		{name: "IAC SB at line end", in: "NOOP" + iac + sb, want: "NOOP"},
		{name: "IAC SB IAC at line end", in: "NOOP" + iac + sb + iac, want: "NOOP"},
		{name: "stray IAC SE", in: "NO" + iac + se + "OP", want: "NOOP"},
		{name: "IAC before a letter drops both", in: "NO" + iac + "XOP", want: "NOOP"},
		{name: "IAC before CR NUL", in: "A" + iac + "\r\x00B", want: "A\x00B"},
		{name: "UTF-8 kept (RFC 2640)", in: "RETR \xc3\xa9t\xc3\xa9\r", want: "RETR \xc3\xa9t\xc3\xa9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CleanLine(nil, []byte(tt.in))
			if string(got) != tt.want {
				t.Errorf("in %q:\n- want: %q\n-  got: %q", tt.in, tt.want, got)
			}
		})
	}
}

func TestCleanLineAppends(t *testing.T) {
	buf := make([]byte, 0, 64)
	buf = append(buf, "prefix:"...)
	got := CleanLine(buf, []byte("NOOP\r"))
	if string(got) != "prefix:NOOP" {
		t.Errorf("- want: %q\n-  got: %q", "prefix:NOOP", got)
	}
	if &got[0] != &buf[:1][0] {
		t.Errorf("CleanLine did not append into dst's array")
	}
	if n := testing.AllocsPerRun(100, func() { buf = CleanLine(buf[:0], []byte("USER a\xff\xffb\r")) }); n != 0 {
		t.Errorf("- want: 0 allocations with room in dst\n-  got: %v", n)
	}
}

// splitLines splits a reassembled byte stream at LF, as the caller does; a
// last piece without LF is returned as incomplete.
func splitLines(stream []byte) (lines [][]byte, rest []byte) {
	for {
		i := bytes.IndexByte(stream, '\n')
		if i < 0 {
			return lines, stream
		}
		lines = append(lines, stream[:i])
		stream = stream[i+1:]
	}
}
