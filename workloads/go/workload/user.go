package workload

import (
	"errors"
	"fmt"
)

// SetupFunc is a user's Setup: it makes, before the clock starts, the state
// every task of a run is handed (nil when there is none).
type SetupFunc = func(params map[string]int, workers int) any

// TaskFunc is a user's Task: worker index of workers does its share of the
// work and returns its value. It must not modify params, which every task
// of a run reads at the same time.
type TaskFunc = func(params map[string]int, index, workers int, state any) float64

// User is a user's workload, the Go twin of a workload.py, in the harness's
// terms: one task per worker, task values added in index order (as
// workload.py's checksum is), runnable in sequential mode, any whole-number
// parameters accepted, and every loop of a task must return the same value
// (a task that is not deterministic is caught). A nil setup means no state.
func User(name string, setup SetupFunc, task TaskFunc) Workload {
	w := Workload{Name: name, Params: map[string]int{}, AnyParams: true, Sequential: true, Sum: true}
	if task != nil {
		w.Task = func(p Params, index, workers int, state any) Result {
			return Result{Value: task(p, index, workers, state)}
		}
	}
	if setup != nil {
		w.Shared = func(p Params, workers int) any { return setup(p, workers) }
	}
	return w
}

// Register adds w to the known workloads, so Lookup and Names find it. It
// is meant for a generated main, before the command runs (the registry is
// not locked); it refuses a workload without a name or task and a name that
// is already taken, built-in workloads included.
func Register(w Workload) error {
	switch _, taken := registry[w.Name]; {
	case w.Name == "":
		return errors.New("a workload needs a name")
	case w.Task == nil:
		return fmt.Errorf("workload %s has no task", w.Name)
	case taken:
		return fmt.Errorf("workload %s: the name is taken by a built-in workload; rename the user's workload", w.Name)
	}
	register(w)
	return nil
}
