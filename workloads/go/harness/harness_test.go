package harness

import (
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
		tasks   int
		want    float64
		wantErr bool
	}{
		{"cpu_loop", workload.Params{"iterations": 10_000}, "sequential", 1, 1, workload.CPULoop(10_000), false},
		{"cpu_loop", workload.Params{"iterations": 10_000}, "sequential", 2, 0, 0, true},
		{"cpu_loop", workload.Params{"iterations": 10_000}, "goroutines", 3, 3, workload.CPULoop(10_000), false},
		{"cpu_loop", workload.Params{"iterations": 10_000}, "goroutines", 0, 0, 0, true},
		{"cpu_loop", workload.Params{"iterations": 10_000}, "threads", 1, 0, 0, true},
		{"contention", workload.Params{"increments": 1000}, "goroutines", 4, 4, 4000, false},
		{"channels", workload.Params{"messages": 50, "capacity": 1}, "goroutines", 2, 4, 5050, false},
		{"channels", workload.Params{"messages": 50, "capacity": 1}, "sequential", 1, 0, 0, true},
		{"spawn", workload.Params{"count": 1000}, "goroutines", 1, 1000, 499500, false},
	}
	for _, tt := range tests {
		w, err := workload.Lookup(tt.name)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Run(tt.mode, w, tt.params, tt.workers)
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
