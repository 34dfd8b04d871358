package lab_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestExpectationTables checks the scenario tables against lab.sh without
// building a lab (no root needed): same scenarios, every capture point,
// one step list per client step, and only placeholders facts.json defines.
func TestExpectationTables(t *testing.T) {
	out, err := exec.Command("bash", "lab.sh", "list").Output()
	if err != nil {
		t.Fatalf("lab.sh list: %v", err)
	}
	var labNames []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		labNames = append(labNames, strings.Fields(line)[0])
	}
	var testNames []string
	for _, sc := range scenarios {
		testNames = append(testNames, sc.Name)
	}
	if strings.Join(labNames, " ") != strings.Join(testNames, " ") {
		t.Errorf("lab.sh scenarios %v, test scenarios %v", labNames, testNames)
	}

	f := &facts{Addresses: map[string]string{
		"client": "10.1.0.2", "client_gateway": "10.1.0.1", "nat_outside": "198.51.100.1",
		"dnat_public": "198.51.100.2", "server_public": "203.0.113.10", "server_private": "10.2.0.10",
		"pyftpd_permit_foreign": "203.0.113.11", "pyftpd_default": "203.0.113.12",
		"client6": "2001:db8:1::2", "server6": "2001:db8:203::10",
		"server_closed": "203.0.113.20", "server_fw_drop": "203.0.113.21", "server_fw_reject": "203.0.113.22", "bounce_target": "203.0.113.30",
	}}
	f.Ports.Pasv, f.Ports.ActiveBase = 30000, 40000
	if got := expand("${client}:${act:3}", f); got != "10.1.0.2:40003" {
		t.Errorf("expand: %s", got)
	}
	if got := expand("[${server6}]:${pasv}", f); got != "[2001:db8:203::10]:30000" {
		t.Errorf("expand: %s", got)
	}
	modes := map[string]bool{"active": true, "passive": true, "extended-active": true, "extended-passive": true}
	states := map[string]bool{"established": true, "no-answer": true, "refused": true, "unreachable": true, "not-attempted": true, "not-captured": true}
	for _, sc := range scenarios {
		for _, p := range allPoints {
			pt, ok := sc.Points[p]
			if !ok {
				t.Errorf("%s: no expectations for point %s", sc.Name, p)
				continue
			}
			if len(pt.Steps) != sc.sessions() {
				t.Errorf("%s/%s: %d session lists for %d sessions", sc.Name, p, len(pt.Steps), sc.sessions())
			}
			for _, f := range pt.Findings {
				if sev, code, ok := strings.Cut(f, ":"); !ok || sev != "error" && sev != "warning" && sev != "info" || code == "" {
					t.Errorf("%s/%s: finding %q is not severity:code", sc.Name, p, f)
				}
			}
			if pt.Findings == nil {
				t.Errorf("%s/%s: Findings must be an explicit (possibly empty) list", sc.Name, p)
			}
			for i, xs := range pt.Steps {
				for _, x := range xs {
					if a := expand(x.Addr, f); strings.Contains(a, "${") {
						t.Errorf("%s/%s step %d: unknown placeholder in %q", sc.Name, p, i+1, x.Addr)
					}
					if !modes[x.Mode] || !states[x.State] {
						t.Errorf("%s/%s step %d: bad mode %q or state %q", sc.Name, p, i+1, x.Mode, x.State)
					}
					if x.State != "not-attempted" && x.State != "not-captured" && x.Initiator != "client" && x.Initiator != "server" {
						t.Errorf("%s/%s step %d: initiator %q", sc.Name, p, i+1, x.Initiator)
					}
				}
			}
		}
	}
}
