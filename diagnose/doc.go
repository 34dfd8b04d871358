// Package diagnose turns what analysis found at a capture point into
// findings: what failed, why, where on the path, the frames that prove it
// and the change that fixes it.
//
// It works in two steps. First, facts are computed once per session and per
// transfer (facts.go): where the capture point sits, how many router hops
// away each host is, whether a NAT is in sight, who opens each data
// connection and what became of it, what the server answered and to what.
// Then an ordered list of named rules (rules.go), one function each, reads
// those facts. Session rules run first and may explain a session's
// transfers (a stalled control connection explains the transfer it
// stalled); each transfer still unexplained goes to the cause rules in
// order, and the first that recognises it gives its finding: the order is
// the precedence. Observation rules (a bounce, clear-text credentials) add
// findings beside the cause. Findings of one code and cause in one session
// are merged: one cause, one finding per session, with every transfer it
// explains.
//
// Every finding's code is a Code with an entry in the Registry, which holds
// its severities and meaning (the README's table is checked against it).
// A rule says only what its capture point can know: where the point cannot
// tell two causes apart, the finding says so and names the capture that
// would.
package diagnose
