package workload

import (
	"strings"
	"testing"
)

func squares(p map[string]int, index, workers int, _ any) float64 {
	n := p["n"]
	var total float64
	for i := index * n / workers; i < (index+1)*n/workers; i++ {
		total += float64(i * i)
	}
	return total
}

func TestUserWorkloadIsASequentialSumOverAnyParams(t *testing.T) {
	w := User("sumsq", nil, squares)
	if !w.Sequential || !w.Sum || w.Accumulates || w.Shared != nil || w.TaskCount(Params{}, 3) != 3 {
		t.Fatalf("User(...) = %+v, want one summed task per worker, sequential allowed, no state", w)
	}
	tests := []struct {
		params   Params
		mentions string
	}{
		{Params{}, ""},
		{Params{"n": 10}, ""},
		{Params{"n": 10, "anything": -3}, ""},
	}
	for _, tt := range tests {
		if err := w.Validate(tt.params); err != nil {
			t.Errorf("Validate(%v) = %v, want any whole-number parameters accepted", tt.params, err)
		}
	}
	p := Params{"n": 10}
	values := []float64{w.Task(p, 0, 2, nil).Value, w.Task(p, 1, 2, nil).Value}
	if got, err := w.Combine(values); err != nil || got != 285 { // 0² + … + 9²
		t.Errorf("Combine(%v) = %v, %v; want 285", values, got, err)
	}
}

func TestUserSetupStateReachesTheTask(t *testing.T) {
	setup := func(p map[string]int, workers int) any { return []int{p["n"], workers} }
	task := func(_ map[string]int, index, _ int, state any) float64 {
		s := state.([]int)
		return float64(s[0]*100 + s[1]*10 + index)
	}
	w := User("stateful", setup, task)
	state := w.Shared(Params{"n": 4}, 2)
	if got := w.Task(Params{"n": 4}, 1, 2, state).Value; got != 421 {
		t.Errorf("task over setup's state = %v, want 421", got)
	}
}

func TestRegister(t *testing.T) {
	tests := []struct {
		name     string
		w        Workload
		mentions string
	}{
		{"a new name", User("sumsq_test", nil, squares), ""},
		{"a built-in's name", User("cpu_loop", nil, squares), "taken by a built-in"},
		{"no name", User("", nil, squares), "needs a name"},
		{"no task", User("taskless", nil, nil), "has no task"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Cleanup(func() {
				if tt.mentions == "" {
					delete(registry, tt.w.Name)
				}
			})
			err := Register(tt.w)
			if (err == nil) != (tt.mentions == "") || (err != nil && !strings.Contains(err.Error(), tt.mentions)) {
				t.Fatalf("Register(%q) = %v, want an error mentioning %q", tt.w.Name, err, tt.mentions)
			}
			if _, err := Lookup(tt.w.Name); tt.mentions == "" && err != nil {
				t.Errorf("Lookup after Register: %v", err)
			}
		})
	}
	if w, _ := Lookup("cpu_loop"); w.AnyParams {
		t.Error("a refused registration replaced the built-in cpu_loop")
	}
}
