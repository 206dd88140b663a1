package workload

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestCPULoop(t *testing.T) {
	tests := []struct {
		iterations int
		want       float64
	}{
		{0, 0},
		{1, 0},
		{2, 0.5},
		{4, 0.5 + 4.0/3 + 9.0/4},
		// The value the Python harness computes too (hex 0x1.d1a8ee92b3ff6p+38).
		{1_000_000, 499998500012.9994},
	}
	for _, tt := range tests {
		if got := CPULoop(tt.iterations); got != tt.want {
			t.Errorf("CPULoop(%d) = %v (%x), want %v", tt.iterations, got, math.Float64bits(got), tt.want)
		}
	}
}

// run executes every task of a workload one after another, as a reference.
func run(t *testing.T, name string, p Params, workers int) float64 {
	t.Helper()
	w, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Validate(p); err != nil {
		t.Fatal(err)
	}
	return runTasks(t, w, p, workers)
}

// runTasks is run without the validation, for the parameters a unit runs
// with (which carry the stride no configuration may give).
func runTasks(t *testing.T, w Workload, p Params, workers int) float64 {
	t.Helper()
	var state any
	if w.Shared != nil {
		state = w.Shared(p, workers)
	}
	n := w.TaskCount(p, workers)
	values := make([]float64, n)
	if w.Name == "channels" { // producers and consumers must overlap
		done := make(chan struct{})
		for i := 0; i < workers; i++ {
			go func(i int) { values[i] = w.Task(p, i, workers, state).Value; done <- struct{}{} }(i)
		}
		for i := workers; i < n; i++ {
			values[i] = w.Task(p, i, workers, state).Value
		}
		for i := 0; i < workers; i++ {
			<-done
		}
	} else {
		for i := range values {
			values[i] = w.Task(p, i, workers, state).Value
		}
	}
	sum, err := w.Combine(values)
	if err != nil {
		t.Fatal(err)
	}
	if w.Check != nil {
		if err := w.Check(state, sum, 1); err != nil {
			t.Fatal(err)
		}
	}
	return sum
}

// The wanted values are what workloads/python/workloads.py computes.
func TestChecksumsMatchPython(t *testing.T) {
	tests := []struct {
		name    string
		params  Params
		workers int
		want    float64
	}{
		{"cpu_loop", Params{"iterations": 1_000_000}, 2, 499998500012.9994},
		{"cpu_loop_strong", Params{"iterations": 100_001}, 3, 4999950011.089916},
		{"alloc", Params{"items": 1000}, 2, 13886},
		{"hash", Params{"megabytes": 1, "rounds": 2}, 1, 20228575573138},
		{"io_wait", Params{"tasks": 10, "sleep_us": 0}, 2, 45},
		{"contention", Params{"increments": 500}, 3, 1500},
		{"channels", Params{"messages": 100, "capacity": 4}, 2, 20100},
		{"spawn", Params{"count": 100}, 2, 4950},
	}
	for _, tt := range tests {
		if got := run(t, tt.name, tt.params, tt.workers); got != tt.want {
			t.Errorf("%s%v with %d workers = %v, want %v", tt.name, tt.params, tt.workers, got, tt.want)
		}
	}
}

func TestStrongSliceCoversTheRangeOnce(t *testing.T) {
	for _, workers := range []int{1, 2, 3, 7} {
		next := 0
		for i := 0; i < workers; i++ {
			start, stop := StrongSlice(100, i, workers)
			if start != next || stop < start {
				t.Fatalf("workers=%d: slice %d is [%d, %d), want it to start at %d", workers, i, start, stop, next)
			}
			next = stop
		}
		if next != 100 {
			t.Errorf("workers=%d: slices end at %d, want 100", workers, next)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		params   Params
		mentions string
	}{
		{"hash", Params{"megabytes": 1, "rounds": 1}, ""},
		{"hash", Params{"megabytes": 1}, "rounds"},
		{"hash", Params{"megabytes": 0, "rounds": 1}, "below 1"},
		{"hash", Params{"megabytes": 1, "rounds": 1, "size": 2}, `"size"`},
		{"io_wait", Params{"tasks": 1, "sleep_us": 0}, ""},
	}
	for _, tt := range tests {
		w, _ := Lookup(tt.name)
		err := w.Validate(tt.params)
		if (err == nil) != (tt.mentions == "") || (err != nil && !strings.Contains(err.Error(), tt.mentions)) {
			t.Errorf("Validate(%s, %v) = %v, want an error mentioning %q", tt.name, tt.params, err, tt.mentions)
		}
	}
}

func TestCombine(t *testing.T) {
	same, sum := Workload{}, Workload{Sum: true}
	tests := []struct {
		w       Workload
		values  []float64
		want    float64
		wantErr bool
	}{
		{same, []float64{2, 2}, 2, false},
		{same, []float64{2, 3}, 0, true},
		{same, nil, 0, true},
		{sum, []float64{1, 2, 3}, 6, false},
	}
	for _, tt := range tests {
		got, err := tt.w.Combine(tt.values)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Combine(%v, sum=%v) = %v, %v; want %v, error %v", tt.values, tt.w.Sum, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name    string
		wantErr bool
	}{
		{"cpu_loop", false},
		{"spawn", false},
		{"nope", true},
		{"", true},
	}
	for _, tt := range tests {
		w, err := Lookup(tt.name)
		if (err != nil) != tt.wantErr {
			t.Errorf("Lookup(%q) error = %v, wantErr %v", tt.name, err, tt.wantErr)
		}
		if !tt.wantErr && w.Task == nil {
			t.Errorf("Lookup(%q) returned a workload without a task", tt.name)
		}
	}
}

func TestHashChainIsRoundsOverTheSharedBuffer(t *testing.T) {
	w, _ := Lookup("hash")
	p := Params{"megabytes": 1, "rounds": 2}
	buffer := w.Shared(p, 1).([]byte)
	if len(buffer) != 1<<20 || buffer[255] != 255 || buffer[256] != 0 {
		t.Fatalf("hash buffer: %d bytes starting %v", len(buffer), buffer[:4])
	}
	if got, want := w.Task(p, 0, 1, buffer).Value, HashChain(1, 2); got != want {
		t.Errorf("task over the shared buffer = %v, HashChain = %v", got, want)
	}
}

func TestChannelLatencyIsSampledEveryLatencyEveryth(t *testing.T) {
	tests := []struct {
		messages int
		want     []int
	}{
		{1, []int{0}},
		{64, []int{0}},
		{130, []int{0, 64, 128}},
	}
	w, _ := Lookup("channels")
	for _, tt := range tests {
		p := Params{"messages": tt.messages, "capacity": tt.messages}
		state := w.Shared(p, 1).(*channelState)
		w.Task(p, 0, 1, state) // the producer fills the buffered channel
		var stamped []int
		for k := 0; k < tt.messages; k++ {
			if m := <-state.ch; !m.sent.IsZero() {
				stamped = append(stamped, k)
			}
		}
		if fmt.Sprint(stamped) != fmt.Sprint(tt.want) {
			t.Errorf("messages=%d: stamped %v, want %v", tt.messages, stamped, tt.want)
		}
	}
}

func TestChannelsCheckWantsEveryLoopDelivered(t *testing.T) {
	w, _ := Lookup("channels")
	state := w.Shared(Params{"messages": 2, "capacity": 1}, 2) // one loop sends 1..4, sum 10
	tests := []struct {
		total   float64
		loops   int
		wantErr bool
	}{
		{10, 1, false},
		{30, 3, false},
		{29, 3, true},
		{10, 3, true},
	}
	for _, tt := range tests {
		if err := w.Check(state, tt.total, tt.loops); (err != nil) != tt.wantErr {
			t.Errorf("Check(total=%v, loops=%d) = %v, wantErr %v", tt.total, tt.loops, err, tt.wantErr)
		}
	}
}
