package ftp

import (
	"bytes"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// Real lines from the shared corpus (file and frame in the comment), used
// as fuzz seeds. The corpus tests read the full set; these are hard-coded so
// that fuzzing works without it.
var (
	seedCommands = []string{
		"USER anonymous",                 // zeek/ipv4 6
		"PASS anonymous@zeek.org",        // zeek/fake-long-commands
		"PORT 172,23,0,3,139,43",         // suricata-verify/ftp/ftp-upload-active 13
		"PORT 2,2,2,3,0,80",              // suricata-verify/ftp/ftp-bounce 27
		"PORT 114,115",                   // zeek/fake-long-commands 32
		"PORT 1234",                      // suricata-verify/ftp-port-memcap 11
		"EPRT |2|fd00:10:16:1::3|40467|", // suricata-verify/firewall/...-117 144
		"EPRT |2|2601:191:8500:2e00:7c0f:78e0:dc5b:f7c1|34325|", // detect-ftp/ftp-active-dynamic_port-02 14
		"EPSV",            // zeek/retr
		"RETR robots.txt", // zeek/fake-long-commands
		"ENC FwMBACA6vBpcxn7UHCCrnx8c4Wc7O9stiQWObtgKKdyWeqD1qQ==", // zeek/globus-url-copy
		"\x9eSER anonymous",           // ndpi/fuzz-2006-06-26-2594 48
		"TYPEEEEEEEEEEEEEEEEEEEEEEEE", // zeek/fake-long-commands 18 (cut)
		"RETR Site%s\x00t.xml",        // ndpi/fuzz-2006-06-26-2594 82
		"AUTH TLS",                    // zeek/ftp-auth-tls
	}
	seedReplies = []string{
		"220 ftp.NetBSD.org FTP server (NetBSD-ftpd 20100320) ready.",   // zeek/ipv4 4
		"227 Entering Passive Mode (199,233,217,249,221,90)",            // zeek/ipv4
		"227 Entering Passive Mode (127,0,0,1,185,13).",                 // suricata-verify/filestore-ftp-passive-mode 23
		"227 Entering passive mode (172,23,0,2,82,16).",                 // suricata-verify/firewall/...-116 14
		"227 Response to PASV command",                                  // zeek/fake-long-commands 24
		"227 Fake response PASV",                                        // zeek/fake-server-delays-all 30
		"229 Entering Extended Passive Mode (|||58612|)",                // suricata-verify/ftp-epsv 29
		"229 Entering extended passive mode (|||21008|).",               // suricata-verify/firewall/...-117 14
		"229 Extended Passive mode OK (|||63988|)",                      // zeek/bigtransfer 20
		"220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------", // zeek/bigtransfer 4
		"211-Extensions supported:",                                     // zeek/bigtransfer 14
		" MLST type*;size*;sizd*;modify*;UNIX.mode*;UNIX.uid*;UNIX.gid*;unique*;",
		"211 End.",
		"230- Welcome to Ubuntu 11.04 (GNU/Linux 2.6.38-8-generic i686)", // zeek/var-services-std-ports 188
		"99 PASV invalid",                             // zeek/ftp-invalid-reply-code 16
		"230_no_space",                                // zeek/ftp-missing-space-after-reply-code 16
		"SSH-2.0-mod_sftp/0.9.7",                      // zeek/ipv6-violation 12
		"632-FwMBAFCMQDfFqB97Hjq/SngBMfAnn6",          // zeek/globus-url-copy
		"230 Guest access granted for anonymou%s\x00", // ndpi/fuzz-2006-06-26-2594 77
	}
)

func FuzzParsePORT(f *testing.F) {
	for _, s := range []string{"172,23,0,3,139,43", "2,2,2,3,0,80", "192,168,100,16,225,229", "114,115", "1234",
		"1234123412341234123412341234123412341234123412341234123412341234", " 10 , 0 ,0, 1,4 ,1 ", "10,0,0,1,4,300", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		ap, err := ParsePORT(arg)
		if err != nil {
			checkFuzzError(t, err, arg)
			return
		}
		if !ap.Addr().Is4() {
			t.Fatalf("ParsePORT(%q) = %v: not IPv4", arg, ap)
		}
		line := FormatPORT(ap)
		if back, err := ParsePORT(line); err != nil || back != ap {
			t.Fatalf("ParsePORT(%q) = %v; FormatPORT gives %q, which parses to %v, %v", arg, ap, line, back, err)
		}
		// A valid PORT argument is also a valid 227 text (the scan starts
		// at its first digit run), with the same result.
		if p227, err := Parse227(arg); err != nil || p227 != ap {
			t.Fatalf("ParsePORT(%q) = %v but Parse227 = %v, %v", arg, ap, p227, err)
		}
	})
}

func FuzzParseEPRT(f *testing.F) {
	for _, s := range []string{"|2|fd00:10:16:1::3|40467|", "|2|2601:191:8500:2e00:7c0f:78e0:dc5b:f7c1|34325|",
		"|1|132.235.1.2|6275|", "a1a10.0.0.1a1025a", ".2.::1.21.", "|3|1.2.3.4|5|", "|2|fe80::1%eth0|21|", "|1|1.2.3.4|65536|"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		ap, err := ParseEPRT(arg)
		if err != nil {
			checkFuzzError(t, err, arg)
			return
		}
		if !ap.IsValid() || ap.Addr().Zone() != "" {
			t.Fatalf("ParseEPRT(%q) = %v: invalid or zoned", arg, ap)
		}
		line := FormatEPRT(ap)
		if back, err := ParseEPRT(line); err != nil || back != ap {
			t.Fatalf("ParseEPRT(%q) = %v; FormatEPRT gives %q, which parses to %v, %v", arg, ap, line, back, err)
		}
	})
}

func FuzzParseLPRT(f *testing.F) {
	for _, s := range []string{"4,4,10,0,0,1,2,4,1", "6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,0,21",
		" 4, 4 ,10,0,0,1 , 2,4,1 ", "4,4,10,0,0,1,3,0,4,1", "6,4,1,2,3,4,2,0,0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		ap, err := ParseLPRT(arg)
		if err != nil {
			checkFuzzError(t, err, arg)
			return
		}
		line := FormatLPRT(ap)
		if back, err := ParseLPRT(line); err != nil || back != ap {
			t.Fatalf("ParseLPRT(%q) = %v; FormatLPRT gives %q, which parses to %v, %v", arg, ap, line, back, err)
		}
		// Parse228 finds the same address in a reply text.
		if p228, err := Parse228("Entering Long Passive Mode (" + arg + ")"); err != nil || p228 != ap {
			t.Fatalf("ParseLPRT(%q) = %v but Parse228 = %v, %v", arg, ap, p228, err)
		}
	})
}

func FuzzParse227(f *testing.F) {
	for _, s := range seedReplies {
		if strings.HasPrefix(s, "227 ") {
			f.Add(s[4:], byte(10), byte(0), byte(0), byte(1), uint16(1025))
		}
	}
	for _, s := range []string{"=10,0,0,1,4,1", "Entering Passive Mode 1 (see RFC 1123) (10, 0, 0, 1, 4, 1)",
		"Entering Passive Mode (10.0.0.1.4.1)", "Logout.", "1,2,3,4,5 (6", "(10,0,0,1,4,300)"} {
		f.Add(s, byte(192), byte(168), byte(1), byte(2), uint16(0))
	}
	f.Fuzz(func(t *testing.T, text string, h1, h2, h3, h4 byte, port uint16) {
		got, err := Parse227(text)
		if err != nil {
			checkFuzzError(t, err, text)
		} else if !got.Addr().Is4() {
			t.Fatalf("Parse227(%q) = %v: not IPv4", text, got)
		}
		ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte{h1, h2, h3, h4}), port)
		reply := "Entering Passive Mode (" + FormatPORT(ap) + ")"
		if back, err := Parse227(reply); err != nil || back != ap {
			t.Fatalf("Parse227(%q) = %v, %v; want %v", reply, back, err, ap)
		}
		// Text before the address does not hide it, unless that text holds
		// an address of its own.
		var pe *ProtocolError
		if errors.As(err, &pe) && pe.What == "227: no h1,h2,h3,h4,p1,p2 address" {
			reply = text + " (" + FormatPORT(ap) + ")."
			if back, err := Parse227(reply); err != nil || back != ap {
				t.Fatalf("Parse227(%q) = %v, %v; want %v", reply, back, err, ap)
			}
		}
	})
}

func FuzzParse229(f *testing.F) {
	for _, s := range seedReplies {
		if strings.HasPrefix(s, "229 ") {
			f.Add(s[4:], uint16(58612))
		}
	}
	for _, s := range []string{"Entering (extended) Passive Mode (!!!6446!)", "(|2|::1|6446|)", "(aaa1a)", "(|||", "((||", "(|||65536|)"} {
		f.Add(s, uint16(0))
	}
	f.Fuzz(func(t *testing.T, text string, port uint16) {
		_, err := Parse229(text)
		if err != nil {
			checkFuzzError(t, err, text)
		}
		var pe *ProtocolError
		if errors.As(err, &pe) && pe.What == "229: no (<d><d><d>port<d>)" {
			reply := text + "(|||" + strconv.Itoa(int(port)) + "|)"
			if got, err := Parse229(reply); err != nil || got != port {
				t.Fatalf("Parse229(%q) = %v, %v; want %d", reply, got, err, port)
			}
		}
	})
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range seedCommands {
		f.Add([]byte(s))
	}
	f.Add([]byte("pass  two  spaces \r\n"))
	f.Fuzz(func(t *testing.T, line []byte) {
		c, err := ParseCommand(line)
		// The string form says the same, error or not.
		if cs, errs := ParseCommandString(string(line)); cs != c || (err == nil) != (errs == nil) || err != nil && err.Error() != errs.Error() {
			t.Fatalf("ParseCommandString(%q) = %q, %v; ParseCommand: %q, %v", line, cs, errs, c, err)
		}
		if err != nil {
			checkFuzzError(t, err, string(line))
			return
		}
		if n := len(c.Verb); n == 0 || n > MaxVerbLength || !isLetter(c.Verb[0]) {
			t.Fatalf("ParseCommand(%q): bad verb %q", line, c.Verb)
		}
		for i := 0; i < len(c.Verb); i++ {
			if ch := c.Verb[i]; !('A' <= ch && ch <= 'Z' || i > 0 && isDigit(ch)) {
				t.Fatalf("ParseCommand(%q): verb %q is not upper-case letters and digits", line, c.Verb)
			}
		}
		if !bytes.EqualFold(line[:len(c.Verb)], []byte(c.Verb)) {
			t.Fatalf("ParseCommand(%q): verb %q is not the line's start", line, c.Verb)
		}
		if strings.HasSuffix(c.Arg, "\r") || strings.HasSuffix(c.Arg, "\n") {
			t.Fatalf("ParseCommand(%q): Arg %q ends with CR or LF", line, c.Arg)
		}
		again, err := ParseCommand([]byte(c.Verb + " " + c.Arg))
		if err != nil || again != c {
			t.Fatalf("ParseCommand(%q) = %+q, but its re-formatted line parses to %+q, %v", line, c, again, err)
		}
	})
}

func FuzzReplyReader(f *testing.F) {
	f.Add([]byte(strings.Join(seedReplies, "\n")))
	f.Add([]byte("123-First line\nSecond line\n  234 A line beginning with numbers\n123 The last line\n"))
	f.Add([]byte("230-Welcome\n226 Transfer complete\n230 ok\n"))
	f.Add([]byte("211-x" + strings.Repeat("\n", MaxReplyLines+5) + "211 End"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Split(data, []byte("\n"))
		var rr ReplyReader
		var out []string // lines returned in replies or refused
		check := func(r Reply, forced bool) {
			t.Helper()
			if n := len(r.Lines); n == 0 || n > MaxReplyLines {
				t.Fatalf("reply with %d lines", n)
			}
			if forced && !r.Forced {
				t.Fatalf("Flush returned a reply not marked Forced")
			}
			first := r.Lines[0]
			if !hasCode(first, r.Code) {
				t.Fatalf("reply %d: first line %q does not carry the code", r.Code, first)
			}
			last := r.Lines[len(r.Lines)-1]
			closed := len(last) == 3 || len(last) > 3 && last[3] == ' '
			switch {
			case len(r.Lines) == 1 && !r.Forced && !closed:
				t.Fatalf("single-line reply %q does not end with space or line end", first)
			case len(r.Lines) > 1 && !r.Forced && !(hasCode(last, r.Code) && closed):
				t.Fatalf("multi-line reply %d closed by %q", r.Code, last)
			case r.Forced && len(r.Lines) < MaxReplyLines && !forced:
				t.Fatalf("reply forced early, with %d lines", len(r.Lines))
			}
			out = append(out, r.Lines...)
		}
		for _, l := range lines {
			r, done, err := rr.Feed(l)
			switch {
			case err != nil:
				var pe *ProtocolError
				if !errors.As(err, &pe) || pe.Input != string(l) || done {
					t.Fatalf("Feed(%q): done=%v err %T %v", l, done, err, err)
				}
				out = append(out, string(l))
			case done:
				check(r, false)
			}
			if len(rr.lines) >= MaxReplyLines {
				t.Fatalf("reader holds %d lines, limit %d", len(rr.lines), MaxReplyLines)
			}
		}
		if r, ok := rr.Flush(); ok {
			check(r, true)
		}
		if rr.Pending() {
			t.Fatalf("Pending after Flush")
		}
		// Every line comes back exactly once, in order.
		if len(out) != len(lines) {
			t.Fatalf("%d lines in, %d out", len(lines), len(out))
		}
		for i := range out {
			if out[i] != string(lines[i]) {
				t.Fatalf("line %d: in %q, out %q", i, lines[i], out[i])
			}
		}
	})
}

func FuzzCleanLine(f *testing.F) {
	for _, s := range append(append([]string{}, seedCommands...), seedReplies...) {
		f.Add([]byte(s + "\r"))
	}
	f.Add([]byte("\xff\xf4\xff\xf2ABOR\r"))
	f.Add([]byte("NO\xff\xfa\x18\x00xterm\xff\xf0OP\xff\xfb\x01\xff\xff\r\x00"))
	f.Fuzz(func(t *testing.T, line []byte) {
		got := CleanLine(nil, line)
		if want := cleanLineModel(line); !bytes.Equal(got, want) {
			t.Fatalf("CleanLine(%q):\n- want (model): %q\n-  got: %q", line, want, got)
		}
		if bytes.ContainsAny(got, "\r\n") {
			t.Fatalf("CleanLine(%q) = %q: contains CR or LF", line, got)
		}
		if len(got) > len(line) {
			t.Fatalf("CleanLine(%q) = %q: longer than its input", line, got)
		}
		// Every 0xFF left is data: escaped again as IAC IAC it cleans to
		// itself, and no Telnet command remains.
		escaped := bytes.ReplaceAll(got, []byte{telnetIAC}, []byte{telnetIAC, telnetIAC})
		if again := CleanLine(nil, escaped); !bytes.Equal(again, got) {
			t.Fatalf("CleanLine(%q) = %q, which re-escaped cleans to %q", line, got, again)
		}
		if !bytes.ContainsAny(line, "\r\n\xff") && !bytes.Equal(got, line) {
			t.Fatalf("CleanLine(%q) = %q: changed a line without CR, LF or IAC", line, got)
		}
		prefix := []byte("p:")
		if app := CleanLine(prefix, line); string(app) != "p:"+string(got) {
			t.Fatalf("CleanLine with dst %q = %q, want %q", prefix, app, "p:"+string(got))
		}
	})
}

// cleanLineModel is an independent model of CleanLine, written as the
// state machine of RFC 854's NVT rather than a byte loop with look-ahead.
func cleanLineModel(line []byte) []byte {
	const (
		data = iota
		cr   // after CR
		iac  // after IAC
		opt  // after IAC WILL/WONT/DO/DONT
		sb   // inside a subnegotiation
		sbIAC
	)
	var out []byte
	st := data
	for _, c := range line {
		if st == cr {
			st = data
			if c == 0 {
				continue
			}
		}
		switch st {
		case data:
			switch c {
			case telnetIAC:
				st = iac
			case '\r':
				st = cr
			case '\n':
			default:
				out = append(out, c)
			}
		case iac:
			switch c {
			case telnetIAC:
				out = append(out, c)
				st = data
			case telnetWILL, telnetWONT, telnetDO, telnetDONT:
				st = opt
			case telnetSB:
				st = sb
			default:
				st = data
			}
		case opt:
			st = data
		case sb:
			if c == telnetIAC {
				st = sbIAC
			}
		case sbIAC:
			st = sb
			if c == telnetSE {
				st = data
			}
		}
	}
	return out
}

// checkFuzzError checks that a parser error is a *ProtocolError naming the
// whole input.
func checkFuzzError(t *testing.T, err error, input string) {
	t.Helper()
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Input != input || pe.What == "" {
		t.Fatalf("input %q: want *ProtocolError with the input, got %T %v", input, err, err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "ftp: "+pe.What+": ") {
		t.Fatalf("input %q: Error() = %q", input, msg)
	}
}
