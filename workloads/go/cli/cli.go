// Package cli is the parbench-go command: it runs one workload under one
// concurrency mode and prints one JSON record per timed section on stdout:
// calibration trials, then warm-ups, then measured repeats. Bad arguments produce one line on
// stderr and exit code 2 before anything is measured.
//
// Calibrated timing, with the Python harness's semantics: the timed section
// runs the task set -loops times back to back (goroutines are started and
// parked once, released once, and each task does its work that many times
// in a row). With -min-time S, a cold one-loop pass runs first; unless it
// lasts S by itself, trials follow whose loops are predicted from the
// per-loop time seen so far, as testing.B does (aiming past S, at most
// -max-loops), until one lasts S, and the measured repeats use the last
// trial's loops. With -values-time B as well, the number of measured repeats
// is chosen so that they last about B seconds together (at least 1, at most
// -max-values) instead of being -repeats. Each -warmup runs the task set once.
// Records carry loops, total_seconds and seconds, cpu_seconds and
// worker_seconds per loop; the checksum is one loop's. Spawn runs with
// loops = 1 only: its figures are creation costs, which happen once.
//
// Units: with -units P (default 1), a configured loop of a divisible
// workload is divided into P equal units, and one pass of the timed body is
// one unit, so a section can be shorter than one configured loop. Strided
// workloads (cpu_loop, cpu_loop_strong, alloc) take every P-th element of
// the configured range; shrunk ones (hash, io_wait, contention, channels)
// run with their divided parameter made P times smaller (see
// workload.Unit). P must divide that parameter; spawn and a user's workload
// cannot be divided. Loops, calibration and warm-ups count passes (units);
// the records keep the configured params, gain units, give one unit's
// checksum, and report seconds, cpu_seconds and worker_seconds per
// configured loop: the section's figure / loops * P. With P = 1 everything
// is as without units.
//
// Test-only fault switch: if the environment variable
// PARBENCH_FAULT_CHECKSUM names the workload being run, every record's
// checksum is off by one (checksum + 1), so the pipeline's checksum check can
// be shown to fail. Never set it for a real measurement.
//
// The command lives in a package, not in package main, so that a generated
// main (a user's Go twin, see parbench/twin) can register one more workload
// and then run exactly the same command.
package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"parbench/affinity"
	"parbench/harness"
	"parbench/workload"
)

// SchemaVersion is the version of the record format shared with the Python harness.
const SchemaVersion = 1

// DefaultMaxLoops caps calibration unless -max-loops says otherwise.
const DefaultMaxLoops = 1 << 20

// FaultVariable is the test-only switch that puts a workload's checksums off by one.
const FaultVariable = "PARBENCH_FAULT_CHECKSUM"

// Record is one timed section (calibration trial, warm-up or measured repeat); its field names match the Python harness's.
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
	Units            int            `json:"units"`
	Mode             string         `json:"mode"`
	Workers          int            `json:"workers"`
	Tasks            int            `json:"tasks"`
	StartMethod      *string        `json:"start_method"`
	SetupSeconds     float64        `json:"setup_seconds"`
	Warmup           bool           `json:"warmup"`
	Calibration      bool           `json:"calibration"`
	Repeat           int            `json:"repeat"`
	Loops            int            `json:"loops"`
	TotalSeconds     float64        `json:"total_seconds"`
	Seconds          float64        `json:"seconds"`
	SpawnSeconds     float64        `json:"spawn_seconds"`
	WorkerSeconds    []float64      `json:"worker_seconds"`
	CPUSeconds       float64        `json:"cpu_seconds"`
	MaxRSSKB         int64          `json:"max_rss_kb"`
	RSSBeforeKB      *int64         `json:"rss_before_kb"`
	RSSParkedKB      *int64         `json:"rss_parked_kb"`
	OSThreadsBefore  *int64         `json:"os_threads_before"`
	OSThreadsParked  *int64         `json:"os_threads_parked"`
	LatencyP50Micros *float64       `json:"latency_p50_us"`
	LatencyP99Micros *float64       `json:"latency_p99_us"`
	ThrottledPeriods *int64         `json:"throttled_periods"`
	Checksum         float64        `json:"checksum"`
}

type options struct {
	workload string
	mode     string
	workers  int
	params   workload.Params
	// units divides each configured loop; unitParams are what its tasks run with.
	units      int
	unitParams workload.Params
	repeats    int
	warmup     int
	runtime    string
	loops      int
	minTime    float64
	maxLoops   int
	// valuesTime and maxValues choose the measured repeats instead of
	// repeats when valuesTime > 0 (see harness.Values).
	valuesTime float64
	maxValues  int
}

// paramFlag collects repeated -param NAME=VALUE flags.
type paramFlag workload.Params

func (f paramFlag) String() string { return fmt.Sprint(map[string]int(f)) }

func (f paramFlag) Set(text string) error {
	name, value, ok := strings.Cut(text, "=")
	if !ok || name == "" {
		return fmt.Errorf("%q is not NAME=VALUE", text)
	}
	n, err := strconv.Atoi(value)
	if err != nil {
		return fmt.Errorf("%s: %q is not a whole number", name, value)
	}
	f[name] = n
	return nil
}

// usageError marks bad input, which exits with code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func parseArgs(args []string) (options, error) {
	o := options{params: workload.Params{}}
	fs := flag.NewFlagSet("parbench-go", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.workload, "workload", "", "workload to run")
	fs.StringVar(&o.mode, "mode", "", "concurrency mode: sequential or goroutines")
	fs.IntVar(&o.workers, "workers", 0, "workers (default: CPUs this process may run on)")
	fs.Var(paramFlag(o.params), "param", "workload parameter NAME=VALUE; repeat for each")
	fs.IntVar(&o.repeats, "repeats", 1, "measured repeats")
	fs.IntVar(&o.warmup, "warmup", 0, "unmeasured short warm-ups, each running the task set once")
	fs.IntVar(&o.units, "units", 1, "divide each configured loop into this many equal units, one per pass of the timed body")
	fs.IntVar(&o.loops, "loops", 1, "passes of the task set inside one timed section (each pass one unit; see -units)")
	fs.Float64Var(&o.minTime, "min-time", 0, "calibrate: a cold one-loop pass, then trials with loops predicted from it, until a timed section lasts this many seconds (0: no calibration)")
	fs.IntVar(&o.maxLoops, "max-loops", DefaultMaxLoops, "the most loops calibration may choose")
	fs.Float64Var(&o.valuesTime, "values-time", 0, "with -min-time: run as many measured repeats as last this many seconds together, instead of -repeats (0: -repeats)")
	fs.IntVar(&o.maxValues, "max-values", 1, "the most measured repeats -values-time may choose")
	fs.StringVar(&o.runtime, "runtime", "go", "runtime name recorded in each record")
	if err := fs.Parse(args); err != nil {
		return o, usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return o, usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	w, err := workload.Lookup(o.workload)
	if err != nil {
		return o, usageError{"argument -workload: " + err.Error()}
	}
	if err := w.Validate(o.params); err != nil {
		return o, usageError{"argument -param: " + err.Error()}
	}
	if o.unitParams, err = w.UnitParams(o.params, o.units); err != nil {
		return o, usageError{"argument -units: " + err.Error()}
	}
	switch {
	case o.mode != "sequential" && o.mode != "goroutines":
		return o, usageError{fmt.Sprintf("argument -mode: unknown mode %q (known: %v)", o.mode, harness.Modes)}
	case o.mode == "sequential" && !w.Sequential:
		return o, usageError{fmt.Sprintf("argument -mode: %s runs under goroutines, not sequential", o.workload)}
	case o.repeats < 1:
		return o, usageError{fmt.Sprintf("argument -repeats: %d is below 1", o.repeats)}
	case o.warmup < 0:
		return o, usageError{fmt.Sprintf("argument -warmup: %d is below 0", o.warmup)}
	case o.workers < 0 || (o.workers == 0 && isSet(fs, "workers")):
		return o, usageError{fmt.Sprintf("argument -workers: %d is below 1", o.workers)}
	case o.mode == "sequential" && o.workers > 1:
		return o, usageError{"argument -workers: sequential mode runs exactly 1 worker"}
	}
	if err := loopsProblem(o, isSet(fs, "loops"), isSet(fs, "min-time")); err != nil {
		return o, err
	}
	if err := valuesProblem(o); err != nil {
		return o, err
	}
	if o.mode == "sequential" {
		o.workers = 1
	} else if o.workers == 0 {
		o.workers = runtime.NumCPU()
	}
	return o, nil
}

// loopsProblem checks the loop flags against each other and the workload.
func loopsProblem(o options, loopsSet, minTimeSet bool) error {
	switch {
	case o.loops < 1:
		return usageError{fmt.Sprintf("argument -loops: %d is below 1", o.loops)}
	case badSeconds(o.minTime):
		return usageError{fmt.Sprintf("argument -min-time: %v is not a finite number >= 0", o.minTime)}
	case o.maxLoops < 1:
		return usageError{fmt.Sprintf("argument -max-loops: %d is below 1", o.maxLoops)}
	case loopsSet && minTimeSet:
		return usageError{"argument -loops: not allowed with -min-time, which chooses the loops itself"}
	case o.workload == "spawn" && (o.loops > 1 || o.minTime > 0):
		return usageError{"argument -loops/-min-time: spawn runs with loops = 1 only: " +
			"its figures are per-worker creation costs, and tasks are created once per timed section"}
	}
	return nil
}

// valuesProblem checks the flags that choose the number of measured repeats.
func valuesProblem(o options) error {
	switch {
	case badSeconds(o.valuesTime):
		return usageError{fmt.Sprintf("argument -values-time: %v is not a finite number >= 0", o.valuesTime)}
	case o.maxValues < 1:
		return usageError{fmt.Sprintf("argument -max-values: %d is below 1", o.maxValues)}
	case o.workload == "spawn" && o.valuesTime > 0:
		return usageError{"argument -values-time: spawn never calibrates, so it has no section to divide the time by"}
	case o.valuesTime > 0 && o.minTime <= 0:
		return usageError{"argument -values-time: needs -min-time > 0, whose calibration measures the section it divides"}
	}
	return nil
}

// badSeconds says v is no number of seconds a flag may give: NaN, infinite or negative.
func badSeconds(v float64) bool {
	return math.IsNaN(v) || math.IsInf(v, 0) || v < 0
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
	w, _ := workload.Lookup(o.workload)
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
		Params:         o.params,
		Units:          o.units,
		Mode:           o.mode,
		Workers:        o.workers,
		Tasks:          tasks(w, o),
		SetupSeconds:   time.Since(setupStart).Seconds(),
	}
	fault := 0.0
	if os.Getenv(FaultVariable) == o.workload {
		fault = 1
	}
	enc := json.NewEncoder(stdout)
	var measure measureFunc = func(loops int, warmup, calibration bool, index int) (harness.Outcome, error) {
		before, okBefore := affinity.ThrottledPeriods()
		out, err := harness.Run(o.mode, w, o.unitParams, o.workers, loops)
		if err != nil {
			return out, err
		}
		after, okAfter := affinity.ThrottledPeriods()
		rec := withOutcome(base, out, o.units)
		rec.Warmup, rec.Calibration, rec.Repeat = warmup, calibration, index
		if okBefore && okAfter {
			delta := after - before
			rec.ThrottledPeriods = &delta
		}
		rec.Checksum += fault
		return out, enc.Encode(rec)
	}
	loops, values := o.loops, o.repeats
	if o.minTime > 0 {
		var section float64
		if loops, section, err = calibrate(measure, o.minTime, o.maxLoops); err != nil {
			return err
		}
		if o.valuesTime > 0 {
			values = harness.Values(section, o.valuesTime, o.maxValues)
		}
	}
	for i := 0; i < o.warmup; i++ {
		if _, err := measure(1, true, false, i); err != nil {
			return err
		}
	}
	for i := 0; i < values; i++ {
		if _, err := measure(loops, false, false, i); err != nil {
			return err
		}
	}
	return nil
}

// measureFunc runs one timed section of loops loops and writes its record
// with the given warm-up and calibration flags and repeat index.
type measureFunc func(loops int, warmup, calibration bool, index int) (harness.Outcome, error)

// calibrate runs the calibration sections and returns the loops the measured
// sections use and how long one of them is expected to last (the last
// calibration section's seconds).
//
// The cold first pass (page faults, heap growth, cold caches) runs one loop.
// It ends calibration by itself only if it lasts ColdPassTrust × minTime: a
// long one-loop cell then costs no second full pass, while a cold pass just
// over minTime is checked by a warm trial (on a quick run, a Go contention
// cell's cold pass reached the target and its warm passes took half as long).
// Otherwise each trial's loops are predicted from the section before
// (harness.PredictLoops). A slow cold pass makes that prediction low, which
// costs one more trial, never a short measured section: only a warm section
// that lasts minTime, or a trial of maxLoops loops, ends calibration.
func calibrate(measure measureFunc, minTime float64, maxLoops int) (int, float64, error) {
	cold, err := measure(1, true, true, 0)
	if err != nil {
		return 0, 0, err
	}
	if cold.Seconds >= harness.ColdPassTrust*minTime || maxLoops <= 1 {
		return 1, cold.Seconds, nil
	}
	loops := 1
	if cold.Seconds < minTime {
		loops = harness.PredictLoops(1, cold.Seconds, minTime, maxLoops)
	}
	for index := 1; ; index++ {
		trial, err := measure(loops, true, true, index)
		if err != nil {
			return 0, 0, err
		}
		if trial.Seconds >= minTime || loops >= maxLoops {
			return loops, trial.Seconds, nil
		}
		loops = harness.PredictLoops(loops, trial.Seconds, minTime, maxLoops)
	}
}

// withOutcome is base with one timed section's figures: times per
// configured loop (the section's figure / passes * units, each pass being one
// of units units of a loop) beside the section's total; creation, memory and
// thread figures as measured.
func withOutcome(base Record, out harness.Outcome, units int) Record {
	rec, loops, p := base, float64(out.Loops), float64(units)
	rec.Loops = out.Loops
	rec.TotalSeconds = out.Seconds
	rec.Seconds = out.Seconds / loops * p
	rec.SpawnSeconds = out.SpawnSeconds
	rec.WorkerSeconds = make([]float64, len(out.WorkerSeconds))
	for i, s := range out.WorkerSeconds {
		rec.WorkerSeconds[i] = s / loops * p
	}
	rec.CPUSeconds = out.CPUSeconds / loops * p
	rec.MaxRSSKB = out.MaxRSSKB
	rec.RSSBeforeKB, rec.RSSParkedKB = out.Before.RSSKB, out.Parked.RSSKB
	rec.OSThreadsBefore, rec.OSThreadsParked = out.Before.OSThreads, out.Parked.OSThreads
	rec.LatencyP50Micros = micros(harness.Percentile(out.Latencies, 0.50))
	rec.LatencyP99Micros = micros(harness.Percentile(out.Latencies, 0.99))
	rec.Checksum = out.Checksum
	return rec
}

func tasks(w workload.Workload, o options) int {
	if o.mode == "sequential" {
		return 1
	}
	return w.TaskCount(o.unitParams, o.workers)
}

func micros(d time.Duration, ok bool) *float64 {
	if !ok {
		return nil
	}
	us := float64(d) / float64(time.Microsecond)
	return &us
}

// Main runs the command with args (without the program name) and returns
// its exit code: 0 on success, 2 for bad arguments (nothing measured), 1 for
// a failure while measuring. Errors are one line on stderr.
func Main(args []string, stdout, stderr io.Writer) int {
	if err := run(args, stdout); err != nil {
		fmt.Fprintf(stderr, "parbench-go: error: %v\n", err)
		var usage usageError
		if errors.As(err, &usage) {
			return 2
		}
		return 1
	}
	return 0
}
