package ftp

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestParseReplyLine(t *testing.T) {
	const noCode = "reply: line does not start with a three-digit code"
	const noSep = "reply: code not followed by a space or a hyphen"
	const badCode = "reply: code out of range"
	tests := []struct {
		name    string
		in      string
		want    ReplyLine
		wantErr string
	}{
		{name: "OK single line", in: "220 ftp.NetBSD.org FTP server ready.", want: ReplyLine{220, ' ', "ftp.NetBSD.org FTP server ready."}},
		{name: "OK opening line", in: "230-Welcome To ECI FTP Server", want: ReplyLine{230, '-', "Welcome To ECI FTP Server"}},
		{name: "OK code and space only", in: "226 ", want: ReplyLine{226, ' ', ""}},
		{name: "OK code and hyphen only", in: "211-", want: ReplyLine{211, '-', ""}},
		{name: "OK code alone", in: "200", want: ReplyLine{200, 0, ""}},
		{name: "OK hyphen run (Pure-FTPd banner)", in: "220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------", want: ReplyLine{220, '-', "--------- Welcome to Pure-FTPd [privsep] [TLS] ----------"}},
		{name: "OK text kept with trailing spaces", in: "220 ProFTPD Server In ECI Telecom (ftp.ecitele.com) ", want: ReplyLine{220, ' ', "ProFTPD Server In ECI Telecom (ftp.ecitele.com) "}},
		{name: "OK 1yz", in: "150 Accepted data connection", want: ReplyLine{150, ' ', "Accepted data connection"}},
		{name: "OK 5yz", in: "550 SiteStat.xml: No such file or directory", want: ReplyLine{550, ' ', "SiteStat.xml: No such file or directory"}},
		{name: "OK RFC 2228 632 (zeek globus-url-copy)", in: "632 FwMBADBpVC0RQJ053hntHBB8CvlTravWpvn4j+C6ZCcppyeG8NDpC/vN7JjWHlM1ggLySaM=", want: ReplyLine{632, ' ', "FwMBADBpVC0RQJ053hntHBB8CvlTravWpvn4j+C6ZCcppyeG8NDpC/vN7JjWHlM1ggLySaM="}},
		{name: "two digits (zeek ftp-invalid-reply-code)", in: "99 PASV invalid", wantErr: noCode},
		{name: "two digits then space", in: "22 ok", wantErr: noCode},
		{name: "four digits", in: "2200 x", wantErr: noSep},
		{name: "letters", in: "abc", wantErr: noCode},
		{name: "no code (zeek ftp-missing-reply-code)", in: "SYST not supported", wantErr: noCode},
		{name: "underscore after code (zeek ftp-missing-space-after-reply-code)", in: "230_no_space", wantErr: noSep},
		{name: "tab after code", in: "220\tx", wantErr: noSep},
		{name: "code 0yz", in: "099 x", wantErr: badCode},
		{name: "code 7yz", in: "700 x", wantErr: badCode},
		{name: "empty", in: "", wantErr: noCode},
		{name: "space-led continuation", in: " EPRT", wantErr: noCode},
		{name: "SSH banner (zeek ipv6-violation)", in: "SSH-2.0-mod_sftp/0.9.7", wantErr: noCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseReplyLine([]byte(tt.in))
			if tt.wantErr != "" {
				checkProtocolError(t, err, tt.wantErr, tt.in)
				if got != (ReplyLine{}) {
					t.Errorf("got %+v with the error, want the zero ReplyLine", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("in %q:\n- want: %#v\n-  got: %#v, %v", tt.in, tt.want, got, err)
			}
		})
	}
}

// readerEvent is what one Feed call is expected to return: nothing (more
// lines needed), a reply, or a *ProtocolError with this What.
type readerEvent struct {
	code   int
	lines  []string
	forced bool
	err    string
}

func (e readerEvent) String() string {
	switch {
	case e.err != "":
		return "error " + e.err
	case e.code == 0:
		return "pending"
	}
	return fmt.Sprintf("reply %d forced=%v %q", e.code, e.forced, e.lines)
}

// feedAll feeds lines to rr and records one readerEvent per line.
func feedAll(rr *ReplyReader, lines []string) []readerEvent {
	var got []readerEvent
	for _, l := range lines {
		r, done, err := rr.Feed([]byte(l))
		var pe *ProtocolError
		switch {
		case errors.As(err, &pe):
			got = append(got, readerEvent{err: pe.What})
		case err != nil:
			got = append(got, readerEvent{err: "unexpected error type: " + err.Error()})
		case done:
			got = append(got, readerEvent{code: r.Code, lines: r.Lines, forced: r.Forced})
		default:
			got = append(got, readerEvent{})
		}
	}
	return got
}

func TestReplyReader(t *testing.T) {
	pending := readerEvent{}
	reply := func(code int, lines ...string) readerEvent { return readerEvent{code: code, lines: lines} }
	garbage := readerEvent{err: "reply: line does not start with a three-digit code"}
	tests := []struct {
		name        string
		in          []string
		want        []readerEvent
		wantPending bool
	}{
		{
			name: "single-line replies",
			in:   []string{"220 ready", "331 Password required", "230"},
			want: []readerEvent{reply(220, "220 ready"), reply(331, "331 Password required"), reply(230, "230")},
		},
		{
			name: "RFC 959 section 4.2 example with a line starting with digits",
			in:   []string{"123-First line", "Second line", "  234 A line beginning with numbers", "123 The last line"},
			want: []readerEvent{pending, pending, pending, reply(123, "123-First line", "Second line", "  234 A line beginning with numbers", "123 The last line")},
		},
		{
			name: "FEAT 211- with space-led lines (zeek bigtransfer)",
			in:   []string{"211-Extensions supported:", " EPRT", " MLST type*;size*;modify*;", " AUTH TLS", "211 End."},
			want: []readerEvent{pending, pending, pending, pending, reply(211, "211-Extensions supported:", " EPRT", " MLST type*;size*;modify*;", " AUTH TLS", "211 End.")},
		},
		{
			name: "220- block with a continuation line 123 foo",
			in:   []string{"220-Welcome", "123 foo", "220-more", "220 ready"},
			want: []readerEvent{pending, pending, pending, reply(220, "220-Welcome", "123 foo", "220-more", "220 ready")},
		},
		{
			name: "every line carrying NNN- (zeek var-services-std-ports)",
			in:   []string{"230- Welcome to Ubuntu 11.04", "230- ", "230-  * Documentation:  https://help.ubuntu.com/", "230- ", "230 User jsiwek logged in."},
			want: []readerEvent{pending, pending, pending, pending, reply(230, "230- Welcome to Ubuntu 11.04", "230- ", "230-  * Documentation:  https://help.ubuntu.com/", "230- ", "230 User jsiwek logged in.")},
		},
		{
			name: "other code with hyphen inside, 211- nested is not a new reply",
			in:   []string{"250-Listing", "211-not nested", "211 still text", "250 End"},
			want: []readerEvent{pending, pending, pending, reply(250, "250-Listing", "211-not nested", "211 still text", "250 End")},
		},
		{
			name: "end line is the code alone",
			in:   []string{"211-Status", " x", "211"},
			want: []readerEvent{pending, pending, reply(211, "211-Status", " x", "211")},
		},
		{
			name: "same code without separator does not end it",
			in:   []string{"211-Status", "2110 x", "211x", "211 End"},
			want: []readerEvent{pending, pending, pending, reply(211, "211-Status", "2110 x", "211x", "211 End")},
		},
		{
			name: "empty continuation lines",
			in:   []string{"220-Hello", "", "220 ready"},
			want: []readerEvent{pending, pending, reply(220, "220-Hello", "", "220 ready")},
		},
		{
			name: "garbage between replies resynchronises (zeek ipv6-violation)",
			in:   []string{"331 Anonymous login ok", "SSH-2.0-mod_sftp/0.9.7", "\x00\x00\x00D\x08\x01", "530 Sorry, only 3 connections per host!"},
			want: []readerEvent{reply(331, "331 Anonymous login ok"), garbage, garbage, reply(530, "530 Sorry, only 3 connections per host!")},
		},
		{
			name: "invalid code, then valid reply (zeek ftp-invalid-reply-code)",
			in:   []string{"230 PASS OK", "99 PASV invalid", "221 Bye"},
			want: []readerEvent{reply(230, "230 PASS OK"), garbage, reply(221, "221 Bye")},
		},
		{
			name: "missing space after code (zeek ftp-missing-space-after-reply-code)",
			in:   []string{"230_no_space", "221 Bye"},
			want: []readerEvent{{err: "reply: code not followed by a space or a hyphen"}, reply(221, "221 Bye")},
		},
		{
			name: "garbage inside a multi-line reply is text",
			in:   []string{"230-Welcome", "SSH-2.0-x", "\x00\x01", "230 ok"},
			want: []readerEvent{pending, pending, pending, reply(230, "230-Welcome", "SSH-2.0-x", "\x00\x01", "230 ok")},
		},
		{
			name: "230- closed by 226 stays open (Zeek main.zeek quirk, no guessing)",
			in:   []string{"230-Welcome", "226 Transfer complete", "200 Type set"},
			want: []readerEvent{pending, pending, pending},

			wantPending: true,
		},
		{
			name: "back to back multi-line replies",
			in:   []string{"226-Options: -a -l ", "226 4 matches total", "211-x", "211 y"},
			want: []readerEvent{pending, reply(226, "226-Options: -a -l ", "226 4 matches total"), pending, reply(211, "211-x", "211 y")},
		},
		{
			name: "RFC 2228 632- protected multi-line reply (zeek globus-url-copy)",
			in:   []string{"632-FwMBAFCMQDfF", "632-FwMBAGD3wyoe", "632 FwMBACB7b1QL"},
			want: []readerEvent{pending, pending, reply(632, "632-FwMBAFCMQDfF", "632-FwMBAGD3wyoe", "632 FwMBACB7b1QL")},
		},
		{
			name:        "open at the end",
			in:          []string{"220-Welcome", "more"},
			want:        []readerEvent{pending, pending},
			wantPending: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rr ReplyReader
			got := feedAll(&rr, tt.in)
			if !slices.EqualFunc(got, tt.want, func(a, b readerEvent) bool {
				return a.code == b.code && a.forced == b.forced && a.err == b.err && slices.Equal(a.lines, b.lines)
			}) {
				t.Errorf("in %q:\n- want: %v\n-  got: %v", tt.in, tt.want, got)
			}
			if rr.Pending() != tt.wantPending {
				t.Errorf("Pending:\n- want: %v\n-  got: %v", tt.wantPending, rr.Pending())
			}
		})
	}
}

func TestReplyReaderFlush(t *testing.T) {
	var rr ReplyReader
	if r, ok := rr.Flush(); ok {
		t.Fatalf("Flush of an idle reader:\n- want: false\n-  got: %+v, true", r)
	}
	feedAll(&rr, []string{"230-Welcome", "226 Transfer complete"})
	r, ok := rr.Flush()
	want := []string{"230-Welcome", "226 Transfer complete"}
	if !ok || r.Code != 230 || !r.Forced || !slices.Equal(r.Lines, want) {
		t.Errorf("Flush:\n- want: 230 forced %q\n-  got: %d forced=%v %q ok=%v", want, r.Code, r.Forced, r.Lines, ok)
	}
	if rr.Pending() {
		t.Errorf("Pending after Flush: want false")
	}
	// The reader starts afresh: a single line is a reply again.
	if r, done, err := rr.Feed([]byte("221 Bye")); !done || err != nil || r.Code != 221 || r.Forced {
		t.Errorf("Feed after Flush:\n- want: 221 done\n-  got: %+v done=%v err=%v", r, done, err)
	}
}

func TestReplyReaderMaxLines(t *testing.T) {
	var rr ReplyReader
	lines := []string{"211-Opened"}
	for len(lines) < MaxReplyLines {
		lines = append(lines, fmt.Sprintf(" line %d", len(lines)))
	}
	// The reply is closed by force at its MaxReplyLines-th line; after it,
	// a space-led line is garbage again and "211 End" a reply of its own.
	lines = append(lines, " line after", "211 End")
	got := feedAll(&rr, lines)
	for i, e := range got[:MaxReplyLines-1] {
		if e.code != 0 || e.err != "" {
			t.Fatalf("line %d %q:\n- want: pending\n-  got: %v", i, lines[i], e)
		}
	}
	if e := got[MaxReplyLines-1]; e.code != 211 || !e.forced || !slices.Equal(e.lines, lines[:MaxReplyLines]) {
		t.Errorf("line %d:\n- want: 211 forced with %d lines\n-  got: %d forced=%v with %d lines", MaxReplyLines-1, MaxReplyLines, e.code, e.forced, len(e.lines))
	}
	want := []readerEvent{{err: "reply: line does not start with a three-digit code"}, {code: 211, lines: []string{"211 End"}}}
	if tail := got[MaxReplyLines:]; len(tail) != 2 || tail[0].err != want[0].err || tail[1].code != 211 || tail[1].forced || !slices.Equal(tail[1].lines, want[1].lines) {
		t.Errorf("after the forced reply:\n- want: %v\n-  got: %v", want, tail)
	}
	if rr.Pending() {
		t.Errorf("Pending: want false")
	}
}

func TestReplyReaderEndOnLastAllowedLine(t *testing.T) {
	var rr ReplyReader
	lines := []string{"211-Opened"}
	for len(lines) < MaxReplyLines-1 {
		lines = append(lines, " x")
	}
	lines = append(lines, "211 End")
	got := feedAll(&rr, lines)
	last := got[len(got)-1]
	if last.code != 211 || last.forced || len(last.lines) != MaxReplyLines {
		t.Errorf("- want: 211 closed by its end line with %d lines\n-  got: %v lines=%d", MaxReplyLines, last.forced, len(last.lines))
	}
}

func TestReplyText(t *testing.T) {
	tests := []struct {
		name    string
		r       Reply
		text    string
		message string
		err     string
	}{
		{name: "single line", r: Reply{Code: 227, Lines: []string{"227 Entering Passive Mode (1,2,3,4,5,6)."}},
			text: "Entering Passive Mode (1,2,3,4,5,6).", message: "Entering Passive Mode (1,2,3,4,5,6)."},
		{name: "code alone", r: Reply{Code: 200, Lines: []string{"200"}}, text: "", message: ""},
		{name: "multi-line: Text is the first line only", r: Reply{Code: 230, Lines: []string{"230-Welcome", " to x", "230-Be nice", "230 Login ok"}},
			text: "Welcome", message: "Welcome\n to x\nBe nice\nLogin ok"},
		{name: "multi-line with other codes kept whole", r: Reply{Code: 220, Lines: []string{"220-Hi", "123 foo", "220"}},
			text: "Hi", message: "Hi\n123 foo\n"},
		{name: "refusal", r: Reply{Code: 550, Lines: []string{"550 No such file."}},
			text: "No such file.", message: "No such file.", err: "550 No such file."},
		{name: "multi-line refusal", r: Reply{Code: 530, Lines: []string{"530-Login incorrect.", "530 Bye"}},
			text: "Login incorrect.", message: "Login incorrect.\nBye", err: "530 Login incorrect.\nBye"},
		{name: "4yz refusal", r: Reply{Code: 425, Lines: []string{"425 Can't open data connection."}},
			text: "Can't open data connection.", message: "Can't open data connection.", err: "425 Can't open data connection."},
		{name: "1yz is no error", r: Reply{Code: 150, Lines: []string{"150 Opening"}}, text: "Opening", message: "Opening"},
		{name: "6yz is no error", r: Reply{Code: 632, Lines: []string{"632 abc"}}, text: "abc", message: "abc"},
		{name: "zero Reply", r: Reply{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Text(); got != tt.text {
				t.Errorf("Text:\n- want: %q\n-  got: %q", tt.text, got)
			}
			if got := tt.r.Message(); got != tt.message {
				t.Errorf("Message:\n- want: %q\n-  got: %q", tt.message, got)
			}
			err := tt.r.Err()
			if tt.err == "" {
				if err != nil {
					t.Errorf("Err:\n- want: nil\n-  got: %v", err)
				}
				return
			}
			var re *ReplyError
			if !errors.As(err, &re) || re.Code != tt.r.Code || err.Error() != tt.err {
				t.Errorf("Err:\n- want: *ReplyError %q\n-  got: %T %v", tt.err, err, err)
			}
		})
	}
}

func TestErrorStrings(t *testing.T) {
	long := strings.Repeat("A", 100)
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"ProtocolError short", &ProtocolError{What: "227: no h1,h2,h3,h4,p1,p2 address", Input: "Logout."},
			`ftp: 227: no h1,h2,h3,h4,p1,p2 address: "Logout."`},
		{"ProtocolError control bytes quoted", &ProtocolError{What: "reply: x", Input: "\x00\xff\t"},
			`ftp: reply: x: "\x00\xff\t"`},
		{"ProtocolError exactly 60 bytes", &ProtocolError{What: "w", Input: long[:60]},
			`ftp: w: "` + long[:60] + `"`},
		{"ProtocolError cut at 60 bytes", &ProtocolError{What: "w", Input: long},
			`ftp: w: "` + long[:60] + `"...`},
		{"ReplyError", &ReplyError{Code: 550, Text: "No such file."}, "550 No such file."},
		{"ReplyError pads the code", &ReplyError{Code: 5, Text: "x"}, "005 x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("- want: %s\n-  got: %s", tt.want, got)
			}
		})
	}
}

// FeedString reuses its array for the replies' lines: a one-line reply
// allocates nothing. Feed's replies stay the caller's own.
func TestFeedStringReusesLines(t *testing.T) {
	var rr ReplyReader
	rr.FeedString("200 warm up")
	if n := testing.AllocsPerRun(100, func() { rr.FeedString("226 Transfer complete") }); n != 0 {
		t.Errorf("a one-line reply costs %v allocations", n)
	}
	rr.Feed([]byte("211-first"))
	r1, _, _ := rr.Feed([]byte("211 end"))
	r2, _, _ := rr.Feed([]byte("200 next"))
	if len(r1.Lines) != 2 || r1.Lines[0] != "211-first" || r1.Lines[1] != "211 end" || r2.Lines[0] != "200 next" {
		t.Errorf("Feed's replies changed by a later Feed: %q, %q", r1.Lines, r2.Lines)
	}
}
