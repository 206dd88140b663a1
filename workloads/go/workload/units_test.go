package workload

import (
	"math"
	"reflect"
	"testing"
)

// sequential adds terms in order in float64, as a loop does (a Go constant
// expression would be added exactly and rounded once).
func sequential(terms ...float64) float64 {
	var total float64
	for _, term := range terms {
		total += term
	}
	return total
}

func TestUnitParams(t *testing.T) {
	tests := []struct {
		name   string
		params Params
		units  int
		want   Params
	}{
		{"cpu_loop", Params{"iterations": 12}, 3, Params{"iterations": 12, "stride": 3}},
		{"cpu_loop_strong", Params{"iterations": 12}, 4, Params{"iterations": 12, "stride": 4}},
		{"alloc", Params{"items": 100}, 50, Params{"items": 100, "stride": 50}},
		{"hash", Params{"megabytes": 3, "rounds": 8}, 4, Params{"megabytes": 3, "rounds": 2}},
		{"io_wait", Params{"tasks": 10, "sleep_us": 7}, 5, Params{"tasks": 2, "sleep_us": 7}},
		{"contention", Params{"increments": 1000}, 10, Params{"increments": 100}},
		{"channels", Params{"messages": 1000, "capacity": 64}, 8, Params{"messages": 125, "capacity": 64}},
		{"cpu_loop", Params{"iterations": 12}, 12, Params{"iterations": 12, "stride": 12}},
		{"contention", Params{"increments": 7}, 7, Params{"increments": 1}},
		// One unit is the configured loop itself, for every workload.
		{"cpu_loop", Params{"iterations": 12}, 1, Params{"iterations": 12}},
		{"hash", Params{"megabytes": 1, "rounds": 3}, 1, Params{"megabytes": 1, "rounds": 3}},
		{"spawn", Params{"count": 5}, 1, Params{"count": 5}},
	}
	for _, tt := range tests {
		w, _ := Lookup(tt.name)
		configured := Params{}
		for k, v := range tt.params {
			configured[k] = v
		}
		got, err := w.UnitParams(tt.params, tt.units)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s.UnitParams(%v, %d) = %v, %v; want %v", tt.name, tt.params, tt.units, got, err, tt.want)
		}
		if !reflect.DeepEqual(tt.params, configured) {
			t.Errorf("%s.UnitParams changed the configured params to %v", tt.name, tt.params)
		}
	}
}

func TestUnitParamsErrors(t *testing.T) {
	user := User("sumsq", nil, squares)
	tests := []struct {
		w      Workload
		params Params
		units  int
		want   string
	}{
		{registry["cpu_loop"], Params{"iterations": 12}, 0, "0 is below 1"},
		{registry["cpu_loop"], Params{"iterations": 12}, -3, "-3 is below 1"},
		{registry["spawn"], Params{"count": 12}, 2,
			"spawn cannot be divided into units: its figures are creation costs, which happen once"},
		{user, Params{"n": 12}, 2, "a user's workload cannot be divided into units"},
		{registry["cpu_loop"], Params{"iterations": 50000000}, 7, "7 does not divide iterations=50000000 evenly"},
		{registry["alloc"], Params{"items": 10}, 20, "20 does not divide items=10 evenly"},
		{registry["hash"], Params{"megabytes": 4, "rounds": 3}, 2, "2 does not divide rounds=3 evenly"},
		{registry["channels"], Params{"messages": 10, "capacity": 4}, 4, "4 does not divide messages=10 evenly"},
	}
	for _, tt := range tests {
		got, err := tt.w.UnitParams(tt.params, tt.units)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s.UnitParams(%v, %d) = %v, %v; want the error %q", tt.w.Name, tt.params, tt.units, got, err, tt.want)
		}
	}
}

func TestEveryBuiltInSaysHowOrWhyNotItDivides(t *testing.T) {
	for _, name := range Names() {
		w := registry[name]
		switch {
		case w.Unit != nil && w.Indivisible != "":
			t.Errorf("%s has a unit and a reason it cannot be divided", name)
		case w.Unit == nil && w.Indivisible == "":
			t.Errorf("%s neither divides nor says why not", name)
		case w.Unit != nil:
			if _, ok := w.Params[w.Unit.Param]; !ok || (w.Unit.Kind != Strided && w.Unit.Kind != Shrunk) {
				t.Errorf("%s divides %+v, which is no parameter of its or no kind", name, *w.Unit)
			}
		}
	}
}

// A unit's checksum, by hand from the contract: strided units take
// i = 0, P, 2P, ... of the configured range.
func TestStridedUnitChecksums(t *testing.T) {
	tests := []struct {
		name    string
		params  Params
		units   int
		workers int
		want    float64
	}{
		// i = 0, 3, 6, 9, every worker the whole unit.
		{"cpu_loop", Params{"iterations": 12}, 3, 2, sequential(0.0/1, 9.0/4, 36.0/7, 81.0/10)},
		{"cpu_loop", Params{"iterations": 12}, 12, 1, 0},
		{"cpu_loop", Params{"iterations": 20}, 5, 3, sequential(0.0/1, 25.0/6, 100.0/11, 225.0/16)},
		// k = 0..3 (i = 3k) split by k: worker 0 takes k 0-1, worker 1 k 2-3.
		{"cpu_loop_strong", Params{"iterations": 12}, 3, 2,
			sequential(sequential(0.0/1, 9.0/4), sequential(36.0/7, 81.0/10))},
		// Three workers: k 0, k 1, k 2-3.
		{"cpu_loop_strong", Params{"iterations": 12}, 3, 3,
			sequential(sequential(0.0/1), sequential(9.0/4), sequential(36.0/7, 81.0/10))},
		// i = 0, 3, 6, 9: len("item-i") 6 each, tags [0,0,0] [0,3,3] [0,1,6] [0,4,2].
		{"alloc", Params{"items": 12}, 3, 2, 6 + 12 + 13 + 12},
		// i = 0, 10, 20: tags [0,0,0] [1,0,3] [2,0,6], names of 6, 7 and 7 bytes.
		{"alloc", Params{"items": 30}, 10, 1, 6 + 11 + 15},
	}
	for _, tt := range tests {
		w := registry[tt.name]
		p, err := w.UnitParams(tt.params, tt.units)
		if err != nil {
			t.Fatal(err)
		}
		if got := runTasks(t, w, p, tt.workers); got != tt.want {
			t.Errorf("%s%v in %d units, %d workers = %v (%x), want %v (%x)",
				tt.name, tt.params, tt.units, tt.workers, got, math.Float64bits(got), tt.want, math.Float64bits(tt.want))
		}
	}
}

// A shrunk unit is the workload run with the smaller parameter.
func TestShrunkUnitChecksums(t *testing.T) {
	tests := []struct {
		name    string
		params  Params
		units   int
		workers int
		smaller Params
	}{
		{"hash", Params{"megabytes": 1, "rounds": 4}, 2, 1, Params{"megabytes": 1, "rounds": 2}},
		{"io_wait", Params{"tasks": 10, "sleep_us": 0}, 5, 2, Params{"tasks": 2, "sleep_us": 0}},
		{"contention", Params{"increments": 1000}, 10, 2, Params{"increments": 100}},
		{"channels", Params{"messages": 1000, "capacity": 64}, 10, 2, Params{"messages": 100, "capacity": 64}},
	}
	for _, tt := range tests {
		w := registry[tt.name]
		p, err := w.UnitParams(tt.params, tt.units)
		if err != nil {
			t.Fatal(err)
		}
		got, want := runTasks(t, w, p, tt.workers), run(t, tt.name, tt.smaller, tt.workers)
		if got != want {
			t.Errorf("%s%v in %d units = %v, want %v (the run of %v)", tt.name, tt.params, tt.units, got, want, tt.smaller)
		}
	}
}

// Stride 1 is the whole loop, bit for bit.
func TestStrideOneIsTheWholeLoop(t *testing.T) {
	for _, n := range []int{0, 1, 7, 100_001} {
		if got, want := CPULoopStrided(n, 1), CPULoop(n); got != want {
			t.Errorf("CPULoopStrided(%d, 1) = %v, want CPULoop's %v", n, got, want)
		}
		if got, want := CPULoopStep(3, n, 1), CPULoopRange(3, n); got != want {
			t.Errorf("CPULoopStep(3, %d, 1) = %v, want CPULoopRange's %v", n, got, want)
		}
		for _, workers := range []int{1, 3} {
			for i := 0; i < workers; i++ {
				if got, want := StrongShare(n, i, workers, 1), CPULoopRange(StrongSlice(n, i, workers)); got != want {
					t.Errorf("StrongShare(%d, %d, %d, 1) = %v, want %v", n, i, workers, got, want)
				}
			}
		}
	}
	if got := AllocStrided(1000, 1); got != 13886 { // Alloc(1000), as Python computes it
		t.Errorf("AllocStrided(1000, 1) = %v, want 13886", got)
	}
}
