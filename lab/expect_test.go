package lab_test

import "strconv"

// What each scenario's configuration makes known in advance, per capture
// point: the transfers ftpsniff must report, session by session (one FTP
// session per client step, in order, unless SessionsPerStep says more; a
// session that never reaches a point is absent() there), and the findings
// it must raise.
//
// Addresses are exact after expanding ${...} from the scenario's facts.json:
//   ${client} ${nat_outside} ${dnat_public} ${server_public} ${server_private}
//   ${pyftpd_permit_foreign} ${pyftpd_default} ${client6} ${server6}
//   ${pasv}      the servers' only passive port
//   ${act:N}     step N's active (PORT/EPRT) port
// An empty Addr is not checked.
//
// Findings: the exact set of "severity:code" each point reports (each
// distinct pair once, in any order); in a scenario whose every step
// succeeds, no error finding.

// xfer is one expected transfer record.
type xfer struct {
	Command   string // RETR, STOR, LIST; "" when no transfer command came
	Mode      string // active, passive, extended-active, extended-passive
	Addr      string // negotiation.address
	NegReply  int    // negotiation.reply_code (0: no reply seen at this point)
	State     string // data.state
	Initiator string // data.initiator ("" when not-attempted: not checked)
	Reply     int    // reply.code, the transfer's final reply (0: none)
}

// point is what one capture point must show.
type point struct {
	Steps    [][]xfer // per session, in order, its transfers (nil: absent at this point)
	Findings []string // the exact set of "severity:code" findings this point reports
	// Says: "code: text", the key facts of a finding's sentences: some
	// finding of that code at this point has text (after expanding ${...})
	// in its summary or advice. "!code: text": no finding of that code says
	// it; "!*: text": no finding at all says it.
	Says []string
}

type scenario struct {
	Name  string
	Steps []string // each client step's expected outcome: ok | fail
	TLS   bool     // every session upgrades to TLS (AUTH TLS / AUTH SSL)
	// ALG: the verdicts of comparing the client LAN (inside r1) with r1's
	// outside, one per negotiation in session order (nil: not compared).
	ALG []string
	// ALGPoints are the inside and outside points compared (default: the
	// client LAN and r1's outside).
	ALGPoints [2]string
	// Path: read at all four points at once, each session's first
	// negotiation's data connection along the path, "state" or "state
	// died_after|died_before" (died_before "-": past the last point); ""
	// for a session with no negotiation (nil: not checked).
	Path []string
	// PathSays: as point.Says, for the findings of the run reading every
	// point at once.
	PathSays []string
	// PathPoints: the capture points along the path, client side first
	// (nil: the four of lab.sh's POINTS).
	PathPoints []string
	// SessionsPerStep: how many FTP sessions each client step makes (nil:
	// one each).
	SessionsPerStep []int
	Points          map[string]point // capture point name -> expectations
}

// sessions is how many sessions the scenario's steps make.
func (sc scenario) sessions() int {
	if sc.SessionsPerStep == nil {
		return len(sc.Steps)
	}
	n := 0
	for _, k := range sc.SessionsPerStep {
		n += k
	}
	return n
}

// Points of the lab (lab.sh POINTS): both sides of r1 (client NAT) and of r2
// (server router / port forwarding).
const (
	clientLAN     = "client-lan"
	natOutside    = "nat-outside"
	serverOutside = "server-outside"
	serverLAN     = "server-lan"
)

// Transfer shorthands.
func ok(cmd, mode, addr string, neg int, initiator string) xfer {
	return xfer{Command: cmd, Mode: mode, Addr: addr, NegReply: neg, State: "established", Initiator: initiator, Reply: 226}
}
func pasvOK(cmd, addr string) xfer { return ok(cmd, "passive", addr, 227, "client") }
func epsvOK(cmd, addr string) xfer { return ok(cmd, "extended-passive", addr, 229, "client") }
func portOK(cmd, addr string) xfer { return ok(cmd, "active", addr, 200, "server") }
func eprtOK(cmd, addr string) xfer { return ok(cmd, "extended-active", addr, 200, "server") }
func steps(s ...[]xfer) [][]xfer   { return s }
func one(x ...xfer) []xfer         { return x }
func none() []xfer                 { return []xfer{} }
func absent() []xfer               { return nil }
func nones(n int) [][]xfer {
	out := make([][]xfer, n)
	for i := range out {
		out[i] = none()
	}
	return out
}
func same(p point, names ...string) map[string]point {
	m := map[string]point{}
	for _, n := range names {
		m[n] = p
	}
	return m
}
func merge(ms ...map[string]point) map[string]point {
	out := map[string]point{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

var allPoints = []string{clientLAN, natOutside, serverOutside, serverLAN}

const (
	srvPasv  = "${server_public}:${pasv}"
	privPasv = "${server_private}:${pasv}"
	dnatPasv = "${dnat_public}:${pasv}"
	srv6Pasv = "[${server6}]:${pasv}"
)

// s5Outside: the s5 steps seen past the client's router.
var s5Outside = steps(
	one(xfer{Mode: "passive", Addr: privPasv, NegReply: 227, State: "not-attempted"}),
	one(pasvOK("RETR", privPasv)),
	one(pasvOK("RETR", privPasv)),
	one(xfer{Mode: "passive", Addr: privPasv, NegReply: 227, State: "not-attempted"}),
)

// s8Steps: the FTPS steps, the same at every point.
var s8Steps = steps(
	none(), // curl active (AUTH SSL)
	one(xfer{Mode: "passive", Addr: srvPasv, State: "established", Initiator: "client"}), // curl passive
	none(), // lftp active (AUTH TLS)
	one(xfer{Mode: "passive", Addr: srvPasv, State: "established", Initiator: "client"}), // lftp passive
)

var scenarios = []scenario{
	{
		// 1. no NAT: passive and active succeed; every point sees the same
		Name:  "s1-direct",
		Steps: []string{"ok", "ok", "ok", "ok"},
		Points: same(point{Steps: steps(
			one(pasvOK("RETR", srvPasv)),              // curl PASV
			one(portOK("RETR", "${client}:${act:2}")), // curl PORT
			one(pasvOK("RETR", srvPasv)),              // lftp PASV
			one(portOK("RETR", "${client}:${act:4}")), // lftp PORT
		), Findings: []string{}}, allPoints...),
	},
	{
		// 2. client NAT with the helper, active: private inside, public outside
		Name:  "s2-nat-alg-active",
		ALG:   []string{"rewritten", "rewritten", "rewritten"},
		Steps: []string{"ok", "ok", "ok"},
		Points: merge(
			same(point{Steps: steps(
				one(portOK("RETR", "${client}:${act:1}")),
				one(eprtOK("RETR", "${client}:${act:2}")),
				one(portOK("RETR", "${client}:${act:3}")),
			), Findings: []string{}}, clientLAN),
			same(point{Steps: steps(
				one(portOK("RETR", "${nat_outside}:${act:1}")),
				one(eprtOK("RETR", "${nat_outside}:${act:2}")),
				one(portOK("RETR", "${nat_outside}:${act:3}")),
			), Findings: []string{}}, natOutside, serverOutside, serverLAN),
		),
	},
	{
		// 3. client NAT without the helper, active: the private PORT crosses
		// the NAT unchanged. vsftpd: 500. pyftpdlib permitting foreign
		// addresses: 421 after its SYNs to 10.1.0.2 (seen only on the server
		// LAN: r2 does not route private addresses). pyftpdlib default: 501.
		Name:  "s3-nat-noalg-active",
		Path:  []string{"not-attempted", "no-answer server-lan|server-outside", "not-attempted"},
		ALG:   []string{"not-rewritten", "not-rewritten", "not-rewritten"},
		Steps: []string{"fail", "fail", "fail"},
		Points: merge(
			same(point{Steps: steps(
				one(xfer{Mode: "active", Addr: "${client}:${act:1}", NegReply: 500, State: "not-attempted"}),
				one(xfer{Mode: "active", Addr: "${client}:${act:2}", NegReply: 421, State: "not-attempted"}),
				one(xfer{Mode: "active", Addr: "${client}:${act:3}", NegReply: 501, State: "not-attempted"}),
			), Findings: []string{"error:active-nat-no-alg"}}, clientLAN, natOutside, serverOutside),
			same(point{Steps: steps(
				one(xfer{Mode: "active", Addr: "${client}:${act:1}", NegReply: 500, State: "not-attempted"}),
				one(xfer{Mode: "active", Addr: "${client}:${act:2}", NegReply: 421, State: "no-answer", Initiator: "server"}),
				one(xfer{Mode: "active", Addr: "${client}:${act:3}", NegReply: 501, State: "not-attempted"}),
			), Findings: []string{"error:active-nat-no-alg"}}, serverLAN),
		),
	},
	{
		// 4. client NAT without the helper, passive: succeeds
		Name:  "s4-nat-noalg-passive",
		ALG:   []string{"untouched", "untouched", "untouched"},
		Steps: []string{"ok", "ok", "ok"},
		Points: same(point{Steps: steps(
			one(pasvOK("RETR", srvPasv)), // curl PASV
			one(epsvOK("RETR", srvPasv)), // curl EPSV
			one(pasvOK("RETR", srvPasv)), // lftp PASV
		), Findings: []string{}}, allPoints...),
	},
	{
		// 5. server behind DNAT, 227 carries its private address. Trusting
		// clients send SYNs to 10.2.0.10, dropped by r1 (not routed on the
		// "internet"); clients ignoring the 227 address connect to the
		// control address (r2 forwards the passive port) and succeed.
		Name:      "s5-dnat-private-227",
		Path:      []string{"no-answer client-lan|nat-outside", "established", "established", "no-answer client-lan|nat-outside"},
		ALG:       []string{"not-rewritten", "not-rewritten", "not-rewritten", "not-rewritten"},
		ALGPoints: [2]string{serverLAN, serverOutside},
		Steps:     []string{"fail", "ok", "ok", "fail"},
		Points: merge(
			same(point{Steps: steps(
				one(xfer{Mode: "passive", Addr: privPasv, NegReply: 227, State: "no-answer", Initiator: "client"}), // curl trusting
				one(pasvOK("RETR", privPasv)), // curl --ftp-skip-pasv-ip
				one(pasvOK("RETR", privPasv)), // lftp ftp:ignore-pasv-address yes
				one(xfer{Mode: "passive", Addr: privPasv, NegReply: 227, State: "no-answer", Initiator: "client"}), // lftp trusting
			), Findings: []string{"error:passive-private-address", "warning:passive-private-address"}}, clientLAN),
			same(point{Steps: s5Outside, Findings: []string{"error:passive-private-address", "warning:passive-private-address"}}, natOutside, serverOutside),
			// On the server's LAN behind the port forwarding the 227 names the
			// server's own address: the point cannot tell a client ignoring it
			// from a rewrite, so the working steps say nothing.
			same(point{Steps: s5Outside, Findings: []string{"error:passive-private-address"}}, serverLAN),
		),
	},
	{
		// 5b. the same with vsftpd pasv_address: the 227 carries the public
		// address, trusting clients succeed
		Name:  "s5b-dnat-pasv-address",
		Steps: []string{"ok", "ok"},
		Points: same(point{Steps: steps(
			one(pasvOK("RETR", dnatPasv)),
			one(pasvOK("RETR", dnatPasv)),
		), Findings: []string{}}, allPoints...),
	},
	{
		// 5c. the same port forwarding with the kernel FTP helper on r2: it
		// rewrites the 227 from the server's private address to the public
		// one, and trusting clients succeed
		Name:      "s5c-dnat-alg",
		Path:      []string{"established", "established"},
		Steps:     []string{"ok", "ok"},
		ALG:       []string{"rewritten", "rewritten"},
		ALGPoints: [2]string{serverLAN, serverOutside},
		Points: merge(
			same(point{Steps: steps(
				one(pasvOK("RETR", dnatPasv)),
				one(pasvOK("RETR", dnatPasv)),
			), Findings: []string{}}, clientLAN, natOutside, serverOutside),
			same(point{Steps: steps(
				one(pasvOK("RETR", privPasv)),
				one(pasvOK("RETR", privPasv)),
			), Findings: []string{}}, serverLAN),
		),
	},
	{
		// 6. a firewall on r2 drops the passive port: SYNs unanswered up to
		// r2, nothing on the server LAN; both clients time out before RETR
		Name:  "s6-fw-drop-passive",
		Path:  []string{"no-answer server-outside|server-lan", "no-answer server-outside|server-lan"},
		Steps: []string{"fail", "fail"},
		Points: merge(
			same(point{Steps: steps(
				one(xfer{Mode: "passive", Addr: srvPasv, NegReply: 227, State: "no-answer", Initiator: "client"}),
				one(xfer{Mode: "passive", Addr: srvPasv, NegReply: 227, State: "no-answer", Initiator: "client"}),
			), Findings: []string{"error:data-no-answer"}}, clientLAN, natOutside, serverOutside),
			same(point{Steps: steps(
				one(xfer{Mode: "passive", Addr: srvPasv, NegReply: 227, State: "not-attempted"}),
				one(xfer{Mode: "passive", Addr: srvPasv, NegReply: 227, State: "not-attempted"}),
			), Findings: []string{"error:data-not-seen"}}, serverLAN),
		),
	},
	{
		// 6b. a firewall on r1 (no NAT) rejects the server's active data
		// connection with a TCP reset: vsftpd answers 425; the client LAN
		// never sees the SYN
		Name:  "s6b-fw-reset-active",
		Path:  []string{"refused nat-outside|client-lan", "refused nat-outside|client-lan"},
		Steps: []string{"fail", "fail"},
		Points: merge(
			same(point{Steps: steps(
				one(xfer{Command: "RETR", Mode: "active", Addr: "${client}:${act:1}", NegReply: 200, State: "not-attempted", Reply: 425}),
				one(xfer{Command: "RETR", Mode: "active", Addr: "${client}:${act:2}", NegReply: 200, State: "not-attempted", Reply: 425}),
			), Findings: []string{"error:active-nat-no-alg"}}, clientLAN),
			same(point{Steps: steps(
				one(xfer{Command: "RETR", Mode: "active", Addr: "${client}:${act:1}", NegReply: 200, State: "refused", Initiator: "server", Reply: 425}),
				one(xfer{Command: "RETR", Mode: "active", Addr: "${client}:${act:2}", NegReply: 200, State: "refused", Initiator: "server", Reply: 425}),
			), Findings: []string{"error:data-refused"}}, natOutside, serverOutside, serverLAN),
		),
	},
	{
		// 6c. a firewall on r1 (no NAT) silently drops the server's active
		// data connection: vsftpd's SYNs go unanswered, 425 after its
		// connect timeout (curl, 1) or after lftp gave up (2: no reply).
		// The client LAN never sees a SYN and, alone, takes the client's
		// private PORT for a NAT's doing; the path shows there is none.
		Name:  "s6c-fw-drop-active",
		Steps: []string{"fail", "fail"},
		Path:  []string{"no-answer nat-outside|client-lan", "no-answer nat-outside|client-lan"},
		Points: merge(
			same(point{Steps: steps(
				one(xfer{Command: "RETR", Mode: "active", Addr: "${client}:${act:1}", NegReply: 200, State: "not-attempted", Reply: 425}),
				one(xfer{Command: "RETR", Mode: "active", Addr: "${client}:${act:2}", NegReply: 200, State: "not-attempted"}),
			), Findings: []string{"error:active-nat-no-alg"}}, clientLAN),
			same(point{Steps: steps(
				one(xfer{Command: "RETR", Mode: "active", Addr: "${client}:${act:1}", NegReply: 200, State: "no-answer", Initiator: "server", Reply: 425}),
				one(xfer{Command: "RETR", Mode: "active", Addr: "${client}:${act:2}", NegReply: 200, State: "no-answer", Initiator: "server"}),
			), Findings: []string{"error:data-no-answer"}}, natOutside, serverOutside, serverLAN),
		),
	},
	{
		// 7. IPv6, no NAT: EPSV and EPRT
		Name:  "s7-ipv6",
		Steps: []string{"ok", "ok", "ok", "ok"},
		Points: same(point{Steps: steps(
			one(epsvOK("RETR", srv6Pasv)),
			one(eprtOK("RETR", "[${client6}]:${act:2}")),
			one(epsvOK("RETR", srv6Pasv)),
			one(eprtOK("RETR", "[${client6}]:${act:4}")),
		), Findings: []string{}}, allPoints...),
	},
	{
		// 8. FTPS through the NAT with the helper: every command after AUTH
		// is encrypted. Active steps fail with a 500 inside TLS and open no
		// data connection: nothing to report. Passive steps succeed; their
		// data connection, between the session's two hosts, is all that can
		// be seen: ftpsniff infers a passive transfer from it (no command,
		// no reply can be read).
		Name:  "s8-ftps-nat-alg",
		ALG:   []string{"encrypted", "encrypted", "encrypted", "encrypted"},
		Steps: []string{"fail", "ok", "fail", "ok"},
		TLS:   true,
		Points: merge(
			// Only the client's LAN sees a NAT (private client, public
			// server): info for the sessions whose data connection worked,
			// a warning for those where none was seen; past the NAT both
			// ends are public and the encryption explains nothing.
			same(point{Steps: s8Steps, Findings: []string{"info:tls-blind-alg", "warning:tls-blind-alg"}}, clientLAN),
			same(point{Steps: s8Steps, Findings: []string{}}, natOutside, serverOutside, serverLAN),
		),
	},
	{
		// 9. one session: LIST, STOR and RETRs mixing EPSV and PASV
		Name:  "s9-mixed-session",
		Steps: []string{"ok"},
		Points: same(point{Steps: steps(one(
			epsvOK("LIST", srvPasv),
			epsvOK("STOR", srvPasv),
			epsvOK("RETR", srvPasv),
			pasvOK("RETR", srvPasv),
			epsvOK("RETR", srvPasv),
			pasvOK("RETR", srvPasv),
		)), Findings: []string{}}, allPoints...),
	},
	{
		// 10. PORT split in two segments through the helper. The helper drops
		// a segment with a partial PORT; with SACK the client only ever
		// retransmits that segment and the session stalls (1, 2); without
		// SACK the retransmission carries the whole line, which the helper
		// rewrites (3, 4). Inside, the stalled PORT of step 2 is whole but
		// unanswered; outside, steps 1 and 2 show no PORT at all (2 only its
		// unrewritten tail after a hole), and steps 3 and 4 show the tail
		// first, then the rewritten line overlapping it.
		Name:  "s10-split-port",
		Path:  []string{"", "not-attempted", "established", "established"},
		ALG:   []string{"missed-split", "rewritten", "rewritten"},
		Steps: []string{"fail", "fail", "ok", "ok"},
		Points: merge(
			same(point{Steps: steps(
				none(),
				one(xfer{Mode: "active", Addr: "${client}:${act:2}", State: "not-attempted"}),
				one(portOK("RETR", "${client}:${act:3}")),
				one(portOK("RETR", "${client}:${act:4}")),
			), Findings: []string{"error:alg-missed-split", "warning:alg-missed-split"}}, clientLAN),
			same(point{Steps: steps(
				none(),
				none(),
				one(portOK("RETR", "${nat_outside}:${act:3}")),
				one(portOK("RETR", "${nat_outside}:${act:4}")),
			), Findings: []string{"error:alg-missed-split", "warning:alg-missed-split", "error:control-stalled"}}, natOutside, serverOutside, serverLAN),
		),
	},
	{
		// 11. control connections that never start: nothing listens (the
		// server host resets), r2 drops port 21, r2 rejects it with ICMP.
		// Only the first reaches the server's LAN.
		Name:  "s11-control-refused",
		Steps: []string{"fail", "fail", "fail"},
		Points: merge(
			same(point{Steps: steps(none(), none(), none()),
				Findings: []string{"error:control-refused", "error:control-no-answer", "error:control-unreachable"}}, clientLAN, natOutside, serverOutside),
			same(point{Steps: steps(none(), absent(), absent()), Findings: []string{"error:control-refused"}}, serverLAN),
		),
	},
	{
		// 12. vsftpd's idle timeout: "421 Timeout." answers no command; the
		// client's late PASV (1) and RETR (2) are never answered.
		Name:  "s12-idle-timeout",
		Steps: []string{"fail", "fail"},
		Points: same(point{Steps: steps(
			one(xfer{Mode: "passive", State: "not-attempted"}),
			one(xfer{Command: "RETR", Mode: "passive", Addr: srvPasv, NegReply: 227, State: "established", Initiator: "client"}),
		), Findings: []string{"error:server-closed"}}, allPoints...),
	},
	{
		// 13. r1 drops the client's RETR: retransmitted at the client's LAN,
		// never seen past r1; the server's acknowledgements stay below it.
		Name:  "s13-control-stall",
		Steps: []string{"fail"},
		Points: merge(
			same(point{Steps: steps(one(xfer{Command: "RETR", Mode: "passive", Addr: srvPasv, NegReply: 227, State: "established", Initiator: "client"})),
				Findings: []string{"error:control-stalled"}}, clientLAN),
			same(point{Steps: steps(one(xfer{Mode: "passive", Addr: srvPasv, NegReply: 227, State: "established", Initiator: "client"})),
				Findings: []string{"error:control-stalled"}}, natOutside, serverOutside, serverLAN),
		),
	},
	{
		// 14. password guessing, one session per password: 20 wrong, then 5
		// wrong and the right one.
		Name:            "s14-login-failures",
		Steps:           []string{"fail", "ok"},
		SessionsPerStep: []int{20, 6},
		Points:          same(point{Steps: nones(26), Findings: []string{"warning:login-failures", "info:cleartext-credentials"}}, allPoints...),
	},
	{
		// 15. a bounce scan of 20 ports of a third host through pyftpdlib
		// permitting foreign addresses: 3 open (200, LIST 226), 17 closed
		// (425 to the PORT); only the server's LAN sees its connections.
		Name:   "s15-bounce-scan",
		Steps:  []string{"ok"},
		Points: merge(same(point{Steps: steps(s15Probes(false)), Findings: []string{"warning:bounce-scan"}}, clientLAN, natOutside, serverOutside), same(point{Steps: steps(s15Probes(true)), Findings: []string{"warning:bounce-scan"}}, serverLAN)),
	},
	{
		// 16. FTPS to a server behind port forwarding advertising its private
		// address: the helper on r2 cannot rewrite the encrypted 227.
		// Trusting clients (1, 4) open no data connection to the server;
		// clients ignoring the 227 address (2, 3) connect to it.
		Name:  "s16-ftps-dnat",
		Steps: []string{"fail", "ok", "ok", "fail"},
		TLS:   true,
		Points: merge(
			same(point{Steps: steps(none(), one(xfer{Mode: "passive", Addr: dnatPasv, State: "established", Initiator: "client"}),
				one(xfer{Mode: "passive", Addr: dnatPasv, State: "established", Initiator: "client"}), none()),
				Findings: []string{"info:tls-blind-alg", "warning:tls-blind-alg"}}, clientLAN),
			same(point{Steps: steps(none(), one(xfer{Mode: "passive", Addr: dnatPasv, State: "established", Initiator: "client"}),
				one(xfer{Mode: "passive", Addr: dnatPasv, State: "established", Initiator: "client"}), none()),
				Findings: []string{}}, natOutside, serverOutside),
			same(point{Steps: steps(none(), one(xfer{Mode: "passive", Addr: privPasv, State: "established", Initiator: "client"}),
				one(xfer{Mode: "passive", Addr: privPasv, State: "established", Initiator: "client"}), none()),
				Findings: []string{"info:tls-blind-alg", "warning:tls-blind-alg"}}, serverLAN),
		),
	},
	{
		// 16b. FTPS without NAT (the client's private network is routed):
		// every transfer works. The address classes still differ, so the
		// encryption is said, as information.
		Name:  "s16b-ftps-direct",
		Steps: []string{"ok", "ok", "ok"},
		TLS:   true,
		Points: same(point{Steps: steps(
			one(xfer{Mode: "passive", Addr: srvPasv, State: "established", Initiator: "client"}),
			one(xfer{Mode: "passive", Addr: srvPasv, State: "established", Initiator: "client"}),
			one(xfer{Mode: "active", Addr: "${client}:${act:3}", State: "established", Initiator: "server"}),
		), Findings: []string{"info:tls-blind-alg"}}, allPoints...),
	},
	{
		// 17. who answers a data SYN: the client host resets the server's
		// active connection; r2 refuses the passive port by ICMP (never on
		// the server's LAN); the server host resets a port nothing listens on.
		Name:  "s17-fw-reject-variants",
		Steps: []string{"fail", "fail", "fail"},
		Points: merge(
			same(point{Steps: steps(
				one(xfer{Command: "RETR", Mode: "active", Addr: "${client}:${act:1}", NegReply: 200, State: "refused", Initiator: "server", Reply: 425}),
				one(xfer{Mode: "passive", Addr: srvPasv, NegReply: 227, State: "unreachable", Initiator: "client"}),
				one(xfer{Mode: "passive", Addr: "${pyftpd_default}:30001", NegReply: 227, State: "refused", Initiator: "client"}),
			), Findings: []string{"error:data-refused", "error:data-unreachable"}}, clientLAN, natOutside, serverOutside),
			same(point{Steps: steps(
				one(xfer{Command: "RETR", Mode: "active", Addr: "${client}:${act:1}", NegReply: 200, State: "refused", Initiator: "server", Reply: 425}),
				one(xfer{Mode: "passive", Addr: srvPasv, NegReply: 227, State: "not-attempted"}),
				one(xfer{Mode: "passive", Addr: "${pyftpd_default}:30001", NegReply: 227, State: "refused", Initiator: "client"}),
			), Findings: []string{"error:data-refused", "error:data-not-seen"}}, serverLAN),
		),
	},
}

// s15Probes are the bounce scan's 20 PORTs, ports 8000-8019 of the target;
// 8005, 8010 and 8015 are open. onServerLAN: the server's connections to
// the target are seen.
func s15Probes(onServerLAN bool) []xfer {
	var out []xfer
	for port := 8000; port < 8020; port++ {
		addr := "${bounce_target}:" + strconv.Itoa(port)
		switch {
		case port%5 == 0 && port != 8000 && onServerLAN:
			out = append(out, xfer{Command: "LIST", Mode: "active", Addr: addr, NegReply: 200, State: "established", Initiator: "server", Reply: 226})
		case port%5 == 0 && port != 8000:
			out = append(out, xfer{Command: "LIST", Mode: "active", Addr: addr, NegReply: 200, State: "not-captured", Reply: 226})
		case onServerLAN:
			out = append(out, xfer{Mode: "active", Addr: addr, NegReply: 425, State: "refused", Initiator: "server"})
		default:
			out = append(out, xfer{Mode: "active", Addr: addr, NegReply: 425, State: "not-attempted"})
		}
	}
	return out
}
