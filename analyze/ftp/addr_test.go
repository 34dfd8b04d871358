package ftp

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// addrCase is one row of the address-parser tables. wantErr, when set, is
// the What of the expected *ProtocolError.
type addrCase struct {
	name    string
	in      string
	want    string // netip.AddrPort text, "" when an error is expected
	wantErr string
}

// checkAddr runs one addrCase against parse.
func checkAddr(t *testing.T, tt addrCase, parse func(string) (netip.AddrPort, error)) {
	t.Helper()
	got, err := parse(tt.in)
	if tt.wantErr != "" {
		checkProtocolError(t, err, tt.wantErr, tt.in)
		if got.IsValid() {
			t.Errorf("in %q: got %v with the error, want the zero AddrPort", tt.in, got)
		}
		return
	}
	if err != nil {
		t.Fatalf("in %q:\n- want: %s\n-  got error: %v", tt.in, tt.want, err)
	}
	if want := netip.MustParseAddrPort(tt.want); got != want {
		t.Errorf("in %q:\n- want: %v\n-  got: %v", tt.in, want, got)
	}
}

// checkProtocolError checks that err is a *ProtocolError with the given What
// and the whole input.
func checkProtocolError(t *testing.T, err error, what, input string) {
	t.Helper()
	var pe *ProtocolError
	if !errors.As(err, &pe) {
		t.Fatalf("in %q:\n- want: *ProtocolError %q\n-  got: %T %v", input, what, err, err)
	}
	if pe.What != what || pe.Input != input {
		t.Errorf("in %q:\n- want: What %q, Input %q\n-  got: What %q, Input %q", input, what, input, pe.What, pe.Input)
	}
}

func TestParsePORT(t *testing.T) {
	const shape = "PORT: want six comma-separated numbers"
	tests := []addrCase{
		{name: "OK plain", in: "172,23,0,3,139,43", want: "172.23.0.3:35627"},
		{name: "OK port bytes 0,80", in: "2,2,2,3,0,80", want: "2.2.2.3:80"},
		{name: "OK all zero", in: "0,0,0,0,0,0", want: "0.0.0.0:0"},
		{name: "OK all 255", in: "255,255,255,255,255,255", want: "255.255.255.255:65535"},
		{name: "OK leading zeros", in: "010,000,000,001,004,001", want: "10.0.0.1:1025"},
		{name: "OK spaces around numbers", in: " 10 , 0 ,0, 1,4 ,1 ", want: "10.0.0.1:1025"},
		{name: "number above 255", in: "10,0,0,256,4,1", wantErr: "PORT: number out of range"},
		{name: "port byte above 255", in: "10,0,0,1,4,300", wantErr: "PORT: number out of range"},
		{name: "huge number does not overflow", in: "10,0,0,1,4,99999999999999999999999", wantErr: "PORT: number out of range"},
		{name: "five numbers", in: "10,0,0,1,4", wantErr: shape},
		{name: "seven numbers", in: "10,0,0,1,4,1,7", wantErr: "PORT: text after the sixth number"},
		{name: "two numbers (zeek fake-long-commands)", in: "114,115", wantErr: shape},
		{name: "one number (suricata ftp-port-memcap)", in: "1234", wantErr: shape},
		{name: "empty", in: "", wantErr: shape},
		{name: "negative", in: "10,0,0,1,-4,1", wantErr: shape},
		{name: "plus sign", in: "10,0,0,1,+4,1", wantErr: shape},
		{name: "empty number", in: "10,0,,1,4,1", wantErr: shape},
		{name: "dots", in: "10.0.0.1.4.1", wantErr: shape},
		{name: "parentheses", in: "(10,0,0,1,4,1)", wantErr: shape},
		{name: "tab is not a space", in: "10,\t0,0,1,4,1", wantErr: shape},
		{name: "trailing garbage", in: "10,0,0,1,4,1x", wantErr: "PORT: text after the sixth number"},
		{name: "trailing CR is garbage here", in: "10,0,0,1,4,1\r", wantErr: "PORT: text after the sixth number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkAddr(t, tt, ParsePORT) })
	}
}

func TestParseEPRT(t *testing.T) {
	const shape = "EPRT: want <d>af<d>address<d>port<d>"
	const delim = "EPRT: want a delimiter from '!' to '~', not a digit"
	tests := []addrCase{
		{name: "OK |1| IPv4", in: "|1|132.235.1.2|6275|", want: "132.235.1.2:6275"},
		{name: "OK |2| IPv6 (suricata firewall-117)", in: "|2|fd00:10:16:1::3|40467|", want: "[fd00:10:16:1::3]:40467"},
		{name: "OK |2| full IPv6", in: "|2|2601:191:8500:2e00:7c0f:78e0:dc5b:f7c1|34325|", want: "[2601:191:8500:2e00:7c0f:78e0:dc5b:f7c1]:34325"},
		{name: "OK |2| IPv4-mapped", in: "|2|::ffff:1.2.3.4|5|", want: "[::ffff:1.2.3.4]:5"},
		{name: "OK delimiter !", in: "!1!10.0.0.1!1025!", want: "10.0.0.1:1025"},
		{name: "OK delimiter a with IPv4", in: "a1a10.0.0.1a1025a", want: "10.0.0.1:1025"},
		{name: "OK delimiter . with IPv6", in: ".2.::1.21.", want: "[::1]:21"},
		{name: "OK delimiter : with IPv4", in: ":1:10.0.0.1:21:", want: "10.0.0.1:21"},
		{name: "OK port 0", in: "|1|10.0.0.1|0|", want: "10.0.0.1:0"},
		{name: "OK port 65535", in: "|1|10.0.0.1|65535|", want: "10.0.0.1:65535"},
		{name: "OK spaces around", in: "  |1|10.0.0.1|21|  ", want: "10.0.0.1:21"},
		{name: "bad af 3", in: "|3|10.0.0.1|21|", wantErr: "EPRT: address family is not 1 or 2"},
		{name: "bad af 01", in: "|01|10.0.0.1|21|", wantErr: "EPRT: address family is not 1 or 2"},
		{name: "empty af", in: "||10.0.0.1|21|", wantErr: "EPRT: address family is not 1 or 2"},
		{name: "af 1 with IPv6", in: "|1|::1|21|", wantErr: "EPRT: address does not match the address family"},
		{name: "af 2 with IPv4", in: "|2|10.0.0.1|21|", wantErr: "EPRT: address does not match the address family"},
		{name: "empty address", in: "|1||21|", wantErr: "EPRT: bad address"},
		{name: "bad address", in: "|1|10.0.0.256|21|", wantErr: "EPRT: bad address"},
		{name: "zone", in: "|2|fe80::1%eth0|21|", wantErr: "EPRT: address has a zone"},
		{name: "port above 65535", in: "|1|10.0.0.1|65536|", wantErr: "EPRT: bad port"},
		{name: "empty port", in: "|1|10.0.0.1||", wantErr: "EPRT: bad port"},
		{name: "signed port", in: "|1|10.0.0.1|+21|", wantErr: "EPRT: bad port"},
		{name: "digit delimiter", in: "919110.0.0.19219", wantErr: delim},
		{name: "space only", in: " ", wantErr: delim},
		{name: "control char delimiter", in: "\x7f1\x7f10.0.0.1\x7f21\x7f", wantErr: delim},
		{name: "empty", in: "", wantErr: delim},
		{name: "delimiter inside the address", in: ".1.10.0.0.1.21.", wantErr: shape},
		{name: "missing closing delimiter", in: "|1|10.0.0.1|21", wantErr: shape},
		{name: "text after closing delimiter", in: "|1|10.0.0.1|21|x", wantErr: shape},
		{name: "mixed delimiters", in: "|1!10.0.0.1|21|", wantErr: shape},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkAddr(t, tt, ParseEPRT) })
	}
}

func TestParseLPRT(t *testing.T) {
	tests := []addrCase{
		{name: "OK v4", in: "4,4,10,0,0,1,2,4,1", want: "10.0.0.1:1025"},
		{name: "OK v4 spaces", in: " 4, 4 ,10,0,0,1 , 2,4,1 ", want: "10.0.0.1:1025"},
		{name: "OK v6", in: "6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,0,21", want: "[2001:db8::1]:21"},
		{name: "OK v6 IPv4-mapped stays IPv6", in: "6,16,0,0,0,0,0,0,0,0,0,0,255,255,10,0,0,1,2,4,1", want: "[::ffff:10.0.0.1]:1025"},
		{name: "af 5", in: "5,4,10,0,0,1,2,4,1", wantErr: "LPRT: address family is not 4 or 6"},
		{name: "af 4 hal 16", in: "4,16,10,0,0,1,2,4,1", wantErr: "LPRT: address length does not match the address family"},
		{name: "af 6 hal 4", in: "6,4,10,0,0,1,2,4,1", wantErr: "LPRT: address length does not match the address family"},
		{name: "pal 3", in: "4,4,10,0,0,1,3,0,4,1", wantErr: "LPRT: port length is not 2"},
		{name: "short address", in: "4,4,10,0,0", wantErr: "LPRT: want 4 address bytes and a port length"},
		{name: "short port", in: "4,4,10,0,0,1,2,4", wantErr: "LPRT: want two port bytes"},
		{name: "byte above 255", in: "4,4,10,0,0,256,2,4,1", wantErr: "LPRT: number out of range"},
		{name: "extra number", in: "4,4,10,0,0,1,2,4,1,9", wantErr: "LPRT: text after the port"},
		{name: "empty", in: "", wantErr: "LPRT: want comma-separated numbers"},
		{name: "PORT form", in: "10,0,0,1,4,1", wantErr: "LPRT: address family is not 4 or 6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkAddr(t, tt, ParseLPRT) })
	}
}

func TestParse227(t *testing.T) {
	const none = "227: no h1,h2,h3,h4,p1,p2 address"
	tests := []addrCase{
		{name: "OK parentheses", in: "Entering Passive Mode (199,233,217,249,221,90)", want: "199.233.217.249:56666"},
		{name: "OK parentheses and trailing dot (vsFTPd)", in: "Entering Passive Mode (127,0,0,1,185,13).", want: "127.0.0.1:47373"},
		{name: "OK lower case (suricata firewall-116)", in: "Entering passive mode (172,23,0,2,82,16).", want: "172.23.0.2:21008"},
		{name: "OK no parentheses (RFC 959 5.2 example)", in: "Entering Passive Mode 10,0,0,1,4,1", want: "10.0.0.1:1025"},
		{name: "OK no parentheses after a dot", in: "Entering passive mode. 10,0,0,1,4,1", want: "10.0.0.1:1025"},
		{name: "OK passively listen wording", in: "Data transfer will passively listen to 10,0,0,1,4,1", want: "10.0.0.1:1025"},
		{name: "OK = form (Bernstein)", in: "=10,0,0,1,4,1", want: "10.0.0.1:1025"},
		{name: "OK numbers only", in: "10,0,0,1,4,1", want: "10.0.0.1:1025"},
		{name: "OK 0,0,0,0", in: "Entering Passive Mode (0,0,0,0,4,1)", want: "0.0.0.0:1025"},
		{name: "OK spaces around numbers", in: "Entering Passive Mode (10, 0, 0, 1, 4, 1)", want: "10.0.0.1:1025"},
		{name: "OK spaces both sides of commas", in: "Entering Passive Mode ( 10 , 0 , 0 , 1 , 4 , 1 )", want: "10.0.0.1:1025"},
		{name: "OK digits in text before", in: "Entering Passive Mode 1 (10,0,0,1,4,1)", want: "10.0.0.1:1025"},
		{name: "OK digits and commas in text before", in: "Server 2,3 says: (10,0,0,1,4,1)", want: "10.0.0.1:1025"},
		{name: "OK ( in text before", in: "Entering Passive Mode (see RFC 1123) (10,0,0,1,4,1)", want: "10.0.0.1:1025"},
		{name: "OK five numbers before the address", in: "1,2,3,4,5 then 10,0,0,1,4,1", want: "10.0.0.1:1025"},
		{name: "OK seventh number ignored", in: "10,0,0,1,4,1,7", want: "10.0.0.1:1025"},
		{name: "OK dots when no commas (FFFTP)", in: "Entering Passive Mode (10.0.0.1.4.1)", want: "10.0.0.1:1025"},
		{name: "OK commas win over dots", in: "Host 1.2.3.4.5.6 Entering Passive Mode (10,0,0,1,4,1)", want: "10.0.0.1:1025"},
		{name: "OK address text before the numbers", in: "Entering Passive Mode for 10.0.0.1 (10,0,0,1,4,1)", want: "10.0.0.1:1025"},
		{name: "Logout (pure-ftpd PR 175)", in: "Logout.", wantErr: none},
		{name: "no address (zeek fake-long-commands)", in: "Response to PASV command", wantErr: none},
		{name: "empty", in: "", wantErr: none},
		{name: "five numbers only", in: "Entering Passive Mode (10,0,0,1,4)", wantErr: none},
		{name: "dots with spaces", in: "(10. 0. 0. 1. 4. 1)", wantErr: none},
		{name: "negative number", in: "Entering Passive Mode (10,0,0,1,-4,1)", wantErr: none},
		{name: "address byte above 255", in: "Entering Passive Mode (10,0,0,256,4,1)", wantErr: "227: number out of range"},
		{name: "port byte above 255 is not wrapped", in: "Entering Passive Mode (10,0,0,1,4,257)", wantErr: "227: number out of range"},
		{name: "dots above 255", in: "(10.0.0.1.4.999)", wantErr: "227: number out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkAddr(t, tt, Parse227) })
	}
}

func TestParse228(t *testing.T) {
	const none = "228: no af,hal,...,pal,p1,p2 address"
	tests := []addrCase{
		{name: "OK v4", in: "Entering Long Passive Mode (4,4,10,0,0,1,2,4,1)", want: "10.0.0.1:1025"},
		{name: "OK v6", in: "Entering Long Passive Mode (6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,0,21)", want: "[2001:db8::1]:21"},
		{name: "OK no parentheses", in: "Entering Long Passive Mode 4,4,10,0,0,1,2,4,1", want: "10.0.0.1:1025"},
		{name: "OK digits before", in: "Mode 6 (RFC 1639) (4,4,10,0,0,1,2,4,1)", want: "10.0.0.1:1025"},
		{name: "OK spaces", in: "(4, 4, 10, 0, 0, 1, 2, 4, 1)", want: "10.0.0.1:1025"},
		{name: "PORT form is not long", in: "Entering Passive Mode (10,0,0,1,4,1)", wantErr: none},
		{name: "no address", in: "Entering Long Passive Mode", wantErr: none},
		{name: "byte above 255", in: "(4,4,10,0,0,1,2,4,256)", wantErr: "228: number out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkAddr(t, tt, Parse228) })
	}
}

func TestParse229(t *testing.T) {
	const none = "229: no (<d><d><d>port<d>)"
	tests := []struct {
		name    string
		in      string
		want    uint16
		wantErr string
	}{
		{name: "OK |", in: "Entering Extended Passive Mode (|||58612|)", want: 58612},
		{name: "OK | lower case with dot", in: "Entering extended passive mode (|||21008|).", want: 21008},
		{name: "OK Pure-FTPd wording", in: "Extended Passive mode OK (|||42315|)", want: 42315},
		{name: "OK !", in: "Entering Extended Passive Mode (!!!6446!)", want: 6446},
		{name: "OK a", in: "Entering Extended Passive Mode (aaa6446a)", want: 6446},
		{name: "OK ( earlier in the text", in: "Entering (extended) Passive Mode (|||6446|)", want: 6446},
		{name: "OK ( right before", in: "((|||6446|)", want: 6446},
		{name: "OK address in the fields tolerated", in: "Entering Extended Passive Mode (|2|::1|6446|)", want: 6446},
		{name: "OK port 0", in: "(|||0|)", want: 0},
		{name: "OK port 65535", in: "(|||65535|)", want: 65535},
		{name: "port above 65535", in: "(|||65536|)", wantErr: "229: port out of range"},
		{name: "digit delimiter", in: "(11164461)", wantErr: none},
		{name: "space delimiter", in: "(   6446 )", wantErr: none},
		{name: "no parenthesis", in: "Entering Extended Passive Mode |||6446|", wantErr: none},
		{name: "no closing parenthesis", in: "Entering Extended Passive Mode (|||6446|", wantErr: none},
		{name: "space before )", in: "(|||6446| )", wantErr: none},
		{name: "mixed delimiters", in: "(|!|6446|)", wantErr: none},
		{name: "two delimiters only", in: "(||6446|)", wantErr: none},
		{name: "empty port", in: "(||||)", wantErr: none},
		{name: "227 text", in: "Entering Passive Mode (10,0,0,1,4,1)", wantErr: none},
		{name: "field longer than 64 bytes", in: "(|" + strings.Repeat("x", 65) + "||6446|)", wantErr: none},
		{name: "empty", in: "", wantErr: none},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse229(tt.in)
			if tt.wantErr != "" {
				checkProtocolError(t, err, tt.wantErr, tt.in)
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("in %q:\n- want: %d\n-  got: %d, %v", tt.in, tt.want, got, err)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name                 string
		in                   netip.AddrPort
		port, eprt, longPort string
	}{
		{name: "IPv4", in: netip.MustParseAddrPort("10.0.0.1:1025"),
			port: "10,0,0,1,4,1", eprt: "|1|10.0.0.1|1025|", longPort: "4,4,10,0,0,1,2,4,1"},
		{name: "IPv4 zeros", in: netip.MustParseAddrPort("0.0.0.0:0"),
			port: "0,0,0,0,0,0", eprt: "|1|0.0.0.0|0|", longPort: "4,4,0,0,0,0,2,0,0"},
		{name: "IPv6", in: netip.MustParseAddrPort("[2001:db8::1]:21"),
			port: "", eprt: "|2|2001:db8::1|21|", longPort: "6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,0,21"},
		{name: "IPv4-mapped", in: netip.MustParseAddrPort("[::ffff:10.0.0.1]:65535"),
			port: "10,0,0,1,255,255", eprt: "|2|::ffff:10.0.0.1|65535|", longPort: "6,16,0,0,0,0,0,0,0,0,0,0,255,255,10,0,0,1,2,255,255"},
		{name: "zone dropped", in: netip.MustParseAddrPort("[fe80::1%eth0]:21"),
			port: "", eprt: "|2|fe80::1|21|", longPort: "6,16,254,128,0,0,0,0,0,0,0,0,0,0,0,0,0,1,2,0,21"},
		{name: "zero AddrPort", in: netip.AddrPort{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, f := range []struct {
				fn   string
				got  string
				want string
			}{
				{"FormatPORT", FormatPORT(tt.in), tt.port},
				{"FormatEPRT", FormatEPRT(tt.in), tt.eprt},
				{"FormatLPRT", FormatLPRT(tt.in), tt.longPort},
			} {
				if f.got != f.want {
					t.Errorf("%s(%v):\n- want: %q\n-  got: %q", f.fn, tt.in, f.want, f.got)
				}
			}
		})
	}
}

// TestAddressAllocs holds the parsers to their promise: an AddrPort result
// costs no allocation on success.
func TestAddressAllocs(t *testing.T) {
	tests := []struct {
		name string
		fn   func()
	}{
		{"ParsePORT", func() { _, _ = ParsePORT("172,23,0,3,139,43") }},
		{"ParseEPRT v4", func() { _, _ = ParseEPRT("|1|132.235.1.2|6275|") }},
		{"ParseEPRT v6", func() { _, _ = ParseEPRT("|2|fd00:10:16:1::3|40467|") }},
		{"ParseLPRT", func() { _, _ = ParseLPRT("6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,0,21") }},
		{"Parse227", func() { _, _ = Parse227("Entering Passive Mode (1,2 see) (127,0,0,1,185,13).") }},
		{"Parse227 dots", func() { _, _ = Parse227("Entering Passive Mode (127.0.0.1.185.13)") }},
		{"Parse228", func() { _, _ = Parse228("Entering Long Passive Mode (4,4,10,0,0,1,2,4,1)") }},
		{"Parse229", func() { _, _ = Parse229("Entering (Extended) Passive Mode (|||58612|)") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
				t.Errorf("- want: 0 allocations\n-  got: %v", n)
			}
		})
	}
}
