// Package twin builds a user's Go twin: the user's package (the go/ folder of
// a user workload, with func Setup and func Task) compiled together with the
// Go harness into one parbench-go binary that knows the built-in workloads
// and the user's.
//
// The build happens inside the user's own module, so a go.mod of any module
// path with a vendor/ directory builds as its author built it (-mod=vendor,
// nothing fetched). The harness packages are copied into that module under
// internal/parbenchtwin/ with their imports rewritten to the module's path,
// and a generated main package there registers the user's workload and runs
// the harness's command. A folder without go.mod becomes the root package of
// a generated module. Every failure is one line; a compile failure is the
// compiler's first error.
package twin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/build"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"

	"parbench/workload"
)

// Inside is where, relative to the user's module root, the harness packages
// and the generated main are written.
const Inside = "internal/parbenchtwin"

// GeneratedModule is the module path given to a go/ folder without go.mod.
const GeneratedModule = "parbenchtwin"

// harnessRoot is the harness package the generated main runs; the packages
// it imports from this module are copied with it.
const harnessRoot = "cli"

// SetupSignature and TaskSignature are the functions the contract asks of a twin.
const (
	SetupSignature = "func Setup(params map[string]int, workers int) any"
	TaskSignature  = "func Task(params map[string]int, index, workers int, state any) float64"
)

// minimumGo is the oldest go directive the twin builds with: the
// contract's signatures use any, which go 1.18 introduced.
const minimumGo = 18

// validName is what a workload name may look like: it becomes a flag value
// and a record field, and is matched against config keys.
var validName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// Build says what to build: the workload Name, the user's folder Src (written
// into: go.mod when it has none, and Inside), the harness module's root
// Harness, and the binary to write, Out.
type Build struct {
	Name, Src, Harness, Out string
}

// Run builds the twin; its error is one line.
func Run(b Build) error {
	if err := checkName(b.Name); err != nil {
		return err
	}
	module, err := userModule(b.Src)
	if err != nil {
		return err
	}
	if err := checkPackage(b.Src); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(b.Src, Inside)); err == nil {
		return fmt.Errorf("go/%s exists; parbench-go-twin writes the harness there: move it", Inside)
	}
	if err := copyHarness(b.Harness, filepath.Join(b.Src, Inside), module); err != nil {
		return err
	}
	if err := writeMain(filepath.Join(b.Src, Inside, "main"), module, b.Name); err != nil {
		return err
	}
	return compile(b.Src, b.Out)
}

// checkName refuses a name that is empty, unusual, or a built-in's.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("no workload name: pass --build-arg WORKLOAD=NAME")
	case !validName.MatchString(name):
		return fmt.Errorf("workload name %q: use letters, digits, '_', '.' and '-' only", name)
	}
	if _, err := workload.Lookup(name); err == nil {
		return fmt.Errorf("workload name %q is a built-in workload's: rename the user's workload", name)
	}
	return nil
}

// modFile is what `go mod edit -json` says about a go.mod.
type modFile struct {
	Module struct{ Path string }
	Go     string
}

// userModule is the module path the twin builds in: the folder's go.mod's,
// or GeneratedModule, whose go.mod it then writes.
func userModule(src string) (string, error) {
	goMod := filepath.Join(src, "go.mod")
	if _, err := os.Stat(goMod); errors.Is(err, os.ErrNotExist) {
		text := fmt.Sprintf("module %s\n\ngo %s\n", GeneratedModule, languageVersion(runtime.Version()))
		return GeneratedModule, os.WriteFile(goMod, []byte(text), 0o644)
	}
	out, err := goCommand(src, nil, "mod", "edit", "-json")
	if err != nil {
		return "", err
	}
	var mod modFile
	if err := json.Unmarshal(out, &mod); err != nil {
		return "", fmt.Errorf("reading go.mod: %v", err)
	}
	return mod.Module.Path, checkGoVersion(mod.Go)
}

// languageVersion is the go directive for a toolchain version: go1.24.4 gives 1.24.
func languageVersion(toolchain string) string {
	parts := strings.SplitN(strings.TrimPrefix(toolchain, "go"), ".", 3)
	if len(parts) < 2 {
		return fmt.Sprintf("1.%d", minimumGo)
	}
	minor := parts[1]
	if end := strings.IndexFunc(minor, func(r rune) bool { return r < '0' || r > '9' }); end >= 0 {
		minor = minor[:end] // go1.25rc1
	}
	return parts[0] + "." + minor
}

// checkGoVersion refuses a go directive older than minimumGo (none means go 1.16).
func checkGoVersion(version string) error {
	if version == "" {
		return fmt.Errorf("go.mod has no go line, so Go reads it as go 1.16: add 'go 1.%d' or later", minimumGo)
	}
	parts := strings.SplitN(version, ".", 3)
	minor := -1
	if len(parts) >= 2 && parts[0] == "1" {
		minor, _ = strconv.Atoi(parts[1])
	}
	if minor < minimumGo {
		return fmt.Errorf("go.mod says go %s; a twin needs go 1.%d or later (its signatures use any): raise the go line", version, minimumGo)
	}
	return nil
}

// checkPackage refuses a folder that is no importable package.
func checkPackage(src string) error {
	pkg, err := build.ImportDir(src, 0)
	var none *build.NoGoError
	switch {
	case errors.As(err, &none):
		return fmt.Errorf("go/ has no Go files (besides tests): put the twin's package there, with %s and %s", SetupSignature, TaskSignature)
	case err != nil:
		return fmt.Errorf("go/: %v", oneLine(err.Error()))
	case pkg.Name == "main":
		return errors.New("go/ is package main, which cannot be imported: give it another package name (e.g. package twin)")
	}
	return nil
}

// copyHarness copies the harness packages the generated main needs (the
// command's and those it imports from the harness module, without tests)
// from the harness module at root to dest, importing each other under module.
func copyHarness(root, dest, module string) error {
	todo, seen := []string{harnessRoot}, map[string]bool{harnessRoot: true}
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		pkg, err := build.ImportDir(filepath.Join(root, name), 0)
		if err != nil {
			return fmt.Errorf("harness package %s: %v", name, oneLine(err.Error()))
		}
		if err := os.MkdirAll(filepath.Join(dest, name), 0o755); err != nil {
			return err
		}
		for _, file := range pkg.GoFiles {
			if err := copySource(filepath.Join(pkg.Dir, file), filepath.Join(dest, name, file), name, module); err != nil {
				return err
			}
		}
		for _, path := range pkg.Imports {
			if local, ok := strings.CutPrefix(path, harnessModule+"/"); ok && !seen[local] {
				seen[local] = true
				todo = append(todo, local)
			}
		}
	}
	return nil
}

// harnessModule is the module path of the harness (workloads/go/go.mod).
const harnessModule = "parbench"

// copySource writes the harness file from to to, with its imports of the
// harness module moved under module's Inside.
func copySource(from, to, pkg, module string) error {
	text, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	moved, err := RewriteImports(text, harnessModule, module+"/"+Inside)
	if err != nil {
		return fmt.Errorf("harness file %s: %v", from, err)
	}
	header := fmt.Sprintf("// Code generated by parbench-go-twin from %s/%s; DO NOT EDIT.\n\n", harnessModule, pkg)
	return os.WriteFile(to, append([]byte(header), moved...), 0o644)
}

// writeMain writes the generated main package into dir.
func writeMain(dir, module, name string) error {
	source, err := MainSource(module, name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "main.go"), source, 0o644)
}

// MainSource is the generated main: it registers the user's package in
// module as workload name and runs the harness's command. The signatures are
// checked by assigning Setup and Task to variables of the contract's types,
// each on a line of its own, so the compiler's error names which is wrong.
func MainSource(module, name string) ([]byte, error) {
	inside := module + "/" + Inside
	text := fmt.Sprintf(`// Code generated by parbench-go-twin; DO NOT EDIT.

// Command parbench-go is the Go harness with the user's workload %[1]s
// registered beside the built-in workloads.
package main

import (
	"fmt"
	"os"

	%[2]s
	%[3]s
	user %[4]s
)

var setup func(params map[string]int, workers int) any = user.Setup

var task func(params map[string]int, index, workers int, state any) float64 = user.Task

func main() {
	if err := workload.Register(workload.User(%[1]s, setup, task)); err != nil {
		fmt.Fprintf(os.Stderr, "parbench-go: error: %%v\n", err)
		os.Exit(2)
	}
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
`, strconv.Quote(name), strconv.Quote(inside+"/cli"), strconv.Quote(inside+"/workload"), strconv.Quote(module))
	return format.Source([]byte(text))
}

// compile builds the generated main in the module at src into out.
func compile(src, out string) error {
	env := []string{"GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly"}
	if info, err := os.Stat(filepath.Join(src, "vendor")); err == nil && info.IsDir() {
		env[len(env)-1] = "GOFLAGS=-mod=vendor"
	}
	_, err := goCommand(src, env, "build", "-trimpath", "-o", out, "./"+Inside+"/main")
	return err
}

// goCommand runs the go command in dir with env added; its error is the
// first error line of the output, explained when it is about the contract.
func goCommand(dir string, env []string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		first := FirstError(stderr.String())
		if first == "" {
			first = fmt.Sprintf("go %s: %v", strings.Join(args, " "), err)
		}
		return nil, errors.New(Explain(first))
	}
	return stdout.Bytes(), nil
}

// FirstError is the first error line of the go command's output: package
// headers ("# path") are skipped, and a line ending in ':' (an
// introduction, as in "go: inconsistent vendoring in DIR:") is joined with
// the line after it. Empty output gives "".
func FirstError(output string) string {
	var lines []string
	for _, line := range strings.Split(output, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "# ") {
			lines = append(lines, line)
		}
	}
	switch {
	case len(lines) == 0:
		return ""
	case len(lines) > 1 && strings.HasSuffix(lines[0], ":"):
		return lines[0] + " " + lines[1]
	}
	return lines[0]
}

// Explain turns a compiler error about the generated main's use of Setup or
// Task into what the user must write; other lines are returned as they are.
func Explain(line string) string {
	for _, f := range []struct{ name, signature string }{{"Setup", SetupSignature}, {"Task", TaskSignature}} {
		if !strings.Contains(line, "user."+f.name) {
			continue
		}
		if strings.Contains(line, "undefined: user."+f.name) {
			return fmt.Sprintf("the package in go/ has no %s: add %s", f.name, f.signature)
		}
		return fmt.Sprintf("%s in go/ has the wrong signature, want %s (%s)", f.name, f.signature, compilerMessage(line))
	}
	return line
}

// compilerMessage is a compiler error line without its file:line:column.
func compilerMessage(line string) string {
	if _, message, ok := strings.Cut(line, ".go:"); ok {
		if _, rest, ok := strings.Cut(message, ": "); ok {
			return rest
		}
	}
	return line
}

func oneLine(text string) string { return strings.Join(strings.Fields(text), " ") }
