// Package harness runs a workload under a concurrency mode and times it the
// way the Python harness does: workers are started first, wait for one
// signal, and the clock covers only the parallel section.
package harness

import (
	"fmt"
	"sync"
	"syscall"
	"time"

	"parbench/workload"
)

// Modes lists the concurrency modes the Go harness supports.
var Modes = []string{"sequential", "goroutines"}

// Outcome is what one repeat produced.
type Outcome struct {
	Seconds         float64
	SpawnSeconds    float64
	WorkerSeconds   []float64
	WorkerChecksums []float64
	CPUSeconds      float64
	MaxRSSKB        int64
}

// Checksum returns the checksum all workers agree on, or an error if they do not.
func (o Outcome) Checksum() (float64, error) {
	if len(o.WorkerChecksums) == 0 {
		return 0, fmt.Errorf("no worker reported a checksum")
	}
	first := o.WorkerChecksums[0]
	for _, c := range o.WorkerChecksums[1:] {
		if c != first {
			return 0, fmt.Errorf("workers disagree on the checksum: %v", o.WorkerChecksums)
		}
	}
	return first, nil
}

// Run measures one repeat of fn under mode with the given number of workers.
func Run(mode string, fn workload.Func, iterations, workers int) (Outcome, error) {
	if workers < 1 {
		return Outcome{}, fmt.Errorf("workers must be at least 1, got %d", workers)
	}
	switch mode {
	case "sequential":
		if workers != 1 {
			return Outcome{}, fmt.Errorf("sequential mode runs exactly 1 worker, got %d", workers)
		}
		return runSequential(fn, iterations)
	case "goroutines":
		return runGoroutines(fn, iterations, workers)
	default:
		return Outcome{}, fmt.Errorf("unknown mode %q (known: %v)", mode, Modes)
	}
}

func runSequential(fn workload.Func, iterations int) (Outcome, error) {
	cpu0, err := cpuSeconds()
	if err != nil {
		return Outcome{}, err
	}
	start := time.Now()
	value := fn(iterations)
	elapsed := time.Since(start).Seconds()
	return finish(elapsed, []float64{elapsed}, []float64{value}, cpu0)
}

func runGoroutines(fn workload.Func, iterations, workers int) (Outcome, error) {
	seconds := make([]float64, workers)
	values := make([]float64, workers)
	var ready, done sync.WaitGroup
	release := make(chan struct{})
	ready.Add(workers)
	done.Add(workers)
	spawnStart := time.Now()
	for w := 0; w < workers; w++ {
		go func(w int) {
			defer done.Done()
			ready.Done()
			<-release
			t0 := time.Now()
			values[w] = fn(iterations)
			seconds[w] = time.Since(t0).Seconds()
		}(w)
	}
	ready.Wait()
	spawn := time.Since(spawnStart).Seconds()
	cpu0, err := cpuSeconds()
	if err != nil {
		return Outcome{}, err
	}
	start := time.Now()
	close(release)
	done.Wait()
	elapsed := time.Since(start).Seconds()
	out, err := finish(elapsed, seconds, values, cpu0)
	out.SpawnSeconds = spawn
	return out, err
}

func finish(elapsed float64, seconds, values []float64, cpu0 float64) (Outcome, error) {
	cpu1, err := cpuSeconds()
	if err != nil {
		return Outcome{}, err
	}
	rss, err := maxRSSKB()
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{
		Seconds:         elapsed,
		WorkerSeconds:   seconds,
		WorkerChecksums: values,
		CPUSeconds:      cpu1 - cpu0,
		MaxRSSKB:        rss,
	}, nil
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
