// Package harness runs a workload under a concurrency mode and times it the
// way the Python harness does: tasks are started first, wait for one
// signal, and the clock covers only the parallel section.
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

// Outcome is what one repeat produced.
type Outcome struct {
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

// Run measures one repeat of w under mode with the given number of workers.
func Run(mode string, w workload.Workload, p workload.Params, workers int) (Outcome, error) {
	if workers < 1 {
		return Outcome{}, fmt.Errorf("workers must be at least 1, got %d", workers)
	}
	switch mode {
	case "sequential":
		if workers != 1 {
			return Outcome{}, fmt.Errorf("sequential mode runs exactly 1 worker, got %d", workers)
		}
		if !w.Sequential {
			return Outcome{}, fmt.Errorf("%s does not run in sequential mode", w.Name)
		}
		return runSequential(w, p)
	case "goroutines":
		return runGoroutines(w, p, workers)
	default:
		return Outcome{}, fmt.Errorf("unknown mode %q (known: %v)", mode, Modes)
	}
}

func shared(w workload.Workload, p workload.Params, workers int) any {
	if w.Shared == nil {
		return nil
	}
	return w.Shared(p, workers)
}

func runSequential(w workload.Workload, p workload.Params) (Outcome, error) {
	state := shared(w, p, 1)
	before := ReadStatus()
	cpu0, err := cpuSeconds()
	if err != nil {
		return Outcome{}, err
	}
	start := time.Now()
	result := w.Task(p, 0, 1, state)
	elapsed := time.Since(start).Seconds()
	out, err := finish(w, state, elapsed, []float64{elapsed}, []workload.Result{result}, cpu0)
	out.Before, out.Parked = before, before
	return out, err
}

func runGoroutines(w workload.Workload, p workload.Params, workers int) (Outcome, error) {
	tasks := w.TaskCount(p, workers)
	state := shared(w, p, workers)
	seconds := make([]float64, tasks)
	results := make([]workload.Result, tasks)
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
			t0 := time.Now()
			results[i] = w.Task(p, i, workers, state)
			seconds[i] = time.Since(t0).Seconds()
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
	out, err := finish(w, state, elapsed, seconds, results, cpu0)
	out.SpawnSeconds = spawn
	out.Before, out.Parked = before, parked
	return out, err
}

func finish(w workload.Workload, state any, elapsed float64, seconds []float64, results []workload.Result, cpu0 float64) (Outcome, error) {
	cpu1, err := cpuSeconds()
	if err != nil {
		return Outcome{}, err
	}
	rss, err := maxRSSKB()
	if err != nil {
		return Outcome{}, err
	}
	values := make([]float64, len(results))
	var latencies []time.Duration
	for i, r := range results {
		values[i] = r.Value
		latencies = append(latencies, r.Latencies...)
	}
	checksum, err := w.Combine(values)
	if err != nil {
		return Outcome{}, err
	}
	if w.Check != nil {
		if err := w.Check(state, checksum); err != nil {
			return Outcome{}, err
		}
	}
	return Outcome{
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
	rank := max(1, int(math.Ceil(fraction*float64(len(ordered)))))
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
