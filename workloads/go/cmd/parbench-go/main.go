// Command parbench-go runs one workload under one concurrency mode and
// prints one JSON record per repeat (warm-ups included, flagged) on stdout.
// Bad arguments produce one line on stderr and exit code 2 before anything
// is measured.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"parbench/affinity"
	"parbench/harness"
	"parbench/workload"
)

// SchemaVersion is the version of the record format shared with the Python harness.
const SchemaVersion = 1

// Record is one measured repeat; its field names match the Python harness's.
type Record struct {
	Schema           int            `json:"schema"`
	Harness          string         `json:"harness"`
	Runtime          string         `json:"runtime"`
	RuntimeVersion   string         `json:"runtime_version"`
	Implementation   string         `json:"implementation"`
	GILBuildDisabled *bool          `json:"gil_build_disabled"`
	GILEnabled       *bool          `json:"gil_enabled"`
	GOMAXPROCS       int            `json:"gomaxprocs"`
	NumCPU           int            `json:"numcpu"`
	CPUCount         int            `json:"cpu_count"`
	Affinity         string         `json:"affinity"`
	PID              int            `json:"pid"`
	Workload         string         `json:"workload"`
	Params           map[string]int `json:"params"`
	Iterations       int            `json:"iterations"`
	Mode             string         `json:"mode"`
	Workers          int            `json:"workers"`
	StartMethod      *string        `json:"start_method"`
	SetupSeconds     float64        `json:"setup_seconds"`
	Warmup           bool           `json:"warmup"`
	Repeat           int            `json:"repeat"`
	Seconds          float64        `json:"seconds"`
	SpawnSeconds     float64        `json:"spawn_seconds"`
	WorkerSeconds    []float64      `json:"worker_seconds"`
	CPUSeconds       float64        `json:"cpu_seconds"`
	MaxRSSKB         int64          `json:"max_rss_kb"`
	ThrottledPeriods *int64         `json:"throttled_periods"`
	Checksum         float64        `json:"checksum"`
}

type options struct {
	workload   string
	mode       string
	workers    int
	iterations int
	repeats    int
	warmup     int
	runtime    string
}

// usageError marks bad input, which exits with code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func parseArgs(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("parbench-go", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.workload, "workload", "", "workload to run")
	fs.StringVar(&o.mode, "mode", "", "concurrency mode: sequential or goroutines")
	fs.IntVar(&o.workers, "workers", 0, "workers (default: CPUs this process may run on)")
	fs.IntVar(&o.iterations, "iterations", 0, "iterations per worker")
	fs.IntVar(&o.repeats, "repeats", 1, "measured repeats")
	fs.IntVar(&o.warmup, "warmup", 0, "warm-up repeats, reported but flagged")
	fs.StringVar(&o.runtime, "runtime", "go", "runtime name recorded in each record")
	if err := fs.Parse(args); err != nil {
		return o, usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return o, usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if _, err := workload.Lookup(o.workload); err != nil {
		return o, usageError{"argument -workload: " + err.Error()}
	}
	switch {
	case o.mode != "sequential" && o.mode != "goroutines":
		return o, usageError{fmt.Sprintf("argument -mode: unknown mode %q (known: %v)", o.mode, harness.Modes)}
	case o.iterations < 1:
		return o, usageError{fmt.Sprintf("argument -iterations: %d is below 1", o.iterations)}
	case o.repeats < 1:
		return o, usageError{fmt.Sprintf("argument -repeats: %d is below 1", o.repeats)}
	case o.warmup < 0:
		return o, usageError{fmt.Sprintf("argument -warmup: %d is below 0", o.warmup)}
	case o.workers < 0 || (o.workers == 0 && isSet(fs, "workers")):
		return o, usageError{fmt.Sprintf("argument -workers: %d is below 1", o.workers)}
	case o.mode == "sequential" && o.workers > 1:
		return o, usageError{"argument -workers: sequential mode runs exactly 1 worker"}
	}
	if o.mode == "sequential" {
		o.workers = 1
	} else if o.workers == 0 {
		o.workers = runtime.NumCPU()
	}
	return o, nil
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func run(args []string, stdout io.Writer) error {
	setupStart := time.Now()
	o, err := parseArgs(args)
	if err != nil {
		return err
	}
	fn, _ := workload.Lookup(o.workload)
	cpus, err := affinity.Current()
	if err != nil {
		return fmt.Errorf("reading affinity: %w", err)
	}
	base := Record{
		Schema:         SchemaVersion,
		Harness:        "go",
		Runtime:        o.runtime,
		RuntimeVersion: runtime.Version(),
		Implementation: "gc",
		GOMAXPROCS:     runtime.GOMAXPROCS(0),
		NumCPU:         runtime.NumCPU(),
		CPUCount:       runtime.NumCPU(),
		Affinity:       affinity.Format(cpus),
		PID:            os.Getpid(),
		Workload:       o.workload,
		Params:         map[string]int{"iterations": o.iterations},
		Iterations:     o.iterations,
		Mode:           o.mode,
		Workers:        o.workers,
		SetupSeconds:   time.Since(setupStart).Seconds(),
	}
	enc := json.NewEncoder(stdout)
	for i := 0; i < o.warmup+o.repeats; i++ {
		before, okBefore := affinity.ThrottledPeriods()
		out, err := harness.Run(o.mode, fn, o.iterations, o.workers)
		if err != nil {
			return err
		}
		after, okAfter := affinity.ThrottledPeriods()
		sum, err := out.Checksum()
		if err != nil {
			return err
		}
		rec := base
		rec.Warmup = i < o.warmup
		rec.Repeat = i
		if !rec.Warmup {
			rec.Repeat = i - o.warmup
		}
		rec.Seconds = out.Seconds
		rec.SpawnSeconds = out.SpawnSeconds
		rec.WorkerSeconds = out.WorkerSeconds
		rec.CPUSeconds = out.CPUSeconds
		rec.MaxRSSKB = out.MaxRSSKB
		rec.ThrottledPeriods = nil
		if okBefore && okAfter {
			delta := after - before
			rec.ThrottledPeriods = &delta
		}
		rec.Checksum = sum
		if err := enc.Encode(rec); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "parbench-go: error: %v\n", err)
		var usage usageError
		if errors.As(err, &usage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
