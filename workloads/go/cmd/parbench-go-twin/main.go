// Command parbench-go-twin builds a user's Go twin into a parbench-go binary
// that knows the built-in workloads and the user's (see package parbench/twin).
// containers/go-twin/Dockerfile runs it; any failure is one line on stderr,
// "parbench-go-twin: error: ...", and exit code 1 (2 for bad flags).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"parbench/twin"
)

func main() {
	var b twin.Build
	fs := flag.NewFlagSet("parbench-go-twin", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&b.Name, "workload", "", "the user's workload name, as in the config")
	fs.StringVar(&b.Src, "src", "", "the user's go/ folder (a copy: files are written into it)")
	fs.StringVar(&b.Harness, "harness", "/opt/parbench/go", "the Go harness module's root")
	fs.StringVar(&b.Out, "out", "", "the binary to write")
	const usage = "usage: parbench-go-twin -workload NAME -src DIR -out BINARY [-harness DIR]"
	if err := fs.Parse(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "parbench-go-twin: error: %v; %s\n", err, usage)
		os.Exit(2)
	}
	if b.Src == "" || b.Out == "" || fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "parbench-go-twin: error: %s\n", usage)
		os.Exit(2)
	}
	if err := twin.Run(b); err != nil {
		fmt.Fprintf(os.Stderr, "parbench-go-twin: error: %v\n", err)
		os.Exit(1)
	}
}
