// Command parbench-go runs one built-in workload under one concurrency mode
// and prints one JSON record per timed section; see package parbench/cli for
// its flags and records. A user's Go twin is this command with one more
// workload registered (see parbench/twin).
package main

import (
	"os"

	"parbench/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
