// Package sumsq compiles, but its task panics in worker 1.
package sumsq

func Setup(params map[string]int, workers int) any { return nil }

func Task(params map[string]int, index, workers int, state any) float64 {
	if index == 1 {
		panic("sumsq fixture: worker 1 gave up")
	}
	return 1
}
