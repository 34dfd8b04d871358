package lab_test

// What each scenario's configuration makes known in advance, per capture
// point: the transfers ftpsniff must report, step by step (one FTP session
// per client step, in order), and the findings it must raise.
//
// Addresses are exact after expanding ${...} from the scenario's facts.json:
//   ${client} ${nat_outside} ${dnat_public} ${server_public} ${server_private}
//   ${pyftpd_permit_foreign} ${pyftpd_default} ${client6} ${server6}
//   ${pasv}      the servers' only passive port
//   ${act:N}     step N's active (PORT/EPRT) port
// An empty Addr is not checked.
//
// Findings: the finding codes each point must show; the test requires each
// one, and, in a scenario whose every step succeeds, no error finding.

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
	Steps    [][]xfer // per client step (= per session, in order), its transfers
	Findings []string // finding codes this point must report (diagnosis issue)
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
	Points    map[string]point // capture point name -> expectations
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
		ALG:   []string{"not-rewritten", "not-rewritten", "not-rewritten"},
		Steps: []string{"fail", "fail", "fail"},
		Points: merge(
			same(point{Steps: steps(
				one(xfer{Mode: "active", Addr: "${client}:${act:1}", NegReply: 500, State: "not-attempted"}),
				one(xfer{Mode: "active", Addr: "${client}:${act:2}", NegReply: 421, State: "not-attempted"}),
				one(xfer{Mode: "active", Addr: "${client}:${act:3}", NegReply: 501, State: "not-attempted"}),
			), Findings: []string{"active-nat-no-alg"}}, clientLAN, natOutside, serverOutside),
			same(point{Steps: steps(
				one(xfer{Mode: "active", Addr: "${client}:${act:1}", NegReply: 500, State: "not-attempted"}),
				one(xfer{Mode: "active", Addr: "${client}:${act:2}", NegReply: 421, State: "no-answer", Initiator: "server"}),
				one(xfer{Mode: "active", Addr: "${client}:${act:3}", NegReply: 501, State: "not-attempted"}),
			), Findings: []string{"active-nat-no-alg"}}, serverLAN),
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
		ALG:       []string{"not-rewritten", "not-rewritten", "not-rewritten", "not-rewritten"},
		ALGPoints: [2]string{serverLAN, serverOutside},
		Steps:     []string{"fail", "ok", "ok", "fail"},
		Points: merge(
			same(point{Steps: steps(
				one(xfer{Mode: "passive", Addr: privPasv, NegReply: 227, State: "no-answer", Initiator: "client"}), // curl trusting
				one(pasvOK("RETR", privPasv)), // curl --ftp-skip-pasv-ip
				one(pasvOK("RETR", privPasv)), // lftp ftp:ignore-pasv-address yes
				one(xfer{Mode: "passive", Addr: privPasv, NegReply: 227, State: "no-answer", Initiator: "client"}), // lftp trusting
			), Findings: []string{"passive-private-address"}}, clientLAN),
			same(point{Steps: steps(
				one(xfer{Mode: "passive", Addr: privPasv, NegReply: 227, State: "not-attempted"}),
				one(pasvOK("RETR", privPasv)),
				one(pasvOK("RETR", privPasv)),
				one(xfer{Mode: "passive", Addr: privPasv, NegReply: 227, State: "not-attempted"}),
			), Findings: []string{"passive-private-address"}}, natOutside, serverOutside, serverLAN),
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
		Steps: []string{"fail", "fail"},
		Points: merge(
			same(point{Steps: steps(
				one(xfer{Mode: "passive", Addr: srvPasv, NegReply: 227, State: "no-answer", Initiator: "client"}),
				one(xfer{Mode: "passive", Addr: srvPasv, NegReply: 227, State: "no-answer", Initiator: "client"}),
			), Findings: []string{"data-no-answer"}}, clientLAN, natOutside, serverOutside),
			same(point{Steps: steps(
				one(xfer{Mode: "passive", Addr: srvPasv, NegReply: 227, State: "not-attempted"}),
				one(xfer{Mode: "passive", Addr: srvPasv, NegReply: 227, State: "not-attempted"}),
			), Findings: []string{"data-not-attempted"}}, serverLAN),
		),
	},
	{
		// 6b. a firewall on r1 (no NAT) rejects the server's active data
		// connection with a TCP reset: vsftpd answers 425; the client LAN
		// never sees the SYN
		Name:  "s6b-fw-reset-active",
		Steps: []string{"fail", "fail"},
		Points: merge(
			same(point{Steps: steps(
				one(xfer{Command: "RETR", Mode: "active", Addr: "${client}:${act:1}", NegReply: 200, State: "not-attempted", Reply: 425}),
				one(xfer{Command: "RETR", Mode: "active", Addr: "${client}:${act:2}", NegReply: 200, State: "not-attempted", Reply: 425}),
			), Findings: []string{"data-not-attempted"}}, clientLAN),
			same(point{Steps: steps(
				one(xfer{Command: "RETR", Mode: "active", Addr: "${client}:${act:1}", NegReply: 200, State: "refused", Initiator: "server", Reply: 425}),
				one(xfer{Command: "RETR", Mode: "active", Addr: "${client}:${act:2}", NegReply: 200, State: "refused", Initiator: "server", Reply: 425}),
			), Findings: []string{"data-refused"}}, natOutside, serverOutside, serverLAN),
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
		Points: same(point{Steps: steps(
			none(), // curl active (AUTH SSL)
			one(xfer{Mode: "passive", Addr: srvPasv, State: "established", Initiator: "client"}), // curl passive
			none(), // lftp active (AUTH TLS)
			one(xfer{Mode: "passive", Addr: srvPasv, State: "established", Initiator: "client"}), // lftp passive
		), Findings: []string{"tls-blind-alg"}}, allPoints...),
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
		ALG:   []string{"missed-split", "rewritten", "rewritten"},
		Steps: []string{"fail", "fail", "ok", "ok"},
		Points: merge(
			same(point{Steps: steps(
				none(),
				one(xfer{Mode: "active", Addr: "${client}:${act:2}", State: "not-attempted"}),
				one(portOK("RETR", "${client}:${act:3}")),
				one(portOK("RETR", "${client}:${act:4}")),
			), Findings: []string{"alg-missed-split"}}, clientLAN),
			same(point{Steps: steps(
				none(),
				none(),
				one(portOK("RETR", "${nat_outside}:${act:3}")),
				one(portOK("RETR", "${nat_outside}:${act:4}")),
			), Findings: []string{}}, natOutside, serverOutside, serverLAN),
		),
	},
}
