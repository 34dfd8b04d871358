package diagnose

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateREADME = flag.Bool("update", false, "rewrite the README's table of finding codes from the registry")

// codeTable renders the registry as the README's Markdown table.
func codeTable() string {
	var b strings.Builder
	b.WriteString("| code | severity | when |\n| --- | --- | --- |\n")
	for _, e := range Registry() {
		var sev []string
		for _, s := range e.Severities {
			sev = append(sev, s.String())
		}
		b.WriteString("| `" + string(e.Code) + "` | " + strings.Join(sev, ", ") + " | " + e.When + " |\n")
	}
	return b.String()
}

// TestREADMECodeTable: the README's table of finding codes is the
// registry's, word for word (go test ./diagnose -run README -update
// rewrites it).
func TestREADMECodeTable(t *testing.T) {
	const begin, end = "<!-- codes:begin (generated from diagnose.Registry: go test ./diagnose -run README -update) -->\n", "<!-- codes:end -->"
	path := filepath.Join("..", "README.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q markers around the table of finding codes", strings.TrimSpace(begin), end)
	}
	got, want := s[i+len(begin):j], codeTable()
	if got == want {
		return
	}
	if *updateREADME {
		if err := os.WriteFile(path, []byte(s[:i+len(begin)]+want+s[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's table of finding codes differs from diagnose.Registry (go test ./diagnose -run README -update):\n--- README\n%s--- registry\n%s", got, want)
}
