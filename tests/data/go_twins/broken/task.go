// Package sumsq does not compile: foo is not defined.
package sumsq

func Setup(params map[string]int, workers int) any { return nil }

func Task(params map[string]int, index, workers int, state any) float64 {
	return foo
}
