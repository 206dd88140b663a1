package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"parbench/harness"
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
		{"-workload cpu_loop -mode goroutines -param iterations=1 -min-time 0.1 -values-time -1", "-values-time"},
		{"-workload cpu_loop -mode goroutines -param iterations=1 -min-time 0.1 -values-time NaN", "-values-time"},
		{"-workload cpu_loop -mode goroutines -param iterations=1 -min-time 0.1 -values-time Inf", "-values-time"},
		{"-workload cpu_loop -mode goroutines -param iterations=1 -min-time 0.1 -values-time x", "-values-time"},
		{"-workload cpu_loop -mode goroutines -param iterations=1 -min-time 0.1 -values-time 1 -max-values 0", "-max-values"},
		{"-workload cpu_loop -mode goroutines -param iterations=1 -values-time 1", "needs -min-time"},
		{"-workload cpu_loop -mode goroutines -param iterations=1 -min-time 0 -values-time 1", "needs -min-time"},
		{"-workload cpu_loop -mode goroutines -param iterations=1 -loops 2 -values-time 1", "needs -min-time"},
		{"-workload spawn -mode goroutines -param count=2 -values-time 1", "spawn never calibrates"},
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
	calibration := 0
	for calibration < len(records) && records[calibration].Calibration {
		calibration++
	}
	// One loop of cpu_loop(20000) lasts far less than min-time, so at least one trial follows the cold pass.
	if calibration < 2 || len(records) != calibration+4 {
		t.Fatalf("got %d records with %d calibration sections, want a cold pass, trials, 2 warm-ups and 2 repeats", len(records), calibration)
	}
	chosen := records[calibration-1].Loops
	for i, r := range records {
		wantLoops, wantWarmup, wantRepeat := chosen, false, i-calibration-2
		switch {
		case i == 0: // the cold pass
			wantLoops, wantWarmup, wantRepeat = 1, true, 0
		case i < calibration: // a trial; its loops are checked below
			wantLoops, wantWarmup, wantRepeat = r.Loops, true, i
		case i < calibration+2:
			wantLoops, wantWarmup, wantRepeat = 1, true, i-calibration
		}
		if r.Loops != wantLoops || r.Warmup != wantWarmup || r.Repeat != wantRepeat || r.Calibration != (i < calibration) {
			t.Errorf("record %d: loops %d warmup %v calibration %v repeat %d; want loops %d warmup %v repeat %d",
				i, r.Loops, r.Warmup, r.Calibration, r.Repeat, wantLoops, wantWarmup, wantRepeat)
		}
		if math.Abs(r.Seconds*float64(r.Loops)-r.TotalSeconds) > 1e-9*r.TotalSeconds || r.Checksum != checksum {
			t.Errorf("record %d: seconds %v × loops %d != total %v, or checksum %v", i, r.Seconds, r.Loops, r.TotalSeconds, r.Checksum)
		}
	}
	for i := 1; i < calibration; i++ {
		r, before := records[i], records[i-1]
		// After the cold pass a one-loop warm trial checks a pass that lasted min-time but not twice it.
		checked := i == 1 && r.Loops == 1 && before.TotalSeconds >= minTime && before.TotalSeconds < 2*minTime
		if !checked && (r.Loops <= before.Loops || before.TotalSeconds >= minTime) {
			t.Errorf("trial %d: %d loops after %d loops that lasted %v; want more loops, and a trial only after a section below min-time",
				i, r.Loops, before.Loops, before.TotalSeconds)
		}
	}
	if last := records[calibration-1]; last.TotalSeconds < minTime {
		t.Errorf("last trial lasted %v, below min-time", last.TotalSeconds)
	}
}

// shape lists records as kind:loops, kind being cal (calibration), warm or run (measured, with its repeat index).
func shape(records []Record) string {
	var parts []string
	for _, r := range records {
		switch {
		case r.Calibration:
			parts = append(parts, fmt.Sprintf("cal:%d", r.Loops))
		case r.Warmup:
			parts = append(parts, fmt.Sprintf("warm:%d", r.Loops))
		default:
			parts = append(parts, fmt.Sprintf("run%d:%d", r.Repeat, r.Loops))
		}
	}
	return strings.Join(parts, " ")
}

func TestMinTimeBelowOneLoopSkipsTrials(t *testing.T) {
	got := shape(records(t, "-workload cpu_loop -mode goroutines -workers 2 -param iterations=1000 -min-time 1e-9 -warmup 1 -repeats 2"))
	if want := "cal:1 warm:1 run0:1 run1:1"; got != want {
		t.Errorf("records %s, want %s: a cold pass that lasts min-time ends calibration with one loop", got, want)
	}
}

func TestMaxLoopsCapsCalibration(t *testing.T) {
	// A section of cpu_loop(10) never lasts 100 s, so every prediction wants
	// more loops than allowed: each trial grows 100-fold until the cap.
	tests := []struct {
		maxLoops string
		want     string
	}{
		{"50000", "cal:1 cal:100 cal:10000 cal:50000 run0:50000"},
		{"8", "cal:1 cal:8 run0:8"},
		{"1", "cal:1 run0:1"},
	}
	for _, tt := range tests {
		got := shape(records(t, "-workload cpu_loop -mode sequential -param iterations=10 -min-time 100 -max-loops "+tt.maxLoops))
		if got != tt.want {
			t.Errorf("-max-loops %s: records %s, want %s", tt.maxLoops, got, tt.want)
		}
	}
}

func TestValuesTimeChoosesMeasuredRepeats(t *testing.T) {
	// -min-time 1e-9: the cold pass ends calibration, and its section is the one divided.
	const base = "-workload cpu_loop -mode goroutines -workers 2 -param iterations=1000 -min-time 1e-9 -repeats 5 "
	tests := []struct {
		flags string
		want  string
	}{
		{"-values-time 1000 -max-values 3", "cal:1 run0:1 run1:1 run2:1"},            // capped at -max-values
		{"-values-time 1e-9 -max-values 3", "cal:1 run0:1"},                          // one section is enough
		{"-values-time 1000", "cal:1 run0:1"},                                        // -max-values defaults to 1
		{"-values-time 0 -max-values 3", "cal:1 run0:1 run1:1 run2:1 run3:1 run4:1"}, // no values time: -repeats
	}
	for _, tt := range tests {
		if got := shape(records(t, base+tt.flags)); got != tt.want {
			t.Errorf("%s: records %s, want %s", tt.flags, got, tt.want)
		}
	}
}

// mainArgsVariable makes the test binary run Main with these arguments
// instead of the tests, so that a test can see its exit code and output.
const mainArgsVariable = "PARBENCH_GO_TEST_MAIN_ARGS"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(mainArgsVariable); ok {
		os.Exit(Main(strings.Fields(args), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestUsageErrorsExitTwoBeforeMeasuring(t *testing.T) {
	const cell = "-workload cpu_loop -mode sequential -param iterations=10 "
	tests := []struct {
		args string
		code int
	}{
		{cell + "-min-time 0.01 -values-time 0.1 -max-values 2", 0},
		{cell + "-min-time 0.01 -values-time -1", 2},
		{cell + "-min-time 0.01 -values-time NaN", 2},
		{cell + "-min-time 0.01 -values-time 0.1 -max-values 0", 2},
		{cell + "-values-time 0.1", 2},
		{"-workload spawn -mode goroutines -param count=2 -values-time 0.1", 2},
	}
	for _, tt := range tests {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), mainArgsVariable+"="+tt.args)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		code := 0
		if err := cmd.Run(); err != nil {
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("%s: %v", tt.args, err)
			}
			code = exit.ExitCode()
		}
		if code != tt.code {
			t.Errorf("%s: exit code %d, want %d (stderr %q)", tt.args, code, tt.code, stderr.String())
		}
		if tt.code == 2 && (stdout.Len() > 0 || strings.Count(stderr.String(), "\n") != 1) {
			t.Errorf("%s: stdout %q, stderr %q; want nothing measured and one line of error", tt.args, stdout.String(), stderr.String())
		}
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

func TestCalibrateTrustsOnlyALongColdPass(t *testing.T) {
	// Each call's section lasts perLoop[call] × loops; the harness is faked so the times are exact.
	tests := []struct {
		name      string
		perLoop   []float64
		wantLoops []int // loops of each calibration section, cold pass first
		wantChose int
	}{
		{"a cold pass of twice min-time ends calibration", []float64{0.6}, []int{1}, 1},
		{"a cold pass just over min-time is checked warm", []float64{0.4, 0.2, 0.2}, []int{1, 1, 2}, 2},
		{"a warm one-loop trial that lasts min-time is kept", []float64{0.4, 0.35}, []int{1, 1}, 1},
		{"a short cold pass predicts the first trial", []float64{0.01, 0.01}, []int{1, 36}, 36},
		{"a slow cold pass costs one more trial", []float64{0.02, 0.005, 0.005}, []int{1, 18, 72}, 72},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var loops []int
			fake := func(n int, warmup, calibration bool, index int) (harness.Outcome, error) {
				if index != len(loops) || !warmup || !calibration {
					t.Fatalf("section %d: index %d warmup %v calibration %v", len(loops), index, warmup, calibration)
				}
				seconds := tt.perLoop[len(loops)] * float64(n)
				loops = append(loops, n)
				return harness.Outcome{Loops: n, Seconds: seconds}, nil
			}
			chose, _, err := calibrate(fake, 0.3, 1<<20)
			if err != nil || chose != tt.wantChose || fmt.Sprint(loops) != fmt.Sprint(tt.wantLoops) {
				t.Errorf("calibrate chose %d after sections of %v loops (err %v); want %d after %v",
					chose, loops, err, tt.wantChose, tt.wantLoops)
			}
		})
	}
}
