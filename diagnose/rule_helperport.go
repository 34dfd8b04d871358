package diagnose

import (
	"fmt"
	"strings"
)

// ftpControlPort is the port FTP helpers watch unless told otherwise
// (Linux nf_conntrack_ftp's ports=21, and most ALGs).
const ftpControlPort = 21

// helperPortWords is the sentence a missed rewrite gets when the control
// connection is not on port 21: a helper reads only the control
// connections on the ports it is attached to. At one point this is the
// likely reason, said with what would confirm it; a box that rewrote
// another session's PORT on port 21 (confirmed) says it as a fact.
func helperPortWords(port uint16, cmd, confirmed string) string {
	if confirmed != "" {
		return fmt.Sprintf("The control connection is on port %d, not %d, and %s: its FTP helper watches port %d and not %d.", port, ftpControlPort, confirmed, ftpControlPort, port)
	}
	return fmt.Sprintf("The control connection is on port %d, not %d: an FTP helper reads only control connections on the ports it is attached to "+
		"(Linux nf_conntrack_ftp: ports=21 by default; most ALGs watch port 21 only), the likely reason nothing rewrote this %s; "+
		"an active transfer to a port-21 server rewritten by the same NAT, or captures on both sides of it, would confirm it.", port, ftpControlPort, cmd)
}

// helperPortAdvice is the fix for a helper that does not watch the
// session's control port.
func helperPortAdvice(port uint16) string {
	return fmt.Sprintf("Attach the FTP helper to port %d as well (nftables: tcp dport { 21, %d } ct helper set \"ftp-standard\" beside the ct helper object; "+
		"with automatic helper assignment: the module option nf_conntrack_ftp ports=21,%d; on other routers, add %d to the FTP ALG's port list), "+
		"or use passive mode. No helper can do this for FTPS.", port, port, port, port)
}

// withHelperPort rewrites a missed-rewrite finding for a control
// connection not on port 21: the port sentence, and the port list fix.
func withHelperPort(f *Finding, port uint16, cmd, confirmed string) {
	if port == ftpControlPort || port == 0 {
		return
	}
	f.Summary = strings.TrimSuffix(f.Summary, ".") + ". " + helperPortWords(port, cmd, confirmed)
	f.Advice = helperPortAdvice(port)
}
