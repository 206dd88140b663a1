// Package workload holds the computations parbench measures, free of any
// timing or scheduling. Each is split into tasks whose values combine into
// one float64 checksum, the same one its Python twin in
// workloads/python/workloads.py computes for the same parameters.
//
// A divisible workload's configured loop can also run as one of P equal
// units (see Unit and Workload.UnitParams), so a timed section can be
// shorter than one configured loop; spawn and a user's workload cannot be
// divided.
package workload

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Params are a workload's whole-number parameters by name.
type Params map[string]int

// Result is what one task returns: its value and any latency samples.
type Result struct {
	Value     float64
	Latencies []time.Duration
}

// Workload describes how a computation is split into tasks, run and checked.
type Workload struct {
	Name string
	// Params maps each parameter to its smallest allowed value.
	Params map[string]int
	// AnyParams accepts parameters of any name and whole-number value
	// besides those in Params: a user's workload reads whatever its config
	// gives it, and only the user's code knows which names it reads.
	AnyParams bool
	// Sequential says whether a one-task run without concurrency makes sense.
	Sequential bool
	// Sum adds the task values in task order; otherwise they must all agree.
	Sum bool
	// Accumulates says a task's value differs between loops (a channel
	// consumer's does), so only the total over all loops can be checked;
	// otherwise every loop of a task must return the first loop's value.
	Accumulates bool
	// Tasks is how many tasks run for a worker count (nil: one per worker).
	Tasks func(p Params, workers int) int
	// Shared makes the state all tasks share (nil: none).
	Shared func(p Params, workers int) any
	// Task runs task index of the given number of workers.
	Task func(p Params, index, workers int, shared any) Result
	// Check inspects the shared state after a timed section of loops loops,
	// given the task values summed over every task and loop (nil: nothing to check).
	Check func(shared any, total float64, loops int) error
	// Unit says how a configured loop divides into units (nil: it cannot be divided).
	Unit *Unit
	// Indivisible says why a workload without a Unit cannot be divided
	// (empty for a user's workload, whose code parbench cannot divide).
	Indivisible string
}

// TaskCount returns how many tasks a run with this many workers starts.
func (w Workload) TaskCount(p Params, workers int) int {
	if w.Tasks == nil {
		return workers
	}
	return w.Tasks(p, workers)
}

// Validate returns an error naming the first missing, unknown or too small parameter.
func (w Workload) Validate(p Params) error {
	for name := range p {
		if _, ok := w.Params[name]; !ok && !w.AnyParams {
			return fmt.Errorf("%s has no parameter %q (parameters: %s)", w.Name, name, strings.Join(w.paramNames(), ", "))
		}
	}
	for _, name := range w.paramNames() {
		value, ok := p[name]
		switch {
		case !ok:
			return fmt.Errorf("%s needs -param %s=N (N >= %d)", w.Name, name, w.Params[name])
		case value < w.Params[name]:
			return fmt.Errorf("%s parameter %s=%d is below %d", w.Name, name, value, w.Params[name])
		}
	}
	return nil
}

func (w Workload) paramNames() []string {
	names := make([]string, 0, len(w.Params))
	for name := range w.Params {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Combine turns the task values, in task order, into the checksum.
func (w Workload) Combine(values []float64) (float64, error) {
	if len(values) == 0 {
		return 0, fmt.Errorf("no task reported a value")
	}
	if w.Sum {
		var total float64
		for _, v := range values {
			total += v
		}
		return total, nil
	}
	for _, v := range values[1:] {
		if v != values[0] {
			return 0, fmt.Errorf("workers disagree on the checksum: %v", values)
		}
	}
	return values[0], nil
}

// CPULoopRange sums (i*i)/(i+1) in float64 for i = start .. stop-1, in order.
// i*i stays below 2^53 for the sizes parbench uses, so the conversion is
// exact and the division correctly rounded, as in Python.
func CPULoopRange(start, stop int) float64 {
	var total float64
	for i := start; i < stop; i++ {
		total += float64(i*i) / float64(i+1)
	}
	return total
}

// CPULoopStep sums (i*i)/(i+1) in float64 for i = start, start+step, ...
// below stop, in order (step >= 1). Step 1 runs CPULoopRange itself, so a
// whole loop is timed with exactly the code it was before units existed.
func CPULoopStep(start, stop, step int) float64 {
	if step == 1 {
		return CPULoopRange(start, stop)
	}
	var total float64
	for i := start; i < stop; i += step {
		total += float64(i*i) / float64(i+1)
	}
	return total
}

// CPULoop is the seed's loop over the whole range.
func CPULoop(iterations int) float64 { return CPULoopRange(0, iterations) }

// CPULoopStrided is one unit of the seed's loop: every stride-th i of the
// whole range, i = 0, stride, 2*stride, ... below iterations.
func CPULoopStrided(iterations, stride int) float64 { return CPULoopStep(0, iterations, stride) }

// StrongSlice is worker index's contiguous share of the range when it is split.
func StrongSlice(iterations, index, workers int) (int, int) {
	return index * iterations / workers, (index + 1) * iterations / workers
}

// StrongShare is worker index's share of one unit of the strong loop: of the
// unit's elements i = k*stride (k below iterations/stride), the contiguous
// run of k that StrongSlice gives it. Stride 1 is the whole loop's share.
func StrongShare(iterations, index, workers, stride int) float64 {
	first, last := StrongSlice(iterations/stride, index, workers)
	return CPULoopStep(first*stride, last*stride, stride)
}

type record struct {
	id   int
	name string
	tags []int
}

// Alloc builds many small records and reduces them; a window of the last 64
// stays alive so every record is a real heap object.
func Alloc(items int) float64 { return AllocStrided(items, 1) }

// AllocStrided is one unit of Alloc: the records of every stride-th i only
// (i = k*stride for k below items/stride), so its names have the digit
// counts of the whole range; the window is indexed by k.
func AllocStrided(items, stride int) float64 {
	window := make([]*record, 64)
	total := 0
	for k := 0; k < items/stride; k++ {
		i := k * stride
		r := &record{id: i, name: "item-" + strconv.Itoa(i), tags: []int{i % 3, i % 5, i % 7}}
		window[k&63] = r
		total += len(r.name) + r.tags[0] + r.tags[1] + r.tags[2]
	}
	return float64(total)
}

// HashBuffer is the bytes 0..255 repeated to fill megabytes MiB, the input
// the hash workload's tasks share. It is made before the clock starts (as the
// workload's shared state), so the timed section hashes and does not fill
// memory, in Go as in Python.
func HashBuffer(megabytes int) []byte {
	buffer := make([]byte, megabytes<<20)
	for i := range buffer {
		buffer[i] = byte(i)
	}
	return buffer
}

// HashRounds hashes buffer rounds times with SHA-256, each round seeded with
// the previous digest; the checksum is the digest's first 48 bits.
func HashRounds(buffer []byte, rounds int) float64 {
	var digest []byte
	for r := 0; r < rounds; r++ {
		h := sha256.New()
		h.Write(digest)
		h.Write(buffer)
		digest = h.Sum(nil)
	}
	var head [8]byte
	copy(head[2:], digest[:6])
	return float64(binary.BigEndian.Uint64(head[:]))
}

// HashChain is the hash workload in one call, buffer included (a reference for tests).
func HashChain(megabytes, rounds int) float64 {
	return HashRounds(HashBuffer(megabytes), rounds)
}

// IOWait blocks tasks times for sleepMicros each, computing almost nothing.
func IOWait(tasks, sleepMicros int) float64 {
	total := 0
	for t := 0; t < tasks; t++ {
		time.Sleep(time.Duration(sleepMicros) * time.Microsecond)
		total += t
	}
	return float64(total)
}

type counter struct {
	mu    sync.Mutex
	value int
}

// LatencyEvery is the channels workload's sampling rule, the same as
// Python's: message k of each producer's loop carries a send time when
// k%LatencyEvery == 0, and only those yield latency samples, so reading the
// clock does not slow the throughput it is measured beside.
const LatencyEvery = 64

// message carries a value and, for sampled messages only, its send time
// (zero otherwise).
type message struct {
	value int
	sent  time.Time
}

// channelState is the channel and what one loop must deliver through it.
type channelState struct {
	ch      chan message
	perLoop int
}

// ChannelSum is what the producers send in one loop: the values 1 .. workers*messages, each once.
func ChannelSum(workers, messages int) int {
	n := workers * messages
	return n * (n + 1) / 2
}

func channelsTask(p Params, index, workers int, shared any) Result {
	ch, messages := shared.(*channelState).ch, p["messages"]
	if index < workers {
		base := index*messages + 1
		for k := 0; k < messages; k++ {
			m := message{value: base + k}
			if k%LatencyEvery == 0 {
				m.sent = time.Now()
			}
			ch <- m
		}
		return Result{}
	}
	total, latencies := 0, make([]time.Duration, 0, messages/LatencyEvery+1)
	for k := 0; k < messages; k++ {
		m := <-ch
		if !m.sent.IsZero() {
			latencies = append(latencies, time.Since(m.sent))
		}
		total += m.value
	}
	return Result{Value: float64(total), Latencies: latencies}
}

var registry = map[string]Workload{}

func register(w Workload) { registry[w.Name] = w }

func init() {
	register(Workload{
		Name: "cpu_loop", Params: map[string]int{"iterations": 1}, Sequential: true,
		Unit: &Unit{Param: "iterations", Kind: Strided},
		Task: func(p Params, _, _ int, _ any) Result {
			return Result{Value: CPULoopStrided(p["iterations"], stride(p))}
		},
	})
	register(Workload{
		Name: "cpu_loop_strong", Params: map[string]int{"iterations": 1}, Sequential: true, Sum: true,
		Unit: &Unit{Param: "iterations", Kind: Strided},
		Task: func(p Params, index, workers int, _ any) Result {
			return Result{Value: StrongShare(p["iterations"], index, workers, stride(p))}
		},
	})
	register(Workload{
		Name: "alloc", Params: map[string]int{"items": 1}, Sequential: true,
		Unit: &Unit{Param: "items", Kind: Strided},
		Task: func(p Params, _, _ int, _ any) Result { return Result{Value: AllocStrided(p["items"], stride(p))} },
	})
	register(Workload{
		Name: "hash", Params: map[string]int{"megabytes": 1, "rounds": 1}, Sequential: true,
		Unit:   &Unit{Param: "rounds", Kind: Shrunk},
		Shared: func(p Params, _ int) any { return HashBuffer(p["megabytes"]) },
		Task: func(p Params, _, _ int, shared any) Result {
			return Result{Value: HashRounds(shared.([]byte), p["rounds"])}
		},
	})
	register(Workload{
		Name: "io_wait", Params: map[string]int{"tasks": 1, "sleep_us": 0}, Sequential: true,
		Unit: &Unit{Param: "tasks", Kind: Shrunk},
		Task: func(p Params, _, _ int, _ any) Result { return Result{Value: IOWait(p["tasks"], p["sleep_us"])} },
	})
	register(Workload{
		Name: "contention", Params: map[string]int{"increments": 1}, Sequential: true, Sum: true,
		Unit:   &Unit{Param: "increments", Kind: Shrunk},
		Shared: func(Params, int) any { return &counter{} },
		Task: func(p Params, _, _ int, shared any) Result {
			c := shared.(*counter)
			for i := 0; i < p["increments"]; i++ {
				c.mu.Lock()
				c.value++
				c.mu.Unlock()
			}
			return Result{Value: float64(p["increments"])}
		},
		// Every increment of every loop must be in the counter.
		Check: func(shared any, total float64, _ int) error {
			if got := shared.(*counter).value; float64(got) != total {
				return fmt.Errorf("the shared counter reached %d, expected %.0f: lost updates", got, total)
			}
			return nil
		},
	})
	register(Workload{
		Name: "channels", Params: map[string]int{"messages": 1, "capacity": 1}, Sum: true, Accumulates: true,
		Unit:  &Unit{Param: "messages", Kind: Shrunk},
		Tasks: func(_ Params, workers int) int { return 2 * workers },
		Shared: func(p Params, workers int) any {
			return &channelState{make(chan message, p["capacity"]), ChannelSum(workers, p["messages"])}
		},
		// Tasks 0..W-1 produce, W..2W-1 consume; consumers return the sum they received.
		Task: channelsTask,
		// Consumers must have received, over all loops, loops × one loop's sum.
		Check: func(shared any, total float64, loops int) error {
			if want := loops * shared.(*channelState).perLoop; total != float64(want) {
				return fmt.Errorf("consumers received %.0f over %d loop(s), expected %d", total, loops, want)
			}
			return nil
		},
	})
	register(Workload{
		Name: "spawn", Params: map[string]int{"count": 1}, Sum: true,
		Indivisible: "its figures are creation costs, which happen once",
		Tasks:       func(p Params, _ int) int { return p["count"] },
		Task:        func(_ Params, index, _ int, _ any) Result { return Result{Value: float64(index)} },
	})
}

// Lookup returns the workload called name.
func Lookup(name string) (Workload, error) {
	w, ok := registry[name]
	if !ok {
		return Workload{}, fmt.Errorf("unknown workload %q (known: %v)", name, Names())
	}
	return w, nil
}

// Names lists the known workloads in sorted order.
func Names() []string {
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
