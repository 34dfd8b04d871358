package analyze

import (
	"net/netip"
	"strings"
	"testing"
)

func codes(fs []*Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Severity.String()+":"+f.Code)
	}
	return strings.Join(out, " ")
}

// dialogue runs a scripted session; steps are "c:LINE", "s:LINE" and
// "data:SRC>DST:ANSWER" (ANSWER as wire.data).
func dialogue(t *testing.T, point, client, server string, ttlc, ttls uint8, steps ...string) *Result {
	t.Helper()
	an := New(Options{Point: point})
	w := newWire(t, an, client, server)
	w.ttlClient, w.ttlServer = ttlc, ttls
	w.handshake()
	for _, st := range steps {
		kind, rest, _ := strings.Cut(st, ":")
		switch kind {
		case "c":
			w.c(rest + "\r\n")
		case "s":
			w.s(rest + "\r\n")
		case "data":
			ends, answer, _ := strings.Cut(rest, "|")
			src, dst, _ := strings.Cut(ends, ">")
			w.data(src, dst, answer, 100)
		}
	}
	return an.Finish()
}

func TestDiagnosis(t *testing.T) {
	for _, tt := range []struct {
		name           string
		point          string
		client, server string
		ttlc, ttls     uint8
		steps          []string
		want           string
	}{
		{name: "NATed client's PORT refused, seen outside: one finding, the refusal as evidence",
			client: "198.51.100.7:40000", server: "203.0.113.10:21", ttlc: 62, ttls: 63,
			steps: []string{"s:220 hi", "c:PORT 10,1,0,2,195,80", "s:500 Illegal PORT command.", "c:RETR f", "s:425 Use PORT or PASV first."},
			want:  "error:active-nat-no-alg"},
		{name: "NATed client's PORT accepted, SYN to the private address unanswered, seen at the server",
			client: "198.51.100.7:40000", server: "203.0.113.10:21", ttlc: 60, ttls: 64,
			steps: []string{"s:220 hi", "c:PORT 10,1,0,2,195,80", "s:200 ok", "c:RETR f", "data:203.0.113.10:20>10.1.0.2:50000|retry", "s:425 Failed to establish connection."},
			want:  "error:active-nat-no-alg"},
		{name: "working ALG seen from inside: no finding",
			client: "10.1.0.2:40000", server: "203.0.113.10:21", ttlc: 64, ttls: 60,
			steps: []string{"s:220 hi", "c:PORT 10,1,0,2,195,80", "s:200 ok", "c:RETR f", "s:150 ok", "data:203.0.113.10:20>10.1.0.2:50000|synack", "s:226 done"},
			want:  ""},
		{name: "client deliberately advertising its public address from inside: no finding",
			client: "10.1.0.2:40000", server: "203.0.113.10:21", ttlc: 64, ttls: 60,
			steps: []string{"s:220 hi", "c:PORT 198,51,100,7,195,80", "s:200 ok", "c:RETR f", "s:150 ok", "data:203.0.113.10:20>10.1.0.2:50000|synack", "s:226 done"},
			want:  ""},
		{name: "private 227, client used the control address: warning",
			client: "198.51.100.7:40000", server: "203.0.113.10:21", ttlc: 60, ttls: 60,
			steps: []string{"s:220 hi", "c:PASV", "s:227 Entering Passive Mode (192,168,1,10,117,48)", "data:198.51.100.7:40001>203.0.113.10:30000|synack", "c:LIST", "s:150 ok", "s:226 done"},
			want:  "warning:passive-private-address"},
		{name: "private 227 followed by the client and dropped: error",
			client: "198.51.100.7:40000", server: "203.0.113.10:21", ttlc: 64, ttls: 60,
			steps: []string{"s:220 hi", "c:PASV", "s:227 Entering Passive Mode (192,168,1,10,117,48)", "data:198.51.100.7:40001>192.168.1.10:30000|retry", "c:LIST", "s:425 Failed to establish connection."},
			want:  "error:passive-private-address"},
		{name: "firewall drops the passive SYN",
			client: "10.1.0.2:40000", server: "203.0.113.10:21", ttlc: 64, ttls: 60,
			steps: []string{"s:220 hi", "c:PASV", "s:227 Entering Passive Mode (203,0,113,10,117,48)", "data:10.1.0.2:40001>203.0.113.10:30000|retry", "c:LIST", "s:425 Failed to establish connection."},
			want:  "error:data-no-answer"},
		{name: "550 is the server refusing the file, not a data-connection failure",
			client: "10.1.0.2:40000", server: "203.0.113.10:21", ttlc: 64, ttls: 60,
			steps: []string{"s:220 hi", "c:PASV", "s:227 Entering Passive Mode (203,0,113,10,117,48)", "c:RETR nope", "s:550 Failed to open file."},
			want:  "error:transfer-failed"},
		{name: "EPSV refused, PASV works: info",
			client: "10.1.0.2:40000", server: "203.0.113.10:21", ttlc: 64, ttls: 60,
			steps: []string{"s:220 hi", "c:EPSV", "s:500 unknown", "c:PASV", "s:227 Entering Passive Mode (203,0,113,10,117,48)", "data:10.1.0.2:40001>203.0.113.10:30000|synack", "c:LIST", "s:150 ok", "s:226 done"},
			want:  "info:extended-refused"},
		{name: "PORT to a privileged port of a third party: bounce",
			client: "198.51.100.7:40000", server: "203.0.113.10:21", ttlc: 60, ttls: 60,
			steps: []string{"s:220 hi", "c:PORT 192,0,2,99,0,25", "s:200 ok"},
			want:  "warning:bounce"},
		{name: "non-guest login in clear text: info",
			client: "10.1.0.2:40000", server: "203.0.113.10:21", ttlc: 64, ttls: 60,
			steps: []string{"s:220 hi", "c:USER alice", "s:331 pw", "c:PASS s3cret", "s:230 ok"},
			want:  "info:cleartext-credentials"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := dialogue(t, tt.point, tt.client, tt.server, tt.ttlc, tt.ttls, tt.steps...)
			if got := codes(r.Findings); got != tt.want {
				t.Errorf("- want: %s\n-  got: %s", tt.want, got)
				for _, f := range r.Findings {
					t.Logf("%s: %s", f.Code, f.Summary)
				}
			}
			for _, f := range r.Findings {
				if f.Summary == "" || f.Advice == "" || len(f.Evidence) == 0 {
					t.Errorf("%s lacks summary, advice or evidence: %+v", f.Code, f)
				}
			}
		})
	}
}

// TestFXPIsNotABounce: a client tells server B to connect to the passive
// address server A gave it: server-to-server transfer, not an attack.
func TestFXPIsNotABounce(t *testing.T) {
	an := New(Options{})
	a := newWire(t, an, "198.51.100.7:40000", "203.0.113.10:21")
	a.handshake()
	a.c("PASV\r\n")
	a.s("227 Entering Passive Mode (203,0,113,10,117,48)\r\n")
	b := newWire(t, an, "198.51.100.7:40001", "192.0.2.20:21")
	b.frame, b.now = a.frame, a.now
	b.handshake()
	b.c("PORT 203,0,113,10,117,48\r\n")
	b.s("200 ok\r\n")
	r := an.Finish()
	for _, f := range r.Findings {
		if f.Code == "bounce" {
			t.Errorf("FXP reported as a bounce: %s", f.Summary)
		}
	}
}

func TestInferSide(t *testing.T) {
	for _, tt := range []struct {
		point      string
		ttlc, ttls uint8
		want       Side
	}{
		{"capture", 64, 57, SideClient},
		{"capture", 120, 64, SideServer},
		{"capture", 64, 128, SideSameLAN},
		{"capture", 63, 250, SideBetween},
		{"server-lan", 63, 250, SideServer},
		{"client", 60, 64, SideClient},
	} {
		s := &Session{ClientTTL: tt.ttlc, ServerTTL: tt.ttls, Client: netip.MustParseAddrPort("10.0.0.1:1"), Server: netip.MustParseAddrPort("192.0.2.1:21")}
		if got, why := InferSide(tt.point, s); got != tt.want || why == "" {
			t.Errorf("%s TTL %d/%d: %s (%s), want %s", tt.point, tt.ttlc, tt.ttls, got, why, tt.want)
		}
	}
}

func TestClassOf(t *testing.T) {
	for addr, want := range map[string]AddrClass{
		"10.1.0.2": ClassPrivate, "172.16.5.4": ClassPrivate, "192.168.1.1": ClassPrivate,
		"100.64.0.1": ClassCGNAT, "100.127.255.254": ClassCGNAT, "100.128.0.1": ClassPublic,
		"127.0.0.1": ClassLoopback, "::1": ClassLoopback, "169.254.1.1": ClassLinkLocal, "fe80::1": ClassLinkLocal,
		"0.0.0.0": ClassUnspecified, "::": ClassUnspecified, "fd00::1": ClassULA,
		"198.51.100.7": ClassPublic, "203.0.113.10": ClassPublic, "2001:db8::1": ClassPublic, "8.8.8.8": ClassPublic,
		"::ffff:10.0.0.1": ClassPrivate,
	} {
		if got := ClassOf(netip.MustParseAddr(addr)); got != want {
			t.Errorf("%s: %s, want %s", addr, got, want)
		}
	}
}

// TestImplicitFTPS: a connection to port 990 is FTPS from its first byte:
// a session marked TLS, nothing parsed as lines.
func TestImplicitFTPS(t *testing.T) {
	an := New(Options{})
	w := newWire(t, an, "10.1.0.2:40000", "203.0.113.10:990")
	w.handshake()
	w.c("\x16\x03\x01\x00\x04abcd")
	w.s("\x16\x03\x03\x00\x02hi")
	s := onlySession(t, an.Finish())
	if !s.TLS || s.DetectedBy != "implicit-tls" || s.ProtocolErrors != 0 || s.Commands != 0 {
		t.Errorf("session %+v", s)
	}
}
