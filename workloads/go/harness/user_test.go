package harness

import (
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"

	"parbench/workload"
)

// squares is a user's task: worker index's share of 0² + 1² + … + (n-1)².
func squares(p map[string]int, index, workers int, _ any) float64 {
	n := p["n"]
	var total float64
	for i := index * n / workers; i < (index+1)*n/workers; i++ {
		total += float64(i * i)
	}
	return total
}

func TestRunUserWorkloadSumsTasksInIndexOrder(t *testing.T) {
	w := workload.User("sumsq", nil, squares)
	p := workload.Params{"n": 1000}
	for _, tt := range []struct {
		mode           string
		workers, loops int
	}{
		{"sequential", 1, 1},
		{"sequential", 1, 3},
		{"goroutines", 3, 1},
		{"goroutines", 3, 4},
	} {
		out, err := Run(tt.mode, w, p, tt.workers, tt.loops)
		want := 0.0
		for i := 0; i < tt.workers; i++ {
			want += squares(p, i, tt.workers, nil)
		}
		if err != nil || out.Checksum != want || len(out.WorkerValues) != tt.workers {
			t.Errorf("%s workers=%d loops=%d: checksum %v, %d values, err %v; want %v from %d tasks",
				tt.mode, tt.workers, tt.loops, out.Checksum, len(out.WorkerValues), err, want, tt.workers)
		}
	}
}

func TestUserCodeThatDoesNotReturnIsAnError(t *testing.T) {
	quiet := func(map[string]int, int) any { return nil }
	task := func(v float64) workload.TaskFunc {
		return func(map[string]int, int, int, any) float64 { return v }
	}
	panicsOn := func(bad int, v any) workload.TaskFunc {
		return func(_ map[string]int, index, _ int, _ any) float64 {
			if index == bad {
				panic(v)
			}
			return 1
		}
	}
	var counter int
	drifts := func(map[string]int, int, int, any) float64 { counter++; return float64(counter) }
	tests := []struct {
		name    string
		setup   workload.SetupFunc
		task    workload.TaskFunc
		mode    string
		workers int
		loops   int
		want    string
	}{
		{"task panics, goroutines", quiet, panicsOn(1, "boom"), "goroutines", 3, 1, "workload w: task panicked: boom"},
		{"task panics, sequential", quiet, panicsOn(0, "boom"), "sequential", 1, 1, "workload w: task panicked: boom"},
		{"task panics with an error", nil, panicsOn(0, errors.New("bad\nvalue")), "goroutines", 2, 2, "workload w: task panicked: bad value"},
		{"task indexes out of range", nil, func(_ map[string]int, index, _ int, _ any) float64 { return []float64{1}[index] },
			"goroutines", 2, 1, "workload w: task panicked: runtime error: index out of range [1] with length 1"},
		{"task calls Goexit, goroutines", nil, func(map[string]int, int, int, any) float64 { runtime.Goexit(); return 0 },
			"goroutines", 2, 1, "workload w: task did not return"},
		{"task calls Goexit, sequential", nil, func(map[string]int, int, int, any) float64 { runtime.Goexit(); return 0 },
			"sequential", 1, 1, "workload w: task did not return"},
		{"setup panics", func(map[string]int, int) any { panic("no input") }, task(1), "goroutines", 2, 1,
			"workload w: setup panicked: no input"},
		{"setup panics, sequential", func(map[string]int, int) any { panic("no input") }, task(1), "sequential", 1, 1,
			"workload w: setup panicked: no input"},
		{"task returns NaN", nil, task(math.NaN()), "goroutines", 2, 3, "workload w: task 0 returned NaN, not a finite number"},
		{"task returns +Inf", nil, task(math.Inf(1)), "sequential", 1, 1, "workload w: task 0 returned +Inf, not a finite number"},
		{"task is not deterministic", nil, drifts, "sequential", 1, 2, "task 0 returned 2 in a later loop, 1 in the first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(tt.mode, workload.User("w", tt.setup, tt.task), workload.Params{}, tt.workers, tt.loops)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Run error = %v, want one line starting %q", err, tt.want)
			}
		})
	}
}
