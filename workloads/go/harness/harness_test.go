package harness

import (
	"testing"

	"parbench/workload"
)

func TestRun(t *testing.T) {
	tests := []struct {
		mode    string
		workers int
		wantErr bool
	}{
		{"sequential", 1, false},
		{"sequential", 2, true},
		{"goroutines", 1, false},
		{"goroutines", 3, false},
		{"goroutines", 0, true},
		{"threads", 1, true},
	}
	want := workload.CPULoop(10_000)
	for _, tt := range tests {
		out, err := Run(tt.mode, workload.CPULoop, 10_000, tt.workers)
		if (err != nil) != tt.wantErr {
			t.Fatalf("Run(%q, workers=%d) error = %v, wantErr %v", tt.mode, tt.workers, err, tt.wantErr)
		}
		if tt.wantErr {
			continue
		}
		if len(out.WorkerSeconds) != tt.workers || len(out.WorkerChecksums) != tt.workers {
			t.Errorf("Run(%q, %d): %d timings, %d checksums", tt.mode, tt.workers, len(out.WorkerSeconds), len(out.WorkerChecksums))
		}
		got, err := out.Checksum()
		if err != nil || got != want {
			t.Errorf("Run(%q, %d) checksum = %v, %v; want %v", tt.mode, tt.workers, got, err, want)
		}
		if (out.SpawnSeconds > 0) != (tt.mode == "goroutines") {
			t.Errorf("Run(%q, %d) spawn time %v: want > 0 exactly for goroutines", tt.mode, tt.workers, out.SpawnSeconds)
		}
		if out.Seconds <= 0 || out.MaxRSSKB <= 0 || out.CPUSeconds < 0 {
			t.Errorf("Run(%q, %d) = %+v: implausible measurements", tt.mode, tt.workers, out)
		}
	}
}

func TestChecksumDisagreement(t *testing.T) {
	if _, err := (Outcome{WorkerChecksums: []float64{1, 2}}).Checksum(); err == nil {
		t.Error("Checksum of disagreeing workers succeeded, want an error")
	}
	if _, err := (Outcome{}).Checksum(); err == nil {
		t.Error("Checksum of no workers succeeded, want an error")
	}
}
