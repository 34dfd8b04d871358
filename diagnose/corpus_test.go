package diagnose

import (
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff/internal/corpus"
)

// corpusConclusions is what ftpsniff concludes from each corpus capture,
// and why a reading of the capture supports it. A capture not listed must
// give no finding at all.
var corpusConclusions = map[string]struct {
	findings string // severity:code, sorted, space-separated
	why      string
}{
	"ndpi/fuzz-2006-06-26-2594.pcap": {"warning:capture-gap", "a fuzzed copy of sip.pcap: the control stream has holes the receiver acknowledged"},
	"pcapplusplus/Ftp.pcap":          {"warning:capture-gap", "single packets cut out of a session: tshark too marks 'ACKed unseen segment'"},
	"suricata-verify/detect-ftp/ftp-active-dynamic_port-02/ftp-active-dynamic_port.pcap": {"info:cleartext-credentials",
		"user 'user' logs in without TLS; the EPRT |2| on an IPv4 control connection names the client's other-family address, not a third party"},
	"suricata-verify/detect-ftp/ftp-passive-dynamic_port-02/ftp-passive-dynamic_port.pcap": {"error:transfer-failed info:cleartext-credentials",
		"RETR index.html is answered 550 Failed to open file: the server refused the request; the 227 address is the server's own"},
	"suricata-verify/firewall/ruletype-firewall-116-ftp-all-data-ipv4/input.pcap":           {"info:cleartext-credentials", "alice logs in without TLS; every transfer in both modes works"},
	"suricata-verify/firewall/ruletype-firewall-117-ftp-all-data-ipv6/input.pcap":           {"info:cleartext-credentials", "the same over IPv6 with EPRT/EPSV"},
	"suricata-verify/firewall/ruletype-firewall-118-ftp-stou-no-filename-active/input.pcap": {"info:cleartext-credentials", "alice logs in without TLS; STOU works"},
	"suricata-verify/ftp-retr-bypass-realserver/input.pcap": {"error:transfer-failed info:cleartext-credentials",
		"RETR without any PORT/PASV is answered 425 Use PORT or PASV first"},
	"suricata-verify/ftp/ftp-bounce/test.pcap":            {"warning:bounce", "PORT 2.2.2.3,0,80 names a privileged port on another host, and the server accepts it"},
	"suricata-verify/ftp/ftp-download-active/input.pcap":  {"info:cleartext-credentials", "bob logs in without TLS; transfers work"},
	"suricata-verify/ftp/ftp-download-passive/input.pcap": {"info:cleartext-credentials", "bob logs in without TLS; transfers work"},
	"suricata-verify/ftp/ftp-too-long-command-first/ftp-too-long-command.pcap": {"error:transfer-failed info:cleartext-credentials",
		"the 4 KB RETR and the next RETR are answered 550"},
	"suricata-verify/ftp/ftp-too-long-response/ftp-too-long-response.pcap": {"error:transfer-failed info:cleartext-credentials",
		"the 227 is 113 KB of 'A' with no address: no client can use it"},
	"suricata-verify/ftp/ftp-upload-active/input.pcap":  {"info:cleartext-credentials", "alice logs in without TLS; transfers work"},
	"suricata-verify/ftp/ftp-upload-passive/input.pcap": {"info:cleartext-credentials", "alice logs in without TLS; transfers work"},
	"suricata-verify/sip-method/sip.pcap":               {"error:transfer-failed", "RETR SiteStat.xml is answered 550 No such file or directory"},
	"zeek/bruteforce.pcap": {"info:cleartext-credentials warning:login-failures",
		"30 failed logins of user 'bro' in clear text from one client in 57 s, none successful (Zeek raises FTP::Bruteforcing on it): one finding for the guessing, one for the clear text"},
	"zeek/cwd-navigation.pcap":                     {"warning:capture-gap", "233 bytes in 9 holes that the receivers acknowledged; the 227s name a public address for a private server, which its clients reach (a correctly configured NAT)"},
	"zeek/fake-long-commands.pcap":                 {"warning:transfer-failed", "a 227 'Response to PASV command' carries no address (crafted)"},
	"zeek/fake-server-delays-all.pcap":             {"warning:transfer-failed", "a 227 'Fake response PASV' carries no address (crafted)"},
	"zeek/ftp-invalid-reply-code.pcap":             {"info:cleartext-credentials", "user zeek logs in without TLS"},
	"zeek/ftp-missing-reply-code.pcap":             {"info:cleartext-credentials", "user zeek logs in without TLS"},
	"zeek/ftp-missing-space-after-reply-code.pcap": {"info:cleartext-credentials", "user zeek logs in without TLS"},
	"zeek/ftp-password-pass-command.pcap":          {"info:cleartext-credentials", "user Admin logs in without TLS"},
	"zeek/ipv6-multiline-reply.pcap":               {"error:transfer-failed", "RETR libssh-0.5.2.tar.gz is answered 550 No such file or directory"},
	"zeek/var-services-std-ports.pcap":             {"info:cleartext-credentials", "user jsiwek logs in without TLS"},
}

// TestCorpusFindings pins what ftpsniff concludes from each public capture:
// no error finding that a reading of the capture does not support.
func TestCorpusFindings(t *testing.T) {
	dir := corpus.Dir(t)
	for _, path := range corpus.Files(t, ".pcap", ".pcap.gz") {
		name := strings.TrimPrefix(path, dir+"/")
		t.Run(name, func(t *testing.T) {
			res := diagnoseFiles(t, "capture", path)
			want := corpusConclusions[name]
			if got := codeSet(res.Findings); got != want.findings {
				t.Errorf("- want: %q (%s)\n-  got: %q", want.findings, want.why, got)
				logFindings(t, res.Findings)
			}
		})
	}
}
