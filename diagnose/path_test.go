package diagnose

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// labPath diagnoses one lab scenario captured at every hop
// (lab/captures/path), the points given in path order.
func labPath(t testing.TB, scenario string) *PathDiagnosis {
	t.Helper()
	var points []*Point
	var results []*analyze.Result
	for _, name := range []string{"client-lan", "nat-outside", "server-outside", "server-lan"} {
		p := diagnoseFiles(t, name, labCapture("path/"+scenario+"."+name+".pcap"))
		points = append(points, p)
		results = append(results, p.Result)
	}
	path, err := analyze.FollowPath(results, analyze.PathOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return DiagnosePath(path, points)
}

// storyLines describes each story's findings, one per line:
// "N severity:code [points] summary".
func storyLines(d *PathDiagnosis) string {
	var b strings.Builder
	for i, st := range d.Stories {
		for _, f := range st.Findings {
			fmt.Fprintf(&b, "%d %s:%s [%s] %s\n", i+1, f.Severity, f.Code, strings.Join(f.Points, ","), f.Summary)
		}
	}
	for _, p := range d.Points {
		for _, f := range p.Findings {
			fmt.Fprintf(&b, "point %s %s:%s %s\n", p.Point, f.Severity, f.Code, f.Summary)
		}
	}
	return b.String()
}

// TestDiagnosePathLab reads lab scenarios captured at all four hops: each
// session's findings are one per cause, name the box or the place where a
// SYN died, and nothing the comparison disproves survives.
func TestDiagnosePathLab(t *testing.T) {
	for _, tt := range []struct {
		scenario string
		// stories are, per session, its findings' "severity:code" and text
		// each must hold (in the findings' order).
		stories [][]string
		// never is text no finding of the run may hold.
		never []string
	}{
		{"s3-nat-noalg-active", [][]string{
			{"error:active-nat-no-alg", "Between client-lan and nat-outside: nothing rewrote the client's PORT", `the server answered "500 Illegal PORT command."`},
			{"error:active-nat-no-alg", "Between client-lan and nat-outside", "was seen at server-lan only and never at server-outside: it was lost between server-lan and server-outside"},
			{"error:active-nat-no-alg", "Between client-lan and nat-outside", "501 Rejected"},
		}, []string{"Between nat-outside and", "Between server-outside and"}},
		{"s5-dnat-private-227", [][]string{
			{"error:passive-private-address", "lost between client-lan and nat-outside", "port forwarding between server-outside and server-lan (198.51.100.2 → 10.2.0.10) unchanged"},
			{"warning:passive-private-address", "ignored it"},
			{"warning:passive-private-address", "ignored it"},
			{"error:passive-private-address", "lost between client-lan and nat-outside"},
		}, []string{"Between client-lan and nat-outside"}},
		{"s5c-dnat-alg", [][]string{
			{"info:alg-rewrite", "Between server-outside and server-lan: the NAT's FTP helper rewrote the passive reply"},
			{"info:alg-rewrite", "Between server-outside and server-lan"},
		}, []string{"ignored", "passive-private-address"}},
		{"s6-fw-drop-passive", [][]string{
			{"error:data-no-answer", "At server-outside:", "by a box on the way", "never at server-lan, which is on the server's own link: the server never received it; it was lost between server-outside and server-lan"},
			{"error:data-no-answer", "lost between server-outside and server-lan"},
		}, []string{"the server itself"}},
		{"s6b-fw-reset-active", [][]string{
			{"error:data-refused", "At nat-outside:", "never at client-lan, and a reset came back through server-lan, server-outside and nat-outside: it was refused between nat-outside and client-lan"},
			{"error:data-refused", "refused between nat-outside and client-lan"},
		}, []string{"NAT"}},
		{"s6c-fw-drop-active", [][]string{
			{"error:data-no-answer", "the client never received it; it was lost between nat-outside and client-lan"},
			{"error:data-no-answer", "lost between nat-outside and client-lan"},
		}, []string{"NAT", "the client itself"}},
		{"s11-control-refused", [][]string{
			{"error:control-refused", "At server-lan:", "reset from this link"},
			{"error:control-no-answer", "never at server-lan, whose capture holds nothing from that time on: if it was still running, the SYN was lost between server-outside and server-lan"},
			{"error:control-unreachable", "the SYN was rejected (an ICMP error came back) between server-outside and server-lan"},
		}, []string{"the last capture point on its way"}},
		{"s10-split-port", [][]string{
			{"error:alg-missed-split", "At client-lan:", "the segment was lost between client-lan and nat-outside"},
			{"error:alg-missed-split", "Between client-lan and nat-outside: the client's PORT was split"},
			{"info:alg-rewrite", "rewrote PORT 10.1.0.2:40003 to 198.51.100.1:40003 correctly"},
			{"info:alg-rewrite", "rewrote PORT 10.1.0.2:40004 to 198.51.100.1:40004 correctly"},
		}, []string{"capture lost"}},
		{"s19-nat-state-expiry", [][]string{
			{"error:control-state-lost", "At nat-outside:", "answered by a reset with the client's address 198.51.100.1:",
				"came from this link (no router between, TTL 64), while the client's own packets come from 1 router hop away (TTL 63)",
				"it never reached client-lan: the box between client-lan and nat-outside forgot the connection"},
		}, []string{"this point cannot see where", "stalled"}},
		{"s20-data-stall", [][]string{
			{"error:data-stalled", "At server-lan:", "the server resent its segment at byte 0 (1448 bytes, first sent in frame 24) 4 times (frames 36–39)",
				"no server segment got through on this connection (it sent segments of up to 1448 bytes)",
				"it was lost between server-lan and server-outside"},
		}, []string{"never came here", "control-state-lost"}},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			d := labPath(t, tt.scenario)
			all := storyLines(d)
			if len(d.Stories) != len(tt.stories) {
				t.Fatalf("%d stories, want %d:\n%s", len(d.Stories), len(tt.stories), all)
			}
			for i, st := range d.Stories {
				want := tt.stories[i]
				var got []string
				for _, f := range st.Findings {
					got = append(got, f.Severity.String()+":"+string(f.Code))
				}
				var wantCodes []string
				for _, w := range want {
					if strings.HasPrefix(w, "error:") || strings.HasPrefix(w, "warning:") || strings.HasPrefix(w, "info:") {
						wantCodes = append(wantCodes, w)
					}
				}
				if strings.Join(got, " ") != strings.Join(wantCodes, " ") {
					t.Errorf("session %d: findings %v, want %v\n%s", i+1, got, wantCodes, all)
				}
				// one finding per cause: a code at most once per session
				// and severity, whatever the points said
				seen := map[Code]bool{}
				for _, f := range st.Findings {
					if seen[f.Code] && f.Code != ALGMissedSplit {
						t.Errorf("session %d: %s said twice", i+1, f.Code)
					}
					seen[f.Code] = true
					checkFindingsRegistered(t, []*Finding{f})
				}
				text := ""
				for _, f := range st.Findings {
					text += f.Summary + "\n"
				}
				for _, w := range want[len(wantCodes):] {
					if !strings.Contains(text, w) {
						t.Errorf("session %d does not say %q:\n%s", i+1, w, text)
					}
				}
			}
			for _, n := range tt.never {
				if strings.Contains(all, n) {
					t.Errorf("a finding says %q:\n%s", n, all)
				}
			}
			// The points keep none of the stories' findings.
			for _, p := range d.Points {
				for _, f := range p.Findings {
					for _, st := range d.Stories {
						if slices.Contains(st.At, f.Session) {
							t.Errorf("point %s kept %s about a session of the path", p.Point, f.Code)
						}
					}
				}
			}
		})
	}
}
