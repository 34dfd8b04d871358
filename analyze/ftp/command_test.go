package ftp

import (
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	const noVerb = "command: line does not start with a verb"
	const noSpace = "command: verb not followed by a space"
	tests := []struct {
		name    string
		in      string
		want    Command
		wantErr string
	}{
		{name: "OK USER", in: "USER anonymous", want: Command{"USER", "anonymous"}},
		{name: "OK verb alone", in: "PASV", want: Command{"PASV", ""}},
		{name: "OK verb and space", in: "NOOP ", want: Command{"NOOP", ""}},
		{name: "OK lower case", in: "user anonymous", want: Command{"USER", "anonymous"}},
		{name: "OK mixed case", in: "ePsV ALL", want: Command{"EPSV", "ALL"}},
		{name: "OK PASS with spaces", in: "PASS my secret  pass ", want: Command{"PASS", "my secret  pass "}},
		{name: "OK PASS only spaces", in: "PASS   ", want: Command{"PASS", "  "}},
		{name: "OK two spaces keep the second", in: "PORT  10,0,0,1,4,1", want: Command{"PORT", " 10,0,0,1,4,1"}},
		{name: "OK trailing CR removed", in: "CWD /pub\r", want: Command{"CWD", "/pub"}},
		{name: "OK trailing CR LF removed", in: "CWD /pub \r\n", want: Command{"CWD", "/pub "}},
		{name: "OK inner CR kept", in: "RETR a\rb", want: Command{"RETR", "a\rb"}},
		{name: "OK tab in argument", in: "SITE a\tb", want: Command{"SITE", "a\tb"}},
		{name: "OK three letters", in: "pwd", want: Command{"PWD", ""}},
		{name: "OK one letter (nDPI fuzz capture)", in: "Z", want: Command{"Z", ""}},
		{name: "OK RFC 2228 ENC", in: "ENC FwMBACA6vBpcxn7UHCCrnx8c4Wc7O9stiQWObtgKKdyWeqD1qQ==", want: Command{"ENC", "FwMBACA6vBpcxn7UHCCrnx8c4Wc7O9stiQWObtgKKdyWeqD1qQ=="}},
		{name: "OK RFC 2428 EPRT", in: "EPRT |2|fd00:10:16:1::3|40467|", want: Command{"EPRT", "|2|fd00:10:16:1::3|40467|"}},
		{name: "OK RFC 1639 LPRT", in: "lprt 4,4,10,0,0,1,2,4,1", want: Command{"LPRT", "4,4,10,0,0,1,2,4,1"}},
		{name: "OK RFC 3659 MLST", in: "MLST file.txt", want: Command{"MLST", "file.txt"}},
		{name: "OK RFC 775 XPWD", in: "xpwd", want: Command{"XPWD", ""}},
		{name: "OK digits after the first letter", in: "XSHA256 file", want: Command{"XSHA256", "file"}},
		{name: "OK unknown verb", in: "Frob x y", want: Command{"FROB", "x y"}},
		{name: "OK sixteen letters", in: "ABCDEFGHIJKLMNOP x", want: Command{"ABCDEFGHIJKLMNOP", "x"}},
		{name: "OK UTF-8 argument", in: "RETR \xc3\xa9t\xc3\xa9", want: Command{"RETR", "\xc3\xa9t\xc3\xa9"}},
		{name: "empty", in: "", wantErr: noVerb},
		{name: "leading space (tshark ndpi/ftp reply continuation)", in: " EPRT", wantErr: noVerb},
		{name: "starts with a digit", in: "227 Entering Passive Mode", wantErr: noVerb},
		{name: "non-ASCII first byte (nDPI fuzz capture)", in: "\x9eSER anonymous", wantErr: noVerb},
		{name: "seventeen letters", in: "ABCDEFGHIJKLMNOPQ x", wantErr: "command: verb too long"},
		{name: "over-long verb (zeek fake-long-commands)", in: "TYPE" + strings.Repeat("E", 96), wantErr: "command: verb too long"},
		{name: "tab after verb", in: "USER\tanonymous", wantErr: noSpace},
		{name: "OK CR right after verb", in: "QUIT\r", want: Command{"QUIT", ""}},
		{name: "OK CR LF right after a space", in: "NOOP \r\n", want: Command{"NOOP", ""}},
		{name: "only CR LF", in: "\r\n", wantErr: noVerb},
		{name: "punctuation in verb", in: "US-ER a", wantErr: noSpace},
		{name: "base64 fragment (zeek globus-url-copy split ADAT)", in: "KTN80xV5TqoZSTtcHsHEMrXJlIFQN0W7ue1z9GE2C8BJR7gLHj+Ppi", wantErr: "command: verb too long"},
		{name: "base64 fragment with early +", in: "KTN80x+abc", wantErr: noSpace},
		{name: "IAC not cleaned", in: "\xff\xf4ABOR", wantErr: noVerb},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCommand([]byte(tt.in))
			if tt.wantErr != "" {
				checkProtocolError(t, err, tt.wantErr, tt.in)
				if got != (Command{}) {
					t.Errorf("got %+v with the error, want the zero Command", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("in %q:\n- want: %+q\n-  got: %+q, %v", tt.in, tt.want, got, err)
			}
		})
	}
}

// TestParseCommandPipelined feeds reassembled client streams through the
// caller's path (split at LF, CleanLine, ParseCommand): several commands in
// one segment, as pipelining clients and the delayed replies of
// zeek/fake-server-delays-all produce.
func TestParseCommandPipelined(t *testing.T) {
	tests := []struct {
		name   string
		stream string
		want   []Command
		rest   string
	}{
		{
			name:   "three commands in one segment",
			stream: "USER anonymous\r\nPASS a b\r\nPASV\r\n",
			want:   []Command{{"USER", "anonymous"}, {"PASS", "a b"}, {"PASV", ""}},
		},
		{
			name:   "bare LF and CRLF mixed",
			stream: "TYPE I\nPORT 10,0,0,1,4,1\r\nRETR x\n",
			want:   []Command{{"TYPE", "I"}, {"PORT", "10,0,0,1,4,1"}, {"RETR", "x"}},
		},
		{
			name:   "ABOR with Telnet IP and Synch between commands",
			stream: "RETR big\r\n\xff\xf4\xff\xf2ABOR\r\nQUIT\r\n",
			want:   []Command{{"RETR", "big"}, {"ABOR", ""}, {"QUIT", ""}},
		},
		{
			name:   "incomplete last command",
			stream: "NOOP\r\nSTOR fi",
			want:   []Command{{"NOOP", ""}},
			rest:   "STOR fi",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, rest := splitLines([]byte(tt.stream))
			var got []Command
			var buf []byte
			for _, l := range lines {
				buf = CleanLine(buf[:0], l)
				c, err := ParseCommand(buf)
				if err != nil {
					t.Fatalf("line %q: %v", l, err)
				}
				got = append(got, c)
			}
			if len(got) != len(tt.want) || string(rest) != tt.rest {
				t.Fatalf("- want: %+q rest %q\n-  got: %+q rest %q", tt.want, tt.rest, got, rest)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("command %d:\n- want: %+q\n-  got: %+q", i, tt.want[i], got[i])
				}
			}
		})
	}
}

func TestParseCommandAllocs(t *testing.T) {
	tests := []struct {
		name string
		line string
		max  float64
	}{
		{"known verb alone", "PASV", 0},
		{"known verb lower case with argument", "retr file.txt", 1},
		{"unknown verb with argument", "FROB x", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := []byte(tt.line)
			if n := testing.AllocsPerRun(100, func() { _, _ = ParseCommand(line) }); n > tt.max {
				t.Errorf("- want: at most %v allocations\n-  got: %v", tt.max, n)
			}
		})
	}
}
