package twin

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestFirstError(t *testing.T) {
	tests := []struct {
		output, want string
	}{
		{"# parbenchtwin\n./task.go:7:9: undefined: foo\n./task.go:8:2: undefined: bar\n", "./task.go:7:9: undefined: foo"},
		{"go: inconsistent vendoring in /src:\n\texample.com/tiny@v1.0.0: is explicitly required in go.mod, but not marked as explicit in vendor/modules.txt\n\n",
			"go: inconsistent vendoring in /src: example.com/tiny@v1.0.0: is explicitly required in go.mod, but not marked as explicit in vendor/modules.txt"},
		{"go: go.mod requires go >= 1.99 (running go 1.24.4; GOTOOLCHAIN=local)\n", "go: go.mod requires go >= 1.99 (running go 1.24.4; GOTOOLCHAIN=local)"},
		{"\n\n", ""},
	}
	for _, tt := range tests {
		if got := FirstError(tt.output); got != tt.want {
			t.Errorf("FirstError(%q) = %q, want %q", tt.output, got, tt.want)
		}
	}
}

func TestExplain(t *testing.T) {
	tests := []struct {
		line, want string
	}{
		{"internal/parbenchtwin/main/main.go:16:58: undefined: user.Setup", "the package in go/ has no Setup: add " + SetupSignature},
		{"internal/parbenchtwin/main/main.go:18:79: cannot use user.Task (value of type func() float64) as func(params map[string]int, index int, workers int, state any) float64 value in variable declaration",
			"Task in go/ has the wrong signature, want " + TaskSignature + " (cannot use user.Task (value of type func() float64) as func(params map[string]int, index int, workers int, state any) float64 value in variable declaration)"},
		{"./task.go:7:9: undefined: foo", "./task.go:7:9: undefined: foo"},
	}
	for _, tt := range tests {
		if got := Explain(tt.line); got != tt.want {
			t.Errorf("Explain(%q) =\n%q, want\n%q", tt.line, got, tt.want)
		}
	}
}

func TestRewriteImports(t *testing.T) {
	const source = "package p\n\nimport (\n\t\"fmt\" // stays\n\t\"parbench/workload\"\n\tx \"parbench\"\n\t\"parbenchmark/other\"\n)\n"
	const want = "package p\n\nimport (\n\t\"fmt\" // stays\n\t\"example.com/m/internal/parbenchtwin/workload\"\n\tx \"example.com/m/internal/parbenchtwin\"\n\t\"parbenchmark/other\"\n)\n"
	got, err := RewriteImports([]byte(source), "parbench", "example.com/m/internal/parbenchtwin")
	if err != nil || string(got) != want {
		t.Errorf("RewriteImports = %v\n%s\nwant\n%s", err, got, want)
	}
	if _, err := RewriteImports([]byte("not go"), "parbench", "x"); err == nil {
		t.Error("RewriteImports accepted text that is not Go")
	}
}

func TestVersions(t *testing.T) {
	for toolchain, want := range map[string]string{"go1.24.4": "1.24", "go1.25rc1": "1.25", "go1.23": "1.23", "devel": "1.18"} {
		if got := languageVersion(toolchain); got != want {
			t.Errorf("languageVersion(%q) = %q, want %q", toolchain, got, want)
		}
	}
	for version, ok := range map[string]bool{"1.18": true, "1.24.0": true, "1.17": false, "": false, "2": false} {
		if err := checkGoVersion(version); (err == nil) != ok {
			t.Errorf("checkGoVersion(%q) = %v, want ok %v", version, err, ok)
		}
	}
}

func TestCheckName(t *testing.T) {
	for name, mentions := range map[string]string{
		"sumsq": "", "word_freq-2.0": "", "": "WORKLOAD=NAME", "two words": "letters, digits", "cpu_loop": "built-in",
	} {
		err := checkName(name)
		if (err == nil) != (mentions == "") || (err != nil && !strings.Contains(err.Error(), mentions)) {
			t.Errorf("checkName(%q) = %v, want an error mentioning %q", name, err, mentions)
		}
	}
}

const sumsq = `package sumsq

// Setup's state is an offset added to every term.
func Setup(params map[string]int, workers int) any { return params["offset"] }

// Task sums (i*i + offset) over worker index's share of 0 .. n-1.
func Task(params map[string]int, index, workers int, state any) float64 {
	n, offset := params["n"], state.(int)
	var total float64
	for i := index * n / workers; i < (index+1)*n/workers; i++ {
		total += float64(i*i + offset)
	}
	return total
}
`

// wrongTask's Task takes float parameters.
const wrongTask = `package sumsq

func Setup(params map[string]int, workers int) any { return nil }

func Task(params map[string]float64, index, workers int, state any) float64 { return params["n"] }
`

// twinCase is a go/ folder (file name to text) and what building it gives:
// the error line, or "" for a binary.
type twinCase struct {
	name  string
	files map[string]string
	want  string
}

func TestRunBuildsOrNamesTheProblem(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command (these tests run in the Go image)")
	}
	tests := []twinCase{
		{"stdlib, no go.mod", map[string]string{"task.go": sumsq}, ""},
		{"own module at go 1.18", map[string]string{"go.mod": "module example.com/me/sumsq\n\ngo 1.18\n", "task.go": sumsq}, ""},
		{"does not compile", map[string]string{"task.go": strings.Replace(sumsq, "return total", "return totl", 1)},
			"./task.go:13:9: undefined: totl"},
		{"no Setup", map[string]string{"task.go": strings.Replace(sumsq, "func Setup", "func setup", 1)},
			"the package in go/ has no Setup: add " + SetupSignature},
		{"Task of the wrong type", map[string]string{"task.go": wrongTask},
			"Task in go/ has the wrong signature, want " + TaskSignature},
		{"package main", map[string]string{"task.go": strings.Replace(sumsq, "package sumsq", "package main", 1)}, "go/ is package main"},
		{"no Go files", map[string]string{"README": "nothing"}, "go/ has no Go files"},
		{"no go line", map[string]string{"go.mod": "module m\n", "task.go": sumsq}, "go.mod has no go line"},
		{"too old a go line", map[string]string{"go.mod": "module m\n\ngo 1.17\n", "task.go": sumsq}, "go.mod says go 1.17"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, out := t.TempDir(), filepath.Join(t.TempDir(), "parbench-go")
			for name, text := range tt.files {
				if err := os.WriteFile(filepath.Join(src, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := Run(Build{Name: "sumsq", Src: src, Harness: "..", Out: out})
			if tt.want != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("Run error = %v, want one line starting %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkTwin(t, out)
		})
	}
}

// checkTwin runs the twin binary on its workload and on a built-in.
func checkTwin(t *testing.T, binary string) {
	t.Helper()
	tests := []struct {
		args string
		want float64
	}{
		// Σ i² for i < 1000 is 332833500; each of the 1000 terms adds offset 1.
		{"-workload sumsq -mode goroutines -workers 3 -param n=1000 -param offset=1", 332834500},
		{"-workload sumsq -mode sequential -param n=1000 -param offset=0 -loops 2", 332833500},
		{"-workload cpu_loop -mode goroutines -workers 2 -param iterations=1000", 498507.4854708605},
	}
	for _, tt := range tests {
		out, err := exec.Command(binary, strings.Fields(tt.args)...).Output()
		if err != nil {
			t.Fatalf("%s: %v", tt.args, err)
		}
		var record struct{ Checksum float64 }
		if err := json.Unmarshal(out, &record); err != nil || record.Checksum != tt.want {
			t.Errorf("%s: output %s (%v), want checksum %v", tt.args, out, err, tt.want)
		}
	}
}
