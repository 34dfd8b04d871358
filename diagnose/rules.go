package diagnose

import (
	"net/netip"
	"slices"
)

// A sessionRule reads a whole session's facts. It adds the findings it
// makes and marks the transfers it explains, which the cause rules then
// leave alone.
type sessionRule struct {
	name string
	run  func(d *run, s *SessionFacts)
}

// A causeRule recognises a transfer's outcome: it returns the transfer's
// finding, fine when the transfer needs none, or nil when the rule does not
// apply. The first rule in causeRules that does not return nil decides.
type causeRule struct {
	name string
	run  func(d *run, s *SessionFacts, t *TransferFacts) *Finding
}

// An observationRule adds a finding beside the transfer's cause (a bounce
// is worth saying whether or not the transfer worked).
type observationRule struct {
	name string
	run  func(d *run, s *SessionFacts, t *TransferFacts) *Finding
}

// fine is what a cause rule returns for a transfer that needs no finding.
var fine = &Finding{}

// sessionRules run first, in this order.
var sessionRules = []sessionRule{
	{"control-never-started", ruleControlNeverStarted},
	{"control-seq-mismatch", ruleControlSeqMismatch},
	{"control-stalled", ruleControlStalled},
	{"lost-bytes", ruleLostBytes},
	{"rewritten-copies", ruleRewrittenCopies},
	{"server-closed", ruleServerClosed},
	{"control-state-lost", ruleControlStateLost},
	{"bounce-scan", ruleBounceScan},
	{"capture-gap", ruleCaptureGap},
	{"cleartext-credentials", ruleCleartextCredentials},
}

// causeRules decide each transfer a session rule did not explain; their
// order is the precedence.
var causeRules = []causeRule{
	{"no-negotiation", ruleNoNegotiation},
	{"inferred-negotiation", ruleInferredNegotiation},
	{"passive-unanswered", rulePassiveUnanswered},
	{"extended-refused", ruleExtendedRefused},
	{"passive-refused", rulePassiveRefused},
	{"passive-reply-unusable", rulePassiveReplyUnusable},
	{"alg-missed-split", ruleMissedSplit},
	{"port-unanswered", rulePortUnanswered},
	{"port-malformed", rulePortMalformed},
	{"port-address-mismatch", rulePortAddressMismatch},
	{"active-nat-no-alg", ruleActiveNATNoALG},
	{"port-rejected", rulePortRejected},
	{"passive-private-address", rulePassivePrivateAddress},
	{"nat-pool-unpaired", ruleNATPoolUnpaired},
	{"server-refused-request", ruleServerRefusedRequest},
	{"data-stalled", ruleDataStalled},
	{"data-worked", ruleDataWorked},
	{"data-not-needed", ruleDataNotNeeded},
	{"data-failed", ruleDataFailed},
}

// observationRules run on every transfer after its cause.
var observationRules = []observationRule{
	{"fxp", ruleFXP},
	{"bounce", ruleBounce},
}

// lateSessionRules run after the transfers were decided: they read what
// the transfers concluded.
var lateSessionRules = []sessionRule{
	{"tls-blind-alg", ruleTLSBlindALG},
}

// run is one diagnosis of one or more sessions at one capture point.
type run struct {
	findings
	// recent are the addresses negotiated at this point (nil: none): a
	// PORT naming a passive one is FXP, not a bounce.
	recent *negotiated
	// once holds the keys of once-per-point findings said in earlier runs;
	// said collects this run's, in the order said (a run says one or two).
	once map[string]bool
	said []string
}

// firstTime reports whether a once-per-point finding keyed k is new at
// this point, and remembers it.
func (d *run) firstTime(k string) bool {
	if d.once[k] {
		return false
	}
	if !slices.Contains(d.said, k) {
		d.said = append(d.said, k)
	}
	return true
}

// isFXP reports whether a server advertised ap in a passive reply at this
// point: a PORT/EPRT naming it is a server-to-server transfer.
func (d *run) isFXP(ap netip.AddrPort) bool {
	_, ok := d.recent.passive(ap)
	return ok
}

// session diagnoses one session.
func (d *run) session(s *SessionFacts) {
	for _, r := range sessionRules {
		r.run(d, s)
	}
	for _, t := range s.Transfers {
		if !t.explained {
			d.transfer(s, t)
		}
	}
	for _, r := range lateSessionRules {
		r.run(d, s)
	}
}

// transfer decides one transfer's cause, then its observations.
func (d *run) transfer(s *SessionFacts, t *TransferFacts) {
	for _, r := range causeRules {
		f := r.run(d, s, t)
		if f == nil {
			continue
		}
		if f != fine {
			d.add(f)
			if f.Severity == Error {
				t.failed = true
			}
		}
		break
	}
	for _, r := range observationRules {
		d.add(r.run(d, s, t))
	}
}
