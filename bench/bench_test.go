package bench_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff/bench/internal/synth"
)

// knownWrong lists the scenarios where ftpsniff is known to disagree with
// the ground truth, with the reason; their subtests skip (the disagreement
// is still logged). Empty: ftpsniff agrees on every scenario.
var knownWrong = map[string]string{}

// report is what the test reads of ftpsniff's JSON Lines.
type report struct {
	sessions  map[string][2]string // id -> client, server
	transfers map[[2]string][]got  // by client, server; in report order
	packets   int64
}

type got struct {
	id, command, mode, address, state string
	code                              int
	used                              bool
}

func (g got) String() string {
	return fmt.Sprintf("%s %q %s %s %s reply %d", g.id, g.command, g.mode, g.address, g.state, g.code)
}

// TestGroundTruth writes a small capture with the benchmark generator, runs
// the ftpsniff binary on it (-F json), and checks that every transfer of
// the ground truth is reported with the same command, mode, address, data
// state and reply code, and that ftpsniff reports no other transfer.
// Subtests: one per scenario, "sessions", and "no-extra".
func TestGroundTruth(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build ftpsniff:", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ftpsniff")
	build := exec.Command(goBin, "build", "-o", bin, "./cmd/ftpsniff")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/ftpsniff: %v\n%s", err, out)
	}

	// Every scenario on IPv4, on IPv6 and on VLAN-tagged frames, small
	// files, FTP a third of the bytes: about 2.5 MB.
	pcap := filepath.Join(dir, "truth.pcap")
	f, err := os.Create(pcap)
	if err != nil {
		t.Fatal(err)
	}
	res, err := synth.Generate(f, synth.Options{Size: 2 << 20, Seed: 7, MaxFile: 16 << 10,
		MinSessions: 3 * len(synth.Scenarios()), FTPShare: 0.3})
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(bin, "-F", "json", pcap)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ftpsniff -F json: %v\n%s", err, stderr.String())
	}
	rep, err := parse(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d bytes, %d packets, %d sessions, %d transfers in the truth; ftpsniff: %d sessions",
		res.Stats.Bytes, res.Stats.Packets, res.Stats.Sessions, len(res.Transfers), len(rep.sessions))

	// Match each truth transfer with the ftpsniff transfer of the same
	// session, mode and address (unique within a session: every
	// negotiation names its own port), then compare the rest.
	byScenario := map[string][]string{}
	for _, want := range res.Transfers {
		key := [2]string{want.SessionClient, want.SessionServer}
		list := rep.transfers[key]
		var m *got
		for i := range list {
			g := &list[i]
			if !g.used && g.mode == want.Mode && g.address == want.Address {
				m = g
				break
			}
		}
		where := fmt.Sprintf("session %s → %s", want.SessionClient, want.SessionServer)
		if want.VLAN {
			where += " (VLAN)"
		}
		if m == nil {
			byScenario[want.Scenario] = append(byScenario[want.Scenario],
				fmt.Sprintf("%s: no transfer with mode %s and address %q; want %s; ftpsniff reported %v", where, want.Mode, want.Address, show(want), list))
			continue
		}
		m.used = true
		if m.command != want.Command || m.state != want.DataState || m.code != want.ReplyCode {
			byScenario[want.Scenario] = append(byScenario[want.Scenario],
				fmt.Sprintf("%s: %s: got %v, want %s", where, m.id, *m, show(want)))
		}
	}
	for _, name := range synth.Scenarios() {
		t.Run(name, func(t *testing.T) {
			errs := byScenario[name]
			if why, ok := knownWrong[name]; ok {
				for _, e := range errs {
					t.Log(e)
				}
				t.Skip("known ftpsniff disagreement:", why)
			}
			for _, e := range errs {
				t.Error(e)
			}
		})
	}
	t.Run("sessions", func(t *testing.T) {
		seen := map[[2]string]bool{}
		for _, cs := range rep.sessions {
			seen[cs] = true
		}
		want := map[[2]string]bool{}
		for _, tr := range res.Transfers {
			want[[2]string{tr.SessionClient, tr.SessionServer}] = true
		}
		for k := range want {
			if !seen[k] {
				t.Errorf("no session %s → %s", k[0], k[1])
			}
		}
		if len(rep.sessions) != res.Stats.Sessions {
			t.Errorf("%d sessions reported, the capture holds %d", len(rep.sessions), res.Stats.Sessions)
		}
		if rep.packets != res.Stats.Packets {
			t.Errorf("summary counts %d packets, the capture holds %d", rep.packets, res.Stats.Packets)
		}
	})
	t.Run("no-extra", func(t *testing.T) {
		for k, list := range rep.transfers {
			for _, g := range list {
				if !g.used {
					t.Errorf("session %s → %s: %v is not in the ground truth", k[0], k[1], g)
				}
			}
		}
	})
}

func show(t synth.Transfer) string {
	return fmt.Sprintf("%q %s %s %s reply %d (scenario %s)", t.Command, t.Mode, t.Address, t.DataState, t.ReplyCode, t.Scenario)
}

// parse reads the session, transfer and summary records of a JSON report.
func parse(out []byte) (*report, error) {
	rep := &report{sessions: map[string][2]string{}, transfers: map[[2]string][]got{}}
	type rec struct {
		Type        string `json:"type"`
		ID          string `json:"id"`
		Client      string `json:"client"`
		Server      string `json:"server"`
		Session     string `json:"session"`
		Command     string `json:"command"`
		Mode        string `json:"mode"`
		Negotiation *struct {
			Address string `json:"address"`
		} `json:"negotiation"`
		Data struct {
			State string `json:"state"`
		} `json:"data"`
		Reply *struct {
			Code int `json:"code"`
		} `json:"reply"`
		Packets int64 `json:"packets"`
	}
	var transfers []rec
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var r rec
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%v: %.200s", err, sc.Text())
		}
		switch r.Type {
		case "session":
			rep.sessions[r.ID] = [2]string{r.Client, r.Server}
		case "transfer":
			transfers = append(transfers, r)
		case "summary":
			rep.packets = r.Packets
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	// Sessions may be written after their transfers: join at the end.
	for _, r := range transfers {
		cs, ok := rep.sessions[r.Session]
		if !ok {
			return nil, fmt.Errorf("transfer %s names session %q, not in the report", r.ID, r.Session)
		}
		g := got{id: r.ID, command: r.Command, mode: r.Mode, state: r.Data.State}
		if r.Negotiation != nil {
			g.address = r.Negotiation.Address
		}
		if r.Reply != nil {
			g.code = r.Reply.Code
		}
		rep.transfers[cs] = append(rep.transfers[cs], g)
	}
	return rep, nil
}
