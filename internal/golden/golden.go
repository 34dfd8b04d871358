// Package golden compares a test's output with a file checked in beside
// it, and rewrites the file when the test runs with -update.
package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Check compares got with the file at path; with update it writes got
// there instead (creating the directory), for a person to review in the
// diff. how says how to run the update ("go test ./report/ladder -run
// Golden -update").
func Check(t testing.TB, path, got string, update bool, how string) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (%s writes it)", err, how)
	}
	if got != string(want) {
		t.Errorf("the output differs from %s (%s, once the change is checked):\n%s", path, how, Diff(string(want), got))
	}
}

// Diff lists the lines that differ, numbered from 1.
func Diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var x, y string
		if i < len(w) {
			x = w[i]
		}
		if i < len(g) {
			y = g[i]
		}
		if x != y {
			fmt.Fprintf(&b, "line %d\n- want: %s\n-  got: %s\n", i+1, x, y)
		}
	}
	return b.String()
}
