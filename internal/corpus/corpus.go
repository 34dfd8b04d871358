// Package corpus gives tests access to the shared corpus of public FTP
// captures (../shared/corpus beside the repository) and to the tshark
// dumps stored beside each capture.
package corpus

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Dir returns the corpus directory, found from the module root (the
// nearest directory above the working directory holding go.mod), or skips
// the test with one line saying why when it is absent.
func Dir(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := wd
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			t.Fatalf("no go.mod above %s", wd)
		}
		root = parent
	}
	dir := filepath.Join(filepath.Dir(root), "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s not found: the corpus tests need the shared/ folder beside the repository", dir)
	}
	return dir
}

// Files returns, sorted, every file of the corpus whose name ends with one
// of the suffixes.
func Files(t testing.TB, suffixes ...string) []string {
	t.Helper()
	dir := Dir(t)
	var out []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, s := range suffixes {
			if strings.HasSuffix(path, s) {
				out = append(out, path)
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no %v files under %s", suffixes, dir)
	}
	sort.Strings(out)
	return out
}

// ReadTSV reads one of the tshark dumps (tab-separated, a header row) into
// one map per row, keyed by the header's field names.
func ReadTSV(t testing.TB, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	var header []string
	var rows []map[string]string
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if header == nil {
			header = cols
			continue
		}
		row := make(map[string]string, len(header))
		for i, h := range header {
			if i < len(cols) {
				row[h] = cols[i]
			}
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}
