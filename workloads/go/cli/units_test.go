package cli

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"parbench/harness"
	"parbench/workload"
)

func TestUnitsErrorsAreTheContractsOneLine(t *testing.T) {
	tests := []struct {
		args string
		line string
	}{
		{"-workload cpu_loop -mode goroutines -param iterations=12 -units 0",
			"argument -units: 0 is below 1"},
		{"-workload cpu_loop -mode goroutines -param iterations=12 -units -2",
			"argument -units: -2 is below 1"},
		{"-workload spawn -mode goroutines -param count=12 -units 2",
			"argument -units: spawn cannot be divided into units: its figures are creation costs, which happen once"},
		{"-workload test_sumsq -mode goroutines -param n=12 -units 2",
			"argument -units: a user's workload cannot be divided into units"},
		{"-workload cpu_loop -mode goroutines -param iterations=50000000 -units 7",
			"argument -units: 7 does not divide iterations=50000000 evenly"},
		{"-workload channels -mode goroutines -param messages=10 -param capacity=2 -units 4",
			"argument -units: 4 does not divide messages=10 evenly"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := Main(strings.Fields(tt.args), &stdout, &stderr)
		if want := "parbench-go: error: " + tt.line + "\n"; code != 2 || stderr.String() != want || stdout.Len() > 0 {
			t.Errorf("%s: exit %d, stderr %q, stdout %q; want exit 2, stderr %q and nothing measured",
				tt.args, code, stderr.String(), stdout.String(), want)
		}
	}
}

func TestOneUnitIsAllowedForEveryWorkload(t *testing.T) {
	for _, args := range []string{
		"-workload spawn -mode goroutines -workers 2 -param count=3 -units 1",
		"-workload test_sumsq -mode goroutines -workers 2 -param n=10 -param offset=0 -units 1",
	} {
		if got := records(t, args); len(got) != 1 || got[0].Units != 1 {
			t.Errorf("%s: records %+v, want one with units 1", args, got)
		}
	}
}

func TestUnitRecordsKeepTheConfiguredParamsAndReportPerConfiguredLoop(t *testing.T) {
	tests := []struct {
		args     string
		units    int
		tasks    int
		params   string
		checksum float64
	}{
		{"-workload cpu_loop -mode goroutines -workers 2 -param iterations=1000 -loops 3 -units 4", 4, 2,
			"map[iterations:1000]", workload.CPULoopStrided(1000, 4)},
		{"-workload cpu_loop -mode goroutines -workers 2 -param iterations=1000 -loops 3", 1, 2,
			"map[iterations:1000]", 498507.4854708605}, // cpu_loop(1000), as Python computes it
		{"-workload contention -mode goroutines -workers 2 -param increments=1000 -loops 2 -units 10", 10, 2,
			"map[increments:1000]", 200},
		{"-workload channels -mode goroutines -workers 2 -param messages=100 -param capacity=4 -loops 2 -units 4", 4, 4,
			"map[capacity:4 messages:100]", float64(workload.ChannelSum(2, 25))},
	}
	for _, tt := range tests {
		got := records(t, tt.args)
		if len(got) != 1 {
			t.Fatalf("%s: %d records, want 1", tt.args, len(got))
		}
		r, p := got[0], float64(tt.units)
		if r.Units != tt.units || r.Tasks != tt.tasks || fmt.Sprint(r.Params) != tt.params || r.Checksum != tt.checksum {
			t.Errorf("%s: units %d, tasks %d, params %v, checksum %v; want %d, %d, %s, %v",
				tt.args, r.Units, r.Tasks, r.Params, r.Checksum, tt.units, tt.tasks, tt.params, tt.checksum)
		}
		if want := r.TotalSeconds / float64(r.Loops) * p; r.Seconds != want || r.Loops < 1 {
			t.Errorf("%s: seconds %v over %d loops of total %v, want total / loops * %d = %v",
				tt.args, r.Seconds, r.Loops, r.TotalSeconds, tt.units, want)
		}
	}
}

func TestWithOutcomeScalesEveryPerLoopFigureByUnits(t *testing.T) {
	// Variables, not constants: Go would fold 1.1 / 3 exactly, without float64 rounding.
	total, cpu, first, second, loops := 1.7, 2.9, 1.1, 1.3, 3.0
	out := harness.Outcome{Loops: 3, Seconds: total, CPUSeconds: cpu, WorkerSeconds: []float64{first, second}, SpawnSeconds: 0.01, Checksum: 5}
	for _, units := range []int{1, 4, 7} {
		r, p := withOutcome(Record{Units: units}, out, units), float64(units)
		want := []float64{total / loops * p, cpu / loops * p, first / loops * p, second / loops * p}
		got := []float64{r.Seconds, r.CPUSeconds, r.WorkerSeconds[0], r.WorkerSeconds[1]}
		if fmt.Sprint(got) != fmt.Sprint(want) || r.TotalSeconds != 1.7 || r.SpawnSeconds != 0.01 || r.Checksum != 5 {
			t.Errorf("units %d: seconds, cpu, workers %v, total %v, spawn %v, checksum %v; want %v, 1.7, 0.01, 5",
				units, got, r.TotalSeconds, r.SpawnSeconds, r.Checksum, want)
		}
	}
	// One unit: bit for bit the per-loop figures the record had before units.
	r := withOutcome(Record{}, out, 1)
	for i, pair := range [][2]float64{{r.Seconds, total / loops}, {r.CPUSeconds, cpu / loops}, {r.WorkerSeconds[1], second / loops}} {
		if math.Float64bits(pair[0]) != math.Float64bits(pair[1]) {
			t.Errorf("figure %d with one unit is %v, want %v as before units", i, pair[0], pair[1])
		}
	}
}
