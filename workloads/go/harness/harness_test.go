package harness

import (
	"math"
	"strings"
	"testing"
	"time"

	"parbench/workload"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		params  workload.Params
		mode    string
		workers int
		loops   int
		tasks   int
		want    float64
		wantErr bool
	}{
		{"cpu_loop", workload.Params{"iterations": 10_000}, "sequential", 1, 1, 1, workload.CPULoop(10_000), false},
		{"cpu_loop", workload.Params{"iterations": 10_000}, "sequential", 1, 4, 1, workload.CPULoop(10_000), false},
		{"cpu_loop", workload.Params{"iterations": 10_000}, "sequential", 2, 1, 0, 0, true},
		{"cpu_loop", workload.Params{"iterations": 10_000}, "goroutines", 3, 1, 3, workload.CPULoop(10_000), false},
		{"cpu_loop", workload.Params{"iterations": 10_000}, "goroutines", 3, 5, 3, workload.CPULoop(10_000), false},
		{"cpu_loop", workload.Params{"iterations": 10_000}, "goroutines", 3, 0, 0, 0, true},
		{"cpu_loop", workload.Params{"iterations": 10_000}, "goroutines", 0, 1, 0, 0, true},
		{"cpu_loop", workload.Params{"iterations": 10_000}, "threads", 1, 1, 0, 0, true},
		{"hash", workload.Params{"megabytes": 1, "rounds": 2}, "goroutines", 2, 3, 2, 20228575573138, false},
		{"contention", workload.Params{"increments": 1000}, "goroutines", 4, 1, 4, 4000, false},
		{"contention", workload.Params{"increments": 1000}, "goroutines", 4, 3, 4, 4000, false},
		{"channels", workload.Params{"messages": 50, "capacity": 1}, "goroutines", 2, 1, 4, 5050, false},
		{"channels", workload.Params{"messages": 50, "capacity": 1}, "goroutines", 2, 7, 4, 5050, false},
		{"channels", workload.Params{"messages": 50, "capacity": 1}, "sequential", 1, 1, 0, 0, true},
		{"spawn", workload.Params{"count": 1000}, "goroutines", 1, 1, 1000, 499500, false},
	}
	for _, tt := range tests {
		w, err := workload.Lookup(tt.name)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Run(tt.mode, w, tt.params, tt.workers, tt.loops)
		if (err != nil) != tt.wantErr {
			t.Fatalf("Run(%s, %q, workers=%d) error = %v, wantErr %v", tt.name, tt.mode, tt.workers, err, tt.wantErr)
		}
		if tt.wantErr {
			continue
		}
		if len(out.WorkerSeconds) != tt.tasks || len(out.WorkerValues) != tt.tasks {
			t.Errorf("Run(%s, %q, %d): %d timings, %d values, want %d", tt.name, tt.mode, tt.workers, len(out.WorkerSeconds), len(out.WorkerValues), tt.tasks)
		}
		if out.Checksum != tt.want {
			t.Errorf("Run(%s, %q, %d) checksum = %v, want %v", tt.name, tt.mode, tt.workers, out.Checksum, tt.want)
		}
		if (out.SpawnSeconds > 0) != (tt.mode == "goroutines") {
			t.Errorf("Run(%s, %q) spawn time %v: want > 0 exactly for goroutines", tt.name, tt.mode, out.SpawnSeconds)
		}
		if out.Seconds <= 0 || out.MaxRSSKB <= 0 || out.CPUSeconds < 0 || out.Parked.RSSKB == nil || out.Parked.OSThreads == nil {
			t.Errorf("Run(%s, %q, %d) = %+v: implausible measurements", tt.name, tt.mode, tt.workers, out)
		}
		if out.Loops != tt.loops {
			t.Errorf("Run(%s, loops=%d) reports %d loops", tt.name, tt.loops, out.Loops)
		}
		if (len(out.Latencies) > 0) != (tt.name == "channels") {
			t.Errorf("Run(%s): %d latency samples, want some exactly for channels", tt.name, len(out.Latencies))
		}
	}
}

func TestPercentile(t *testing.T) {
	samples := []time.Duration{5, 1, 4, 2, 3}
	tests := []struct {
		fraction float64
		want     time.Duration
	}{
		{0.5, 3}, {0.99, 5}, {0.2, 1}, {0.21, 2}, {0, 1},
	}
	for _, tt := range tests {
		if got, ok := Percentile(samples, tt.fraction); !ok || got != tt.want {
			t.Errorf("Percentile(%v) = %v, %v; want %v", tt.fraction, got, ok, tt.want)
		}
	}
	if _, ok := Percentile(nil, 0.5); ok {
		t.Error("Percentile of no samples reported a value")
	}
}

func TestPredictLoops(t *testing.T) {
	tests := []struct {
		about    string
		loops    int
		total    float64
		minTime  float64
		maxLoops int
		want     int
	}{
		// Times are powers of two where it matters, so 1.2 × minTime / per
		// lands well away from a whole number and the ceiling is exact.
		{"cold pass far below target", 1, 0.0625, 0.5, 1 << 20, 10},  // ceil(9.6)
		{"per-loop time gives exactly n", 8, 0.25, 1, 1 << 20, 39},   // per 1/32: ceil(38.4)
		{"growth capped at 100x", 2, 0.0002, 1, 1 << 20, 200},        // wants 12000
		{"cold pass capped at 100x", 1, 1e-7, 1, 1 << 20, 100},       // wants 12 million
		{"capped at max-loops", 64, 0.064, 1, 100, 100},              // wants 1200
		{"already at max-loops", 8, 0.001, 1, 8, 8},                  // never past the cap
		{"at least one more", 8, 2, 1, 1 << 20, 9},                   // wants 5
		{"at least one more with no minimum", 1, 0.5, 0, 1 << 20, 2}, // wants 0
		{"zero total", 4, 0, 1, 1 << 20, 400},                        // nothing measured: grow all allowed
		{"zero total capped at max-loops", 4, 0, 1, 50, 50},
		{"per-loop time too small for an int", 1, 1e-300, 1e300, math.MaxInt, 100}, // overflow: grow all allowed
	}
	for _, tt := range tests {
		if got := PredictLoops(tt.loops, tt.total, tt.minTime, tt.maxLoops); got != tt.want {
			t.Errorf("%s: PredictLoops(%d, %v, %v, %d) = %d, want %d", tt.about, tt.loops, tt.total, tt.minTime, tt.maxLoops, got, tt.want)
		}
	}
}

func TestValues(t *testing.T) {
	tests := []struct {
		section    float64
		valuesTime float64
		maxValues  int
		want       int
	}{
		{0.3, 1.0, 3, 3},  // ceil(3.33) = 4, capped at 3
		{0.4, 1.0, 3, 3},  // ceil(2.5)
		{0.6, 1.0, 3, 2},  // ceil(1.67)
		{5, 1.0, 3, 1},    // one long section is enough
		{0.01, 1.0, 3, 3}, // capped at max-values
		{0.3, 1.0, 1, 1},  // the default max-values
		{0.3, 0, 3, 1},    // no values time: one value
		{0, 1.0, 3, 3},    // a section too short to time: max-values
	}
	for _, tt := range tests {
		if got := Values(tt.section, tt.valuesTime, tt.maxValues); got != tt.want {
			t.Errorf("Values(%v, %v, %d) = %d, want %d", tt.section, tt.valuesTime, tt.maxValues, got, tt.want)
		}
	}
}

func TestSettle(t *testing.T) {
	lookup := func(name string) workload.Workload {
		w, err := workload.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	counter := func(n int) any { // the contention state after n increments
		w := lookup("contention")
		state := w.Shared(workload.Params{"increments": n}, 1)
		w.Task(workload.Params{"increments": n}, 0, 1, state)
		return state
	}
	channel := lookup("channels").Shared(workload.Params{"messages": 3, "capacity": 1}, 2) // one loop sends 1..6
	tests := []struct {
		about   string
		name    string
		state   any
		tallies []Tally
		loops   int
		want    float64
		mention string
	}{
		{"same loops", "cpu_loop", nil, []Tally{{First: 2, Total: 6}, {First: 2, Total: 6}}, 3, 2, ""},
		{"a later loop differs", "cpu_loop", nil, []Tally{{First: 2, Total: 6}, {First: 2, Total: 7, Strayed: true, Stray: 3}}, 3, 0, "later loop"},
		{"tasks differ", "cpu_loop", nil, []Tally{{First: 2, Total: 6}, {First: 3, Total: 9}}, 3, 0, "disagree"},
		{"counter has every loop", "contention", counter(30), []Tally{{First: 5, Total: 15}, {First: 5, Total: 15}}, 3, 10, ""},
		{"counter lost one", "contention", counter(29), []Tally{{First: 5, Total: 15}, {First: 5, Total: 15}}, 3, 0, "lost updates"},
		{"channel delivered every loop", "channels", channel, []Tally{{}, {First: 9, Total: 40, Strayed: true, Stray: 10}, {First: 12, Total: 23}}, 3, 21, ""},
		{"channel lost a message", "channels", channel, []Tally{{First: 9, Total: 40}, {First: 12, Total: 22}}, 3, 0, "expected 63"},
	}
	for _, tt := range tests {
		got, err := Settle(lookup(tt.name), tt.state, tt.tallies, tt.loops)
		if tt.mention == "" && (err != nil || got != tt.want) {
			t.Errorf("%s: Settle = %v, %v; want %v", tt.about, got, err, tt.want)
		}
		if tt.mention != "" && (err == nil || !strings.Contains(err.Error(), tt.mention)) {
			t.Errorf("%s: Settle error = %v, want one mentioning %q", tt.about, err, tt.mention)
		}
	}
}
