package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestParseArgsRejects(t *testing.T) {
	tests := []struct {
		args     string
		mentions string
	}{
		{"-workload nope -mode goroutines -param iterations=1", "-workload"},
		{"-workload cpu_loop -mode threads -param iterations=1", "-mode"},
		{"-workload cpu_loop -mode goroutines -param iterations=0", "-param"},
		{"-workload cpu_loop -mode goroutines -param iterations=1 -workers 0", "-workers"},
		{"-workload cpu_loop -mode goroutines -param iterations=1 -repeats 0", "-repeats"},
		{"-workload cpu_loop -mode sequential -param iterations=1 -workers 2", "-workers"},
		{"-workload cpu_loop -mode goroutines -param iterations=x", "iterations"},
		{"-workload cpu_loop -mode goroutines -param iters=3", "iters"},
		{"-workload cpu_loop -mode goroutines", "iterations"},
		{"-workload channels -mode sequential -param messages=1 -param capacity=1", "sequential"},
		{"-workload hash -mode goroutines -param megabytes=1", "rounds"},
		{"-workload cpu_loop -mode goroutines -param iterations=1 -loops 0", "-loops"},
		{"-workload cpu_loop -mode goroutines -param iterations=1 -loops 2 -min-time 0.1", "not allowed with -min-time"},
		{"-workload cpu_loop -mode goroutines -param iterations=1 -min-time -1", "-min-time"},
		{"-workload cpu_loop -mode goroutines -param iterations=1 -min-time NaN", "-min-time"},
		{"-workload cpu_loop -mode goroutines -param iterations=1 -min-time x", "-min-time"},
		{"-workload cpu_loop -mode goroutines -param iterations=1 -max-loops 0", "-max-loops"},
		{"-workload spawn -mode goroutines -param count=2 -loops 2", "creation costs"},
		{"-workload spawn -mode goroutines -param count=2 -min-time 0.1", "loops = 1 only"},
	}
	for _, tt := range tests {
		_, err := parseArgs(strings.Fields(tt.args))
		var usage usageError
		if !errors.As(err, &usage) {
			t.Errorf("parseArgs(%q) error = %v, want a usage error", tt.args, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.mentions) || strings.Contains(err.Error(), "\n") {
			t.Errorf("parseArgs(%q) error %q should be one line naming %s", tt.args, err, tt.mentions)
		}
	}
}

// records runs the harness with args and decodes its output.
func records(t *testing.T, args string) []Record {
	t.Helper()
	var out bytes.Buffer
	if err := run(strings.Fields(args), &out); err != nil {
		t.Fatal(err)
	}
	var records []Record
	scanner := bufio.NewScanner(&out)
	for scanner.Scan() {
		var r Record
		if err := json.Unmarshal(scanner.Bytes(), &r); err != nil {
			t.Fatalf("bad JSON line %q: %v", scanner.Text(), err)
		}
		records = append(records, r)
	}
	return records
}

func TestRunWritesOneRecordPerRepeat(t *testing.T) {
	records := records(t, "-workload cpu_loop -mode goroutines -workers 2 -param iterations=1000 -warmup 1 -repeats 2")
	if len(records) != 3 {
		t.Fatalf("got %d records, want 3", len(records))
	}
	wantWarmup := []bool{true, false, false}
	wantRepeat := []int{0, 0, 1}
	for i, r := range records {
		if r.Warmup != wantWarmup[i] || r.Repeat != wantRepeat[i] || r.Workers != 2 || r.Schema != SchemaVersion {
			t.Errorf("record %d = %+v", i, r)
		}
		if r.Checksum != 498507.4854708605 { // cpu_loop(1000), as the Python harness computes it
			t.Errorf("record %d checksum %v", i, r.Checksum)
		}
	}
}

func TestRunCalibratesThenWarmsUpThenRepeats(t *testing.T) {
	const minTime = 0.02
	const checksum = 199970010.4807282 // cpu_loop(20000), as the Python harness computes it
	records := records(t, "-workload cpu_loop -mode goroutines -workers 2 -param iterations=20000 -min-time 0.02 -warmup 2 -repeats 2")
	trials := 0
	for trials < len(records) && records[trials].Calibration {
		trials++
	}
	if trials == 0 || len(records) != trials+4 {
		t.Fatalf("got %d records with %d calibration trials, want trials + 2 warm-ups + 2 repeats", len(records), trials)
	}
	chosen := records[trials-1].Loops
	for i, r := range records {
		wantLoops, wantWarmup, wantRepeat := chosen, false, i-trials-2
		switch {
		case i == 0: // a cold first pass that decides nothing
			wantLoops, wantWarmup, wantRepeat = 1, true, 0
		case i < trials:
			wantLoops, wantWarmup, wantRepeat = 1<<(i-1), true, i
		case i < trials+2:
			wantLoops, wantWarmup, wantRepeat = 1, true, i-trials
		}
		if r.Loops != wantLoops || r.Warmup != wantWarmup || r.Repeat != wantRepeat || r.Calibration != (i < trials) {
			t.Errorf("record %d: loops %d warmup %v calibration %v repeat %d; want loops %d warmup %v repeat %d",
				i, r.Loops, r.Warmup, r.Calibration, r.Repeat, wantLoops, wantWarmup, wantRepeat)
		}
		if math.Abs(r.Seconds*float64(r.Loops)-r.TotalSeconds) > 1e-9*r.TotalSeconds || r.Checksum != checksum {
			t.Errorf("record %d: seconds %v × loops %d != total %v, or checksum %v", i, r.Seconds, r.Loops, r.TotalSeconds, r.Checksum)
		}
		if i > 0 && i < trials-1 && r.TotalSeconds >= minTime {
			t.Errorf("trial %d lasted %v, at least min-time, but calibration went on", i, r.TotalSeconds)
		}
	}
	if last := records[trials-1]; last.TotalSeconds < minTime {
		t.Errorf("last trial lasted %v, below min-time", last.TotalSeconds)
	}
}

func TestMaxLoopsCapsCalibration(t *testing.T) {
	records := records(t, "-workload cpu_loop -mode sequential -param iterations=10 -min-time 100 -max-loops 8")
	var loops []int
	for _, r := range records {
		loops = append(loops, r.Loops)
	}
	if fmt.Sprint(loops) != "[1 1 2 4 8 8]" || records[len(records)-1].Calibration {
		t.Errorf("loops %v, want [1 1 2 4 8 8] ending in a measured repeat", loops)
	}
}

func TestFaultSwitchMovesOnlyTheNamedWorkloadsChecksum(t *testing.T) {
	tests := []struct {
		fault string
		want  float64
	}{
		{"cpu_loop", 498507.4854708605 + 1},
		{"hash", 498507.4854708605},
	}
	for _, tt := range tests {
		t.Setenv(FaultVariable, tt.fault)
		if got := records(t, "-workload cpu_loop -mode sequential -param iterations=1000")[0].Checksum; got != tt.want {
			t.Errorf("%s=%s: checksum %v, want %v", FaultVariable, tt.fault, got, tt.want)
		}
	}
}
