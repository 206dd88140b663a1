// Package harness runs a workload under a concurrency mode and times it the
// way the Python harness does: tasks are started first, wait for one
// signal, and the clock covers only the parallel section. Inside it each
// task does its work loops times in a row (the calibrated timing of pyperf
// and testing.B), and every loop's result is verified.
package harness

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"parbench/workload"
)

// Modes lists the concurrency modes the Go harness supports.
var Modes = []string{"sequential", "goroutines"}

// Status is what /proc/self/status says about this process at one moment.
type Status struct {
	RSSKB     *int64
	OSThreads *int64
}

// Outcome is what one timed section produced. Times cover the whole section
// (all loops); the record divides them by Loops.
type Outcome struct {
	Loops         int
	Seconds       float64
	SpawnSeconds  float64
	WorkerSeconds []float64
	WorkerValues  []float64
	Checksum      float64
	CPUSeconds    float64
	MaxRSSKB      int64
	Latencies     []time.Duration
	Before        Status
	Parked        Status
}

// Tally is what one task's loops returned: the first loop's value, the sum
// over all loops, and whether (and with what) a later loop differed from the
// first. Three numbers instead of one per loop keep a million loops cheap.
type Tally struct {
	First, Total float64
	Strayed      bool
	Stray        float64
}

// predictionOvershoot makes a predicted trial aim 20 % past minTime: the
// per-loop time of the section before is noisy, and a trial that falls just
// short of minTime costs a whole further trial.
const predictionOvershoot = 1.2

// maxGrowth caps how many times more loops one trial may run than the one
// before. A short section's per-loop time can be badly off (timer
// resolution, one descheduling, a section too short to register at all), and
// the cap bounds what a prediction from it can cost; testing.B uses the same.
const maxGrowth = 100

// ColdPassTrust is how many times min-time a cold first pass must last for
// calibration to take one loop without a warm trial: a cold pass can be much
// slower than the warm ones, but not enough to halve a long one.
const ColdPassTrust = 2.0

// PredictLoops is the calibration rule: the loops of the next calibration
// trial after loops loops (at least 1) took total seconds. It predicts from
// the per-loop time seen so far, as testing.B does, instead of doubling as
// pyperf does: when doubling from one loop ends, the trials before the last
// have together lasted about as long as the last, which itself lasts between
// minTime and twice that, where a prediction usually needs one trial of
// about 1.2 × minTime. The result is more than loops unless loops is already
// maxLoops (so calibration ends), at most maxGrowth times loops, and never
// more than maxLoops.
func PredictLoops(loops int, total, minTime float64, maxLoops int) int {
	want := math.MaxInt // nothing measurable yet: only the caps limit growth
	if per := total / float64(loops); per > 0 {
		if w := math.Ceil(predictionOvershoot * minTime / per); w < float64(math.MaxInt) {
			want = int(w)
		}
	}
	growth := math.MaxInt
	if loops <= math.MaxInt/maxGrowth {
		growth = maxGrowth * loops
	}
	return smallest(largest(want, loops+1), growth, maxLoops)
}

// smallest and largest are the built-ins min and max, which the harness
// avoids: a user's Go twin compiles the harness inside the user's module,
// whose go directive may predate go1.21, the first with min and max.
func smallest(first int, rest ...int) int {
	for _, v := range rest {
		if v < first {
			first = v
		}
	}
	return first
}

func largest(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// Values is how many measured sections one process runs when each lasts
// about section seconds and together they should last valuesTime seconds:
// at least one, at most maxValues (pyperf's values per process). A process
// whose sections are short then contributes several values for the cost of
// its start-up, and one whose sections are long contributes one. A section
// of zero seconds gives maxValues; a valuesTime of zero or less gives one.
func Values(section, valuesTime float64, maxValues int) int {
	want := 1.0
	if valuesTime > 0 {
		want = math.Max(want, math.Ceil(valuesTime/section))
	}
	if want < float64(maxValues) {
		return int(want)
	}
	return maxValues
}

// runLoops does task index loops times in a row, as one worker does inside the timed section.
func runLoops(w workload.Workload, p workload.Params, index, workers int, state any, loops int) (Tally, []time.Duration) {
	r := w.Task(p, index, workers, state)
	t, latencies := Tally{First: r.Value, Total: r.Value}, r.Latencies
	for l := 1; l < loops; l++ {
		r = w.Task(p, index, workers, state)
		t.Total += r.Value
		if !t.Strayed && r.Value != t.First {
			t.Strayed, t.Stray = true, r.Value
		}
		latencies = append(latencies, r.Latencies...)
	}
	return t, latencies
}

// Settle verifies every loop and returns one loop's checksum from the
// tasks' tallies in task order. A task of a workload that does not
// accumulate must return its first loop's value in every loop; the
// workload's check then sees the values summed over all loops (contention:
// the counter must reach loops × one loop's sum). For accumulating workloads
// (channels) only that total is checked, and the checksum is total / loops.
func Settle(w workload.Workload, state any, tallies []Tally, loops int) (float64, error) {
	var total float64
	for i, t := range tallies {
		if bad := notFinite(t.First, t.Total); bad != nil {
			return 0, fmt.Errorf("workload %s: task %d returned %v, not a finite number", w.Name, i, *bad)
		}
		total += t.Total
	}
	checksum := total / float64(loops)
	if !w.Accumulates {
		firsts := make([]float64, len(tallies))
		for i, t := range tallies {
			if t.Strayed {
				return 0, fmt.Errorf("task %d returned %v in a later loop, %v in the first", i, t.Stray, t.First)
			}
			firsts[i] = t.First
		}
		var err error
		if checksum, err = w.Combine(firsts); err != nil {
			return 0, err
		}
	}
	if w.Check != nil {
		if err := w.Check(state, total, loops); err != nil {
			return 0, err
		}
	}
	return checksum, nil
}

// notFinite is the first of values that is NaN or infinite, or nil. Such a
// value could not be written as JSON, and no checksum could agree with it.
func notFinite(values ...float64) *float64 {
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &values[i]
		}
	}
	return nil
}

// guard runs f, one part of a workload's own code (what names it: "task" or
// "setup"), and stores in *problem why it did not return: a panic, its value
// on one line, or runtime.Goexit. A user's code must end the run with an
// error line, never with a crash dump. The store happens in a deferred call,
// so it is made even when Goexit ends the calling goroutine.
func guard(w workload.Workload, what string, problem *error, f func()) {
	returned := false
	defer func() {
		if v := recover(); v != nil {
			*problem = fmt.Errorf("workload %s: %s panicked: %s", w.Name, what, oneLine(v))
		} else if !returned {
			*problem = fmt.Errorf("workload %s: %s did not return (runtime.Goexit or panic(nil))", w.Name, what)
		}
	}()
	f()
	returned = true
}

// isolated runs f under guard on a goroutine of its own, and waits for it:
// runtime.Goexit on the calling goroutine (the main one) would kill the
// process, on a goroutine of its own it only ends f.
func isolated(w workload.Workload, what string, f func()) error {
	var problem error
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		guard(w, what, &problem, f)
	}()
	<-finished
	return problem
}

// oneLine is a panic value as text on one line: a multi-line message would
// break the one-line error contract.
func oneLine(v any) string {
	return strings.Join(strings.Fields(fmt.Sprint(v)), " ")
}

// Run measures one timed section of w under mode with the given number of
// workers, each task running loops times.
func Run(mode string, w workload.Workload, p workload.Params, workers, loops int) (Outcome, error) {
	if workers < 1 {
		return Outcome{}, fmt.Errorf("workers must be at least 1, got %d", workers)
	}
	if loops < 1 {
		return Outcome{}, fmt.Errorf("loops must be at least 1, got %d", loops)
	}
	switch mode {
	case "sequential":
		if workers != 1 {
			return Outcome{}, fmt.Errorf("sequential mode runs exactly 1 worker, got %d", workers)
		}
		if !w.Sequential {
			return Outcome{}, fmt.Errorf("%s does not run in sequential mode", w.Name)
		}
		return runSequential(w, p, loops)
	case "goroutines":
		return runGoroutines(w, p, workers, loops)
	default:
		return Outcome{}, fmt.Errorf("unknown mode %q (known: %v)", mode, Modes)
	}
}

// shared makes the state a run's tasks share, before the clock starts.
func shared(w workload.Workload, p workload.Params, workers int) (any, error) {
	if w.Shared == nil {
		return nil, nil
	}
	var state any
	err := isolated(w, "setup", func() { state = w.Shared(p, workers) })
	return state, err
}

func runSequential(w workload.Workload, p workload.Params, loops int) (Outcome, error) {
	state, err := shared(w, p, 1)
	if err != nil {
		return Outcome{}, err
	}
	before := ReadStatus()
	cpu0, err := cpuSeconds()
	if err != nil {
		return Outcome{}, err
	}
	var tally Tally
	var latencies []time.Duration
	var elapsed float64
	// The clock runs inside the task's goroutine, so handing it over is not timed.
	if err := isolated(w, "task", func() {
		start := time.Now()
		tally, latencies = runLoops(w, p, 0, 1, state, loops)
		elapsed = time.Since(start).Seconds()
	}); err != nil {
		return Outcome{}, err
	}
	out, err := finish(w, state, loops, elapsed, []float64{elapsed}, []Tally{tally}, [][]time.Duration{latencies}, cpu0)
	out.Before, out.Parked = before, before
	return out, err
}

func runGoroutines(w workload.Workload, p workload.Params, workers, loops int) (Outcome, error) {
	tasks := w.TaskCount(p, workers)
	state, err := shared(w, p, workers)
	if err != nil {
		return Outcome{}, err
	}
	seconds := make([]float64, tasks)
	problems := make([]error, tasks)
	tallies := make([]Tally, tasks)
	latencies := make([][]time.Duration, tasks)
	var ready, done sync.WaitGroup
	release := make(chan struct{})
	ready.Add(tasks)
	done.Add(tasks)
	// Hand memory freed by earlier repeats back to the OS first, so what the
	// parked tasks add shows in the resident size instead of reusing pages.
	debug.FreeOSMemory()
	before := ReadStatus()
	spawnStart := time.Now()
	for i := 0; i < tasks; i++ {
		go func(i int) {
			defer done.Done()
			ready.Done()
			<-release
			guard(w, "task", &problems[i], func() {
				t0 := time.Now()
				tallies[i], latencies[i] = runLoops(w, p, i, workers, state, loops)
				seconds[i] = time.Since(t0).Seconds()
			})
		}(i)
	}
	ready.Wait()
	spawn := time.Since(spawnStart).Seconds()
	parked := ReadStatus()
	cpu0, err := cpuSeconds()
	if err != nil {
		return Outcome{}, err
	}
	start := time.Now()
	close(release)
	done.Wait()
	elapsed := time.Since(start).Seconds()
	// The first task in index order that panicked is the one reported.
	for _, problem := range problems {
		if problem != nil {
			return Outcome{}, problem
		}
	}
	out, err := finish(w, state, loops, elapsed, seconds, tallies, latencies, cpu0)
	out.SpawnSeconds = spawn
	out.Before, out.Parked = before, parked
	return out, err
}

func finish(w workload.Workload, state any, loops int, elapsed float64, seconds []float64, tallies []Tally, samples [][]time.Duration, cpu0 float64) (Outcome, error) {
	cpu1, err := cpuSeconds()
	if err != nil {
		return Outcome{}, err
	}
	rss, err := maxRSSKB()
	if err != nil {
		return Outcome{}, err
	}
	checksum, err := Settle(w, state, tallies, loops)
	if err != nil {
		return Outcome{}, err
	}
	values := make([]float64, len(tallies))
	var latencies []time.Duration
	for i, t := range tallies {
		values[i] = t.First
		latencies = append(latencies, samples[i]...)
	}
	return Outcome{
		Loops:         loops,
		Seconds:       elapsed,
		WorkerSeconds: seconds,
		WorkerValues:  values,
		Checksum:      checksum,
		CPUSeconds:    cpu1 - cpu0,
		MaxRSSKB:      rss,
		Latencies:     latencies,
	}, nil
}

// Percentile is the nearest-rank percentile of samples (the Python harness's
// rule), and false when there are none.
func Percentile(samples []time.Duration, fraction float64) (time.Duration, bool) {
	if len(samples) == 0 {
		return 0, false
	}
	ordered := append([]time.Duration(nil), samples...)
	sort.Slice(ordered, func(i, j int) bool { return ordered[i] < ordered[j] })
	rank := largest(1, int(math.Ceil(fraction*float64(len(ordered)))))
	return ordered[rank-1], true
}

// ReadStatus reads resident memory and the OS thread count from
// /proc/self/status; fields it cannot read stay nil.
func ReadStatus() Status {
	var s Status
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return s
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		key, value, ok := strings.Cut(scanner.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch key {
		case "VmRSS":
			s.RSSKB = &n
		case "Threads":
			s.OSThreads = &n
		}
	}
	return s
}

func cpuSeconds() (float64, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return tvSeconds(ru.Utime) + tvSeconds(ru.Stime), nil
}

func maxRSSKB() (int64, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return int64(ru.Maxrss), nil
}

func tvSeconds(tv syscall.Timeval) float64 {
	return float64(tv.Sec) + float64(tv.Usec)/1e6
}
