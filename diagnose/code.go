package diagnose

// Code is a finding's stable identifier: scripts match on it (JSON Lines
// `code`), people look it up in the README's table.
type Code string

// The finding codes. The contract's codes first, then the ones added since
// (the README's changelog lists them).
const (
	ActiveNATNoALG        Code = "active-nat-no-alg"
	PassivePrivateAddress Code = "passive-private-address"
	DataNoAnswer          Code = "data-no-answer"
	DataRefused           Code = "data-refused"
	DataUnreachable       Code = "data-unreachable"
	DataNotAttempted      Code = "data-not-attempted"
	PortRejected          Code = "port-rejected"
	ALGRewrite            Code = "alg-rewrite"
	ALGRewriteWrong       Code = "alg-rewrite-wrong"
	ALGSeqBroken          Code = "alg-seq-broken"
	ALGMissedSplit        Code = "alg-missed-split"
	TLSBlindALG           Code = "tls-blind-alg"
	ExtendedRefused       Code = "extended-refused"
	Bounce                Code = "bounce"
	CleartextCredentials  Code = "cleartext-credentials"
	TransferFailed        Code = "transfer-failed"
	CaptureGap            Code = "capture-gap"

	DataNotSeen        Code = "data-not-seen"
	ControlNoAnswer    Code = "control-no-answer"
	ControlRefused     Code = "control-refused"
	ControlUnreachable Code = "control-unreachable"
	ControlStalled     Code = "control-stalled"
	ServerClosed       Code = "server-closed"
	LoginFailures      Code = "login-failures"
	BounceScan         Code = "bounce-scan"
	DuplicateRecords   Code = "duplicate-records"
	SeenTwice          Code = "seen-twice"

	// issue 17: broken helpers, NAT state, NAT pools, FXP, stalled data
	PortAddressMismatch Code = "port-address-mismatch"
	ControlSeqMismatch  Code = "control-seq-mismatch"
	NATPoolUnpaired     Code = "nat-pool-unpaired"
	FXP                 Code = "fxp"
	ControlStateLost    Code = "control-state-lost"
	DataStalled         Code = "data-stalled"
)

// CodeInfo is what the registry holds for one code.
type CodeInfo struct {
	Code Code
	// Severities are the severities the code is given, the usual first.
	Severities []Severity
	// When says when the code is given and at which severity, as the
	// README's table says it.
	When string
}

// registry lists every finding code, in the order of the README's table.
// A rule may only make findings of a code listed here, at a severity
// listed for it (the tests check both).
var registry = []CodeInfo{
	{ActiveNATNoALG, sev(Error), "PORT/EPRT advertises a private address that is not the client's address as seen here (a NAT did not rewrite it), or, seen inside, a private address towards a public server, and the server refused it or no connection came back (servers that do not check the address accept any PORT); an address of the shared space 100.64.0.0/10 names a carrier-grade NAT as the one that did not rewrite it"},
	{PortAddressMismatch, sev(Error), "PORT/EPRT names an endpoint that does not match what this point sees: a public address that is neither the client's here nor a private one a NAT left, or a server's data connection arriving at another port of the client than advertised"},
	{PassivePrivateAddress, sev(Error, Warning), "a 227 advertises a private address the client cannot reach; a warning when the client used the control address instead and it worked"},
	{NATPoolUnpaired, sev(Error, Warning), "a passive data connection reached the server from another address than the control connection (a NAT pool without pairing, or a client with several addresses): error when the server refused it (425), warning when it worked because the server does not check; seen inside the NAT, only the server's own refusal (vsftpd \"Bad IP connecting\", pyftpdlib \"foreign address\") says it"},
	{DataNoAnswer, sev(Error), "the data connection's SYN was retransmitted and never answered: dropped between this point and the acceptor, or by the acceptor"},
	{DataRefused, sev(Error), "the data connection's SYN was answered by a TCP reset; the reset's hop count says whether the host itself or a box in front of it sent it"},
	{DataUnreachable, sev(Error), "an ICMP unreachable came back for the data connection, from the router or host it names"},
	{DataNotAttempted, sev(Error), "the transfer failed and the host that should open its data connection sent no SYN, seen on its own link"},
	{DataNotSeen, sev(Error), "the transfer failed and no SYN for its data connection crossed this point, which is not on the opener's own link: it died before this point, or was never sent; the finding says which capture tells"},
	{DataStalled, sev(Error), "a data connection stopped making progress and the transfer failed: the sender resent one segment again and again and the receiver never acknowledged it, or the sender's sequence numbers show bytes that never reached this point; names the bytes acknowledged, the segment resent (offset, size, count, frames), the sizes that got through, and whether an ICMP \"fragmentation needed\" was seen (a path MTU black hole, or a box dropping the connection mid-stream)"},
	{PortRejected, sev(Error, Warning), "the server refused PORT/EPRT with no NAT to explain it (a warning when no transfer needed it)"},
	{ALGRewrite, sev(Info), "an ALG rewrote a negotiation correctly (two capture points, or one capture holding both copies)"},
	{ALGRewriteWrong, sev(Error), "a rewrite whose address or port does not match the NAT's outside address or the data connection that followed"},
	{ALGSeqBroken, sev(Error), "after a length-changing rewrite, sequence/acknowledgement numbers no longer line up across the NAT"},
	{ControlSeqMismatch, sev(Error), "one side's segments carry sequence numbers below what the other end already acknowledged of it: the ends count its bytes differently, as after a box changed a line's length without shifting sequence numbers; the finding says on which side of this point the box is"},
	{ALGMissedSplit, sev(Error, Warning), "a negotiation written in several TCP segments that a NAT's helper dropped; a warning when a merged retransmission recovered it"},
	{TLSBlindALG, sev(Error, Warning, Info), "the control channel is encrypted and a NAT is in sight, so no ALG can read or rewrite it: error when a data connection failed, info when every one worked, warning when none was seen"},
	{ExtendedRefused, sev(Info), "EPSV/EPRT refused and the client fell back"},
	{Bounce, sev(Warning), "PORT/EPRT names a third party (not FXP, not the client's NAT or other address family) or a privileged port, and the server accepted it"},
	{FXP, sev(Info), "a server-to-server transfer (FXP): one client's PORT/EPRT to one server names the passive address another server advertised to the same client; not a bounce"},
	{BounceScan, sev(Warning), "many PORTs to successive ports of one host, each followed by a listing: an FTP bounce port scan, with the ports that answered"},
	{CleartextCredentials, sev(Info), "a non-guest USER/PASS sent without TLS"},
	{LoginFailures, sev(Warning), "failed logins in bulk: attempts, clients, users, and whether any succeeded"},
	{TransferFailed, sev(Error, Warning), "the server refused the request itself (550...) or its passive reply carried no usable address"},
	{ControlNoAnswer, sev(Error), "a control connection's SYN was never answered"},
	{ControlRefused, sev(Error), "a control connection's SYN was answered by a TCP reset"},
	{ControlUnreachable, sev(Error), "an ICMP unreachable came back for a control connection's SYN"},
	{ControlStalled, sev(Error), "bytes one side sent on the control connection were retransmitted and never acknowledged: the path lost them, and the session stalled"},
	{ControlStateLost, sev(Error), "the control connection was silent while a data connection ran, and then the server's final reply met a reset from a box nearer than the client in the client's name (a NAT or firewall that forgot the idle connection), or never arrived and the client's closing got no answer at all"},
	{ServerClosed, sev(Error, Warning), "the server closed the session on its own (421 after an idle timeout or at shutdown): error when a command was left unanswered"},
	{CaptureGap, sev(Warning), "bytes of a control stream that the receiver acknowledged are missing from the capture"},
	{DuplicateRecords, sev(Warning), "the capture holds the same records twice (counted once)"},
	{SeenTwice, sev(Info), "one control connection appears twice in one capture, before and after a NAT (one TCP sequence space, two address pairs)"},
}

func sev(s ...Severity) []Severity { return s }

// Registry returns every finding code's entry, in the README's order.
func Registry() []CodeInfo { return append([]CodeInfo(nil), registry...) }

// Lookup returns a code's entry.
func Lookup(c Code) (CodeInfo, bool) {
	for _, e := range registry {
		if e.Code == c {
			return e, true
		}
	}
	return CodeInfo{}, false
}
